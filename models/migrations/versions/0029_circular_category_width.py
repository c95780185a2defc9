"""circulars.category wide enough for every key ("general_meeting" has 15 characters: PostgreSQL
refused to save 総会 in the 12 of 0017)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 21:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=12), type_=sa.String(length=20),
                              existing_nullable=False, existing_server_default='other')


def downgrade() -> None:
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=20), type_=sa.String(length=12),
                              existing_nullable=False, existing_server_default='other')

"""associations.shelter_info: the association's 避難所・連絡先 text (shown by the 避難所・連絡先 view)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shelter_info', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.drop_column('shelter_info')

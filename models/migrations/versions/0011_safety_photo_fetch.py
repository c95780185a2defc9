"""disaster mode: photos are downloaded by the scheduler, not inside the handling transaction

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('safety_photos', schema=None) as batch_op:
        # photos kept so far were downloaded at once: they are stored
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='stored'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_try_at', models.base.UTCDateTime(), nullable=True))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column('content_type', existing_type=sa.String(length=100), nullable=True)
        batch_op.create_index('ix_safety_photos_status', ['status'], unique=False)


def downgrade() -> None:
    # photos never downloaded (or refused by LINE) have no data: they cannot stay in the old table
    op.execute("DELETE FROM safety_photos WHERE data IS NULL OR content_type IS NULL")
    with op.batch_alter_table('safety_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_photos_status')
        batch_op.alter_column('content_type', existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('next_try_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')

"""line quota shared by every process; outbox sent_at index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('line_quota',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=True),
    sa.Column('monthly_limit', sa.Integer(), nullable=True),
    sa.Column('usage', sa.Integer(), nullable=False),
    sa.Column('read_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_line_quota_association_id_associations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_line_quota'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_sent_at', ['sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sent_at')
    op.drop_table('line_quota')

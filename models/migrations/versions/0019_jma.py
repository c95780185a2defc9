"""automatic start from JMA: telegrams seen, trigger rules, starts

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jma_telegrams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.String(length=300), nullable=False),
        sa.Column('code', sa.String(length=10), nullable=True),
        sa.Column('event_id', sa.String(length=64), nullable=True),
        sa.Column('serial', sa.String(length=10), nullable=True),
        sa.Column('info_type', sa.String(length=10), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('received_at', models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entry_id'),
    )
    with op.batch_alter_table('jma_telegrams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jma_telegrams_event_id'), ['event_id'], unique=False)
    op.create_table(
        'jma_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('association_id', sa.Integer(), nullable=True),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('city_codes', sa.String(length=200), nullable=False),
        sa.Column('quake_areas', sa.String(length=100), nullable=False),
        sa.Column('tsunami_areas', sa.String(length=200), nullable=False),
        sa.Column('min_intensity', sa.String(length=2), nullable=False),
        sa.Column('quake', sa.Boolean(), nullable=False),
        sa.Column('tsunami', sa.Boolean(), nullable=False),
        sa.Column('special', sa.Boolean(), nullable=False),
        sa.Column('mode', sa.String(length=4), nullable=False),
        sa.Column('ask_minutes', sa.Integer(), nullable=False),
        sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint('(association_id IS NULL) <> (municipality_id IS NULL)', name='jma_rule_owner'),
        sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('association_id'),
        sa.UniqueConstraint('municipality_id'),
    )
    op.create_table(
        'jma_starts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('association_id', sa.Integer(), nullable=False),
        sa.Column('telegram_id', sa.Integer(), nullable=False),
        sa.Column('event_key', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('what', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('ask_until', models.base.UTCDateTime(), nullable=True),
        sa.Column('disaster_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['telegram_id'], ['jma_telegrams.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['disaster_id'], ['disasters.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('association_id', 'event_key'),
    )
    with op.batch_alter_table('jma_starts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jma_starts_association_id'), ['association_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jma_starts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jma_starts_association_id'))
    op.drop_table('jma_starts')
    op.drop_table('jma_rules')
    with op.batch_alter_table('jma_telegrams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jma_telegrams_event_id'))
    op.drop_table('jma_telegrams')

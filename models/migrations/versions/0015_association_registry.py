"""association registry (自治会台帳, Kobe's fields) and its change history

One registry entry per association (its chair and their contact, the circular and poster
recipients, copies, households, 班/組, bulletin boards, 区分, マンション・団地, area, active or
dissolved, notes: every personal field optional), and one history row per changed field (who,
when, how, before → after). New tables only; downgrade drops them (and their contents).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('name_kana', sa.String(length=100), nullable=True),
    sa.Column('chair_name', sa.String(length=100), nullable=True),
    sa.Column('chair_kana', sa.String(length=100), nullable=True),
    sa.Column('chair_postcode', sa.String(length=10), nullable=True),
    sa.Column('chair_address', sa.String(length=200), nullable=True),
    sa.Column('chair_phone', sa.String(length=40), nullable=True),
    sa.Column('chair_since', sa.Date(), nullable=True),
    sa.Column('predecessor_name', sa.String(length=100), nullable=True),
    sa.Column('predecessor_contact', sa.String(length=200), nullable=True),
    sa.Column('circular_name', sa.String(length=100), nullable=True),
    sa.Column('circular_address', sa.String(length=200), nullable=True),
    sa.Column('circular_phone', sa.String(length=40), nullable=True),
    sa.Column('poster_name', sa.String(length=100), nullable=True),
    sa.Column('poster_address', sa.String(length=200), nullable=True),
    sa.Column('poster_phone', sa.String(length=40), nullable=True),
    sa.Column('circular_copies', sa.Integer(), nullable=True),
    sa.Column('poster_copies', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('group_count', sa.Integer(), nullable=True),
    sa.Column('boards', sa.Integer(), nullable=True),
    sa.Column('federation', sa.Boolean(), nullable=True),
    sa.Column('apartment', sa.Boolean(), nullable=True),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_registry_entries_association_id_associations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_entries')),
    sa.UniqueConstraint('association_id', name=op.f('uq_registry_entries_association_id'))
    )
    op.create_table('registry_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=120), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_member_id'], ['members.id'], name=op.f('fk_registry_changes_actor_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_staff_id'], ['city_staff.id'], name=op.f('fk_registry_changes_actor_staff_id_city_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_registry_changes_association_id_associations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_changes'))
    )
    with op.batch_alter_table('registry_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_changes_association_id'), ['association_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registry_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_changes_association_id'))

    op.drop_table('registry_changes')
    op.drop_table('registry_entries')

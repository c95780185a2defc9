"""city tier: municipalities, channels (per association or per municipality), city staff

Associations get their municipality and 地区; outbox rows and webhook events know their channel
(NULL: the channel given in the environment, as until now, so existing rows keep working); an
outbox row or a dialog may belong to no association (a city staff member's, or a resident's on a
city channel before they pick one), and a user has one dialog per association (not one in all).
Downgrade deletes those rows (they cannot exist before) and keeps each user's newest dialog.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('municipalities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('name', name=op.f('uq_municipalities_name'))
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bot_user_id', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('secret_enc', sa.Text(), nullable=False),
    sa.Column('token_enc', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(association_id IS NULL) <> (municipality_id IS NULL)', name=op.f('ck_channels_one_owner')),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_channels_association_id_associations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_channels_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels')),
    sa.UniqueConstraint('association_id', name=op.f('uq_channels_association_id')),
    sa.UniqueConstraint('bot_user_id', name=op.f('uq_channels_bot_user_id')),
    sa.UniqueConstraint('municipality_id', name=op.f('uq_channels_municipality_id'))
    )
    op.create_table('city_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_city_staff_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_city_staff_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_staff')),
    sa.UniqueConstraint('channel_id', 'line_user_id', name=op.f('uq_city_staff_channel_id_line_user_id'))
    )
    with op.batch_alter_table('city_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_staff_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('district', sa.String(length=60), nullable=True))
        batch_op.create_index(batch_op.f('ix_associations_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_associations_municipality_id_municipalities'), 'municipalities', ['municipality_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('dialog_states', schema=None) as batch_op:
        batch_op.alter_column('association_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.drop_constraint('uq_dialog_states_line_user_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_dialog_states_line_user_id_association_id'),
                                          ['line_user_id', 'association_id'])

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.alter_column('association_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_outbox_channel_id'), ['channel_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_channel_id_channels'), 'channels', ['channel_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_webhook_events_channel_id_channels'), 'channels', ['channel_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    op.execute('DELETE FROM outbox WHERE association_id IS NULL OR channel_id IS NOT NULL')
    op.execute('DELETE FROM dialog_states WHERE association_id IS NULL')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_events_channel_id_channels'), type_='foreignkey')
        batch_op.drop_column('channel_id')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_channel_id_channels'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_channel_id'))
        batch_op.alter_column('association_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('channel_id')

    # one dialog per user again: the newest of each user's is kept
    op.execute('DELETE FROM dialog_states WHERE id NOT IN '
               '(SELECT max(id) FROM dialog_states GROUP BY line_user_id)')
    with op.batch_alter_table('dialog_states', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_dialog_states_line_user_id_association_id'), type_='unique')
        batch_op.create_unique_constraint('uq_dialog_states_line_user_id', ['line_user_id'])
        batch_op.alter_column('association_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_associations_municipality_id_municipalities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_associations_municipality_id'))
        batch_op.drop_column('district')
        batch_op.drop_column('municipality_id')

    with op.batch_alter_table('city_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_staff_municipality_id'))

    op.drop_table('city_staff')
    op.drop_table('channels')
    op.drop_table('municipalities')

"""disaster mode: photos from residents, final visit lists

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('safety_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('disaster_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('line_message_id', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_safety_photos_association_id_associations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_safety_photos_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['disaster_id'], ['disasters.id'], name=op.f('fk_safety_photos_disaster_id_disasters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_safety_photos_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_photos')),
    sa.UniqueConstraint('line_message_id', name=op.f('uq_safety_photos_line_message_id'))
    )
    with op.batch_alter_table('safety_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_photos_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_photos_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_photos_disaster_id'), ['disaster_id'], unique=False)

    with op.batch_alter_table('disasters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visits_sent_at', models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('disasters', schema=None) as batch_op:
        batch_op.drop_column('visits_sent_at')
    with op.batch_alter_table('safety_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_photos_disaster_id'))
        batch_op.drop_index(batch_op.f('ix_safety_photos_delivery_id'))
        batch_op.drop_index(batch_op.f('ix_safety_photos_association_id'))
    op.drop_table('safety_photos')

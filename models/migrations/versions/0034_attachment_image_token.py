"""attachments.image_token: the secret public address (/i/<token>) of an attached image, the
circular card's hero (issue 10: nothing three taps deep)

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-03 10:40:00.000000
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0034'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_token', sa.String(length=40), nullable=True))
    bind = op.get_bind()
    t = sa.table('attachments', sa.column('id', sa.Integer()), sa.column('image_token', sa.String()))
    for (attachment_id,) in bind.execute(sa.select(t.c.id)).all():  # the ones sent before: a token each
        bind.execute(t.update().where(t.c.id == attachment_id).values(image_token=secrets.token_urlsafe(16)))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_attachments_image_token'), ['image_token'])


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attachments_image_token'), type_='unique')
        batch_op.drop_column('image_token')

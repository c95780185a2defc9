"""officers' dashboard: paper delivery per household, circular categories, a channel's add-friend link

- households.paper (紙で受け取る) with who set it and when; existing households that the roster
  marks LINE 無 get paper = true (they were the paper households until now).
- circulars.category (行事, 防災・防犯, 総会, ごみ, おくやみ, その他): "other" for what was sent before.
- channels.friend_url: the add-friend link printed as a QR code on the join sheets.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('paper_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paper_at', models.base.UTCDateTime(), nullable=True))
    op.execute(sa.text("UPDATE households SET paper = :yes WHERE on_line = :no").bindparams(yes=True, no=False))
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=12), server_default='other', nullable=False))
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('friend_url', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('friend_url')
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('paper_at')
        batch_op.drop_column('paper_by_id')
        batch_op.drop_column('paper')

"""webhook events: sender and timestamp, to handle one user's events in order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:40:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('event_ts', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_webhook_events_user', ['user_id', 'event_ts'], unique=False)
    # events still waiting keep their place in their user's order
    conn = op.get_bind()
    t = sa.table('webhook_events', sa.column('id', sa.String), sa.column('payload', sa.Text),
                 sa.column('status', sa.String), sa.column('user_id', sa.String),
                 sa.column('event_ts', sa.BigInteger))
    rows = conn.execute(sa.select(t.c.id, t.c.payload).where(t.c.status.in_(('received', 'processing')),
                                                             t.c.payload.is_not(None))).all()
    for event_id, payload in rows:
        try:
            raw = json.loads(payload)
            user, ts = raw['source']['userId'], raw['timestamp']
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(user, str) and len(user) <= 64 and isinstance(ts, int):
            conn.execute(t.update().where(t.c.id == event_id).values(user_id=user, event_ts=ts))


def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_user')
        batch_op.drop_column('event_ts')
        batch_op.drop_column('user_id')

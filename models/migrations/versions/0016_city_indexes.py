"""city indexes: a member by their LINE user id alone

On a city channel `models.tenancy.resolve` looks a user up among every association the channel
serves (`members.association_id IN (…800 ids…) AND line_user_id = …`). The only index with
`line_user_id` was the unique (association_id, line_user_id): PostgreSQL probed it once per
association, ~2,400 buffers and 2–4 ms per event at 800 associations, growing with the city.
With this index it is one probe (9 buffers, 0.1 ms) whatever the number of associations
(docs/benchmarks.md, "City tier").

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 04:00:00.000000
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_line_user_id'), ['line_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_line_user_id'))

"""join-code guard: attempts per LINE user and per channel; longer 登録コード

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:40:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('join_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('locked_until', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_join_attempts_association_id_associations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_attempts')),
    sa.UniqueConstraint('association_id', 'key', name=op.f('uq_join_attempts_association_id_key'))
    )
    with op.batch_alter_table('join_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_attempts_association_id'), ['association_id'], unique=False)

    with op.batch_alter_table('households', schema=None) as batch_op:
        # "1234-5678-9012" (12 digits, the last a check digit); the old "1234-5678" still fit
        batch_op.alter_column('join_code', existing_type=sa.String(length=9), type_=sa.String(length=16),
                              existing_nullable=False)


def downgrade() -> None:
    # The old column holds 9 characters: refuse before changing anything while longer codes exist
    # (PostgreSQL would stop at the ALTER with "value too long"; SQLite would silently keep them in
    # a column that says 9, for a version that cannot read them).
    households = sa.table('households', sa.column('join_code', sa.String))
    longer = op.get_bind().scalar(sa.select(sa.func.count()).select_from(households)
                                  .where(sa.func.length(households.c.join_code) > 9))
    if longer:
        raise RuntimeError(
            f"cannot downgrade below 0009: {longer} household(s) have a 登録コード longer than 9 characters "
            "(the 12-digit codes, 1234-5678-9012). The old version cannot store them. Give those households "
            "8-digit codes first (and print new sheets), or restore a backup made before the upgrade.")
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.alter_column('join_code', existing_type=sa.String(length=16), type_=sa.String(length=9),
                              existing_nullable=False)
    with op.batch_alter_table('join_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_attempts_association_id'))
    op.drop_table('join_attempts')

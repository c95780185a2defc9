"""corrections (訂正) and cancellations (中止・延期) of sent circulars and events

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 13:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('association_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('before_title', sa.String(length=100), nullable=False),
        sa.Column('before_body', sa.Text(), nullable=False),
        sa.Column('after_title', sa.String(length=100), nullable=False),
        sa.Column('after_body', sa.Text(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('pushes', sa.Integer(), nullable=False),
        sa.Column('paper_households', sa.Integer(), nullable=False),
        sa.Column('at', models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['association_id'], ['associations.id'],
                                name=op.f('fk_corrections_association_id_associations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['members.id'],
                                name=op.f('fk_corrections_author_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections')),
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_subject_id'), ['subject_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_subject_id'))
        batch_op.drop_index(batch_op.f('ix_corrections_association_id'))
    op.drop_table('corrections')

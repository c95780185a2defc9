"""receipts: the subject is a real foreign key (circular_id / event_id / disaster_id), not a type + id

Every receipt keeps its id and values; its (subject_type, subject_id) becomes the one matching
foreign-key column, then the pair, its unique constraint and its index go. A CHECK keeps exactly
one subject column set; per kind, a partial unique index (one receipt per household or person and
subject) and a partial index for the unread query replace the old ones.

Orphans are deleted. Until now nothing stopped a receipt from outliving its subject (no foreign
key): a receipt whose circular, event or disaster no longer exists, or whose subject_type is not
one of circular / event / safety, cannot point anywhere and is nobody's to read. Those receipts
are deleted, with what hangs off them (their answer history, safety locations and photos; on
SQLite the migration runs with foreign keys off, so this is done explicitly rather than left to
ON DELETE CASCADE). The number deleted is logged.

Downgrade puts the pair back from the foreign keys (every receipt has exactly one, so nothing is
lost) and restores the old constraint and index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:00:00.000000
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

# subject_type → (foreign-key column, the table it points at)
KINDS = {'circular': ('circular_id', 'circulars'), 'event': ('event_id', 'events'),
         'safety': ('disaster_id', 'disasters')}
ONE_SUBJECT = ' + '.join(f'(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)' for c, _ in KINDS.values()) + ' = 1'
OLD_UNIQUE = 'uq_deliveries_subject_type_subject_id_household_id_person_key'


def _orphans() -> str:
    """The receipts whose subject does not exist (or is of no known kind)."""
    known = ' OR '.join(f"(subject_type = '{kind}' AND subject_id IN (SELECT id FROM {table}))"
                        for kind, (_, table) in KINDS.items())
    return f'SELECT id FROM deliveries WHERE NOT ({known})'


def _subject_indexes(create: bool) -> None:
    for column, _ in KINDS.values():
        name = column.removesuffix('_id')
        if not create:
            op.drop_index(f'ix_deliveries_{name}_unread', table_name='deliveries')
            op.drop_index(f'uq_deliveries_{name}', table_name='deliveries')
            continue
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'uq_deliveries_{name}', 'deliveries', [column, 'household_id', 'person_key'],
                        unique=True, sqlite_where=where, postgresql_where=where)
        op.create_index(f'ix_deliveries_{name}_unread', 'deliveries', [column, 'read_at'], unique=False,
                        sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    conn = op.get_bind()
    orphans = conn.execute(sa.text(f'SELECT count(*) FROM ({_orphans()}) AS o')).scalar()
    if orphans:
        log.warning('0012: deleting %d receipt(s) whose subject no longer exists', orphans)
        for child in ('delivery_history', 'safety_locations', 'safety_photos'):
            op.execute(f'DELETE FROM {child} WHERE delivery_id IN ({_orphans()})')
        op.execute(f'DELETE FROM deliveries WHERE id IN ({_orphans()})')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:  # ADD COLUMN: no table copy
        for column, _ in KINDS.values():
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    for kind, (column, _) in KINDS.items():
        op.execute(f"UPDATE deliveries SET {column} = subject_id WHERE subject_type = '{kind}'")

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_subject_unread')
        batch_op.drop_constraint(OLD_UNIQUE, type_='unique')
        batch_op.drop_column('subject_type')
        batch_op.drop_column('subject_id')
        for column, table in KINDS.values():
            batch_op.create_foreign_key(op.f(f'fk_deliveries_{column}_{table}'), table, [column], ['id'],
                                        ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_deliveries_one_subject'), sa.text(ONE_SUBJECT))
    _subject_indexes(create=True)


def downgrade() -> None:
    _subject_indexes(create=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    for kind, (column, _) in KINDS.items():
        op.execute(f"UPDATE deliveries SET subject_type = '{kind}', subject_id = {column} "
                   f"WHERE {column} IS NOT NULL")

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deliveries_one_subject'), type_='check')
        for column, table in KINDS.values():
            batch_op.drop_constraint(op.f(f'fk_deliveries_{column}_{table}'), type_='foreignkey')
            batch_op.drop_column(column)
        batch_op.alter_column('subject_type', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(op.f(OLD_UNIQUE), ['subject_type', 'subject_id', 'household_id',
                                                             'person_key'])
        batch_op.create_index('ix_deliveries_subject_unread', ['subject_type', 'subject_id', 'read_at'],
                              unique=False)

"""city staff: web sign-in links, city notices (市からのお知らせ) and their receipts, shares_with_city

- `login_tokens` names either a member (with their association) or a city staff member (no
  association): `staff_id`, `member_id` and `association_id` become nullable, a CHECK keeps
  exactly one of member / staff.
- `city_notices` and `city_notice_attachments`: a municipality's notices.
- `deliveries.notice_id`: a notice is a receipt subject like a circular; the one-subject CHECK
  counts it, and it gets the same pair of partial indexes as the other kinds (0012). The partial
  indexes are dropped before the table is rebuilt on SQLite and made again after (a rebuild
  would not keep their WHERE).
- `associations.shares_with_city` (default false): whether city staff may see names.

Downgrade deletes the staff members' sign-in links and the notices' receipts (they cannot exist
before), then undoes the rest.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_KINDS = ('circular_id', 'event_id', 'disaster_id')
NEW_KINDS = OLD_KINDS + ('notice_id',)


def _one_subject(columns) -> str:
    return ' + '.join(f'(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)' for c in columns) + ' = 1'


def _subject_indexes(columns, create: bool) -> None:
    for column in columns:
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
    op.create_table('city_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.Enum('chairs', 'residents', name='noticeaudience', native_enum=False, length=10), nullable=True),
    sa.Column('association_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'sent', name='sendstate', native_enum=False, length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('push_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['city_staff.id'], name=op.f('fk_city_notices_author_id_city_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_city_notices_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_notices'))
    )
    with op.batch_alter_table('city_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_notices_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('city_notice_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['city_notices.id'], name=op.f('fk_city_notice_attachments_notice_id_city_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_notice_attachments'))
    )
    with op.batch_alter_table('city_notice_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_notice_attachments_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shares_with_city', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('login_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.alter_column('association_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('member_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_login_tokens_staff_id_city_staff'), 'city_staff', ['staff_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_login_tokens_member_or_staff'), sa.text('(member_id IS NULL) <> (staff_id IS NULL)'))

    _subject_indexes(OLD_KINDS, create=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_notice_id_city_notices'), 'city_notices', ['notice_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('ck_deliveries_one_subject'), type_='check')
        batch_op.create_check_constraint(op.f('ck_deliveries_one_subject'), sa.text(_one_subject(NEW_KINDS)))
    _subject_indexes(NEW_KINDS, create=True)


def downgrade() -> None:
    op.execute('DELETE FROM delivery_history WHERE delivery_id IN (SELECT id FROM deliveries WHERE notice_id IS NOT NULL)')
    op.execute('DELETE FROM deliveries WHERE notice_id IS NOT NULL')
    op.execute('DELETE FROM login_tokens WHERE staff_id IS NOT NULL')
    _subject_indexes(NEW_KINDS, create=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deliveries_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_deliveries_notice_id_city_notices'), type_='foreignkey')
        batch_op.drop_column('notice_id')
        batch_op.create_check_constraint(op.f('ck_deliveries_one_subject'), sa.text(_one_subject(OLD_KINDS)))
    _subject_indexes(OLD_KINDS, create=True)

    with op.batch_alter_table('login_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_tokens_member_or_staff'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_login_tokens_staff_id_city_staff'), type_='foreignkey')
        batch_op.alter_column('member_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column('association_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('staff_id')

    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.drop_column('shares_with_city')

    with op.batch_alter_table('city_notice_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_notice_attachments_notice_id'))
    op.drop_table('city_notice_attachments')
    with op.batch_alter_table('city_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_notices_municipality_id'))
    op.drop_table('city_notices')

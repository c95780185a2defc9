"""Migrations run both ways where the data allows it, and refuse clearly where it does not.

Each test gets a database of its own at the head revision: a fresh SQLite file, or (with
KAIRAN_TEST_DATABASE_URL) a schema of its own in that PostgreSQL database, dropped afterwards.
"""
import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from bot.dev.demo import seed
from conftest import PG_URL
from models import Household
from models.db import Database, normalize_url
from models.migrate import alembic_config, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("KAIRAN_TEST_DATABASE_URL is not set")
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    base = normalize_url(PG_URL)
    admin = create_engine(base)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def seeded(url: str, codes: list[str] | None = None) -> list[tuple[str, str]]:
    """Migrate to the head, seed the demo association (12-digit codes), optionally replace its
    codes; returns (household, code) as stored."""
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            seed(s)
            households = s.scalars(select(Household).order_by(Household.id)).all()
            for h, code in zip(households, codes or []):
                h.join_code = code
        return stored_codes(db)
    finally:
        db.dispose()


def stored_codes(db: Database) -> list[tuple[str, str]]:
    with db.engine.connect() as c:
        return codes_in(c)


def codes_in(c) -> list[tuple[str, str]]:
    return [tuple(r) for r in c.execute(text("SELECT name, join_code FROM households ORDER BY id"))]


def revision_and_tables(url: str):
    db = Database(url)
    try:
        with db.engine.connect() as c:
            rev = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
            cols = {col["name"]: col for col in inspect(c).get_columns("households")}
            return rev, set(inspect(c).get_table_names()), cols["join_code"]["type"].length, codes_in(c)
    finally:
        db.dispose()


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_0009_downgrades_while_every_code_is_an_old_8_digit_one(fresh_url):
    before = seeded(fresh_url, [f"{1000 + i:04d}-{5678 + i:04d}" for i in range(12)])
    assert len(before) == 12 and all(len(code) == 9 for _, code in before)
    command.downgrade(alembic_config(fresh_url), "0008")
    rev, tables, length, after = revision_and_tables(fresh_url)
    assert rev == "0008" and "join_attempts" not in tables and length == 9
    assert after == before  # every household and its code kept
    upgrade(fresh_url)  # and up again
    rev, tables, length, after = revision_and_tables(fresh_url)
    assert rev == head() and "join_attempts" in tables and length == 16 and after == before


def test_0009_refuses_to_downgrade_while_longer_codes_exist(fresh_url):
    before = seeded(fresh_url)  # the demo's codes: 1234-5678-9012, 14 characters
    assert all(len(code) == 14 for _, code in before)
    with pytest.raises(RuntimeError) as refused:
        command.downgrade(alembic_config(fresh_url), "0008")
    message = str(refused.value)
    assert "cannot downgrade below 0009" in message and "12 household(s)" in message
    assert "longer than 9 characters" in message and "8-digit codes first" in message
    rev, tables, length, after = revision_and_tables(fresh_url)
    # nothing of 0009 was undone: its table and the wide column are there, every code intact
    assert rev in ("0009", head()) and "join_attempts" in tables and length == 16 and after == before
    upgrade(fresh_url)  # the database is still usable at the head
    assert revision_and_tables(fresh_url)[0] == head()


def test_a_populated_database_upgrades_through_0009(fresh_url):
    """0009 widens households.join_code: on SQLite that copies the table, which members point at
    (it failed with "FOREIGN KEY constraint failed" as soon as a household had a member)."""
    upgrade(fresh_url, "0008")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # any time: created_at only
    db = Database(fresh_url)
    try:
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO associations (id, slug, name, created_at) VALUES (1, 'a', '東町', :t)"),
                      {"t": now})
            c.execute(text("INSERT INTO blocks (id, association_id, name, position) VALUES (1, 1, '1班', 0)"))
            c.execute(text("INSERT INTO households (id, association_id, block_id, name, on_line, needs_support,"
                           " join_code, origin, created_at) VALUES (1, 1, 1, '山田 太郎', true, false, '1234-5678',"
                           " 'roster', :t)"), {"t": now})
            c.execute(text("INSERT INTO members (id, association_id, household_id, name, role, status, language,"
                           " created_at, session_epoch) VALUES (1, 1, 1, '山田 太郎', 'chair', 'active', 'ja', :t, 0)"),
                      {"t": now})
    finally:
        db.dispose()
    upgrade(fresh_url)
    rev, tables, length, codes = revision_and_tables(fresh_url)
    assert rev == head() and length == 16 and codes == [("山田 太郎", "1234-5678")]
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert c.execute(text("SELECT household_id FROM members")).scalar() == 1
    finally:
        db.dispose()

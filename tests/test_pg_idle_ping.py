"""PostgreSQL connections are pinged only after sitting idle (models/db.py, issue 15): a
connection the server dropped while it sat in the pool is replaced before a transaction uses it;
a busy pool pays no `SELECT 1` per checkout, so a connection killed in the middle of a burst fails
the one transaction that meets it, and the next one gets a fresh connection.

PostgreSQL only (KAIRAN_TEST_DATABASE_URL): SQLite has no server to drop a connection."""
import pytest
from sqlalchemy import create_engine, exc, text

from models import db as dbmod
from models.db import Database, normalize_url

from conftest import PG_URL


@pytest.fixture
def pg():
    if not PG_URL:
        pytest.skip("KAIRAN_TEST_DATABASE_URL is not set")
    database = Database(PG_URL)
    admin = create_engine(normalize_url(PG_URL))
    yield database, admin
    database.dispose()
    admin.dispose()


def backend(database) -> int:
    with database.engine.connect() as c:
        return c.execute(text("SELECT pg_backend_pid()")).scalar()


def kill(admin, pid: int) -> None:
    with admin.begin() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


def test_a_connection_dropped_while_idle_is_replaced_before_use(pg, monkeypatch):
    database, admin = pg
    first = backend(database)  # now idle in the pool
    kill(admin, first)
    monkeypatch.setattr(dbmod, "PING_AFTER", 0.0)  # it has been idle long enough to be pinged
    with database.session() as s:  # the ping finds it dead: the pool hands out a fresh one
        assert s.execute(text("SELECT 1")).scalar() == 1
    assert backend(database) != first


def test_a_busy_pool_is_not_pinged_and_recovers_after_one_failure(pg, monkeypatch):
    database, admin = pg
    monkeypatch.setattr(dbmod, "PING_AFTER", 3600.0)  # every checkout counts as "just used"
    first = backend(database)
    kill(admin, first)
    with pytest.raises(exc.OperationalError):  # no ping: the transaction meets the dead connection
        with database.session() as s:
            s.execute(text("SELECT 1"))
    with database.session() as s:  # SQLAlchemy invalidated it: the next checkout connects anew
        assert s.execute(text("SELECT 1")).scalar() == 1
    assert backend(database) != first

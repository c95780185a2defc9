"""PostgreSQL connections are pinged only after sitting idle (models/db.py, issue 15): a
connection the server dropped while it sat in the pool is replaced before a transaction uses it;
a busy pool pays no `SELECT 1` per checkout, so a connection killed in the middle of a burst fails
the one transaction that meets it, and the next one gets a fresh connection. The webhook's insert
into the inbox, the one write LINE waits for, is tried again at once on a fresh connection.

PostgreSQL only (KAIRAN_TEST_DATABASE_URL): SQLite has no server to drop a connection."""
import pytest
from sqlalchemy import create_engine, exc, select, text

from bot.inbox import store
from models import WebhookEvent
from models import db as dbmod
from models.db import Database, normalize_url

from conftest import PG_URL


@pytest.fixture
def pg(template_db):  # template_db: the schema is there (migrated) whatever ran before
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


def test_the_inbox_insert_survives_a_connection_dropped_in_a_busy_pool(pg, monkeypatch):
    database, admin = pg
    monkeypatch.setattr(dbmod, "PING_AFTER", 3600.0)
    kill(admin, backend(database))
    event = {"webhookEventId": "01PINGTEST00000000000000AA", "type": "message", "mode": "active",
             "timestamp": 1764806400000, "source": {"type": "user", "userId": "U" + "a" * 32},
             "replyToken": "r" * 32, "message": {"type": "text", "id": "1", "text": "x", "quoteToken": "q"}}
    try:
        assert store(database, [event]) == [event["webhookEventId"]]  # not a 500 for LINE
        with database.session() as s:
            assert s.scalar(select(WebhookEvent.status).where(WebhookEvent.id == event["webhookEventId"])) == "received"
    finally:
        with database.session() as s:
            s.execute(WebhookEvent.__table__.delete().where(WebhookEvent.id == event["webhookEventId"]))

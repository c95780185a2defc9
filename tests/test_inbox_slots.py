"""How many handling transactions a web process runs at once (bot/inbox.db_slots, issue 15): by
database unless KAIRAN_INBOX_DB_SLOTS says otherwise."""
from types import SimpleNamespace

from bot.config import load_settings
from bot.inbox import Processor, db_slots


def database(dialect: str):
    return SimpleNamespace(engine=SimpleNamespace(dialect=SimpleNamespace(name=dialect)))


def test_by_database_unless_set():
    default = load_settings({"KAIRAN_SIMULATOR": "1"})
    assert default.inbox_db_slots == 0
    assert db_slots(default, database("sqlite")) == 4  # one writer: more only queue for it
    assert db_slots(default, database("postgresql")) == 8
    two = load_settings({"KAIRAN_SIMULATOR": "1", "KAIRAN_INBOX_DB_SLOTS": "2"})
    assert db_slots(two, database("postgresql")) == 2 == db_slots(two, database("sqlite"))


def test_the_processor_holds_that_many(k):
    assert isinstance(k.processor, Processor)
    expected = 4 if k.db.is_sqlite else 8
    taken = 0
    while k.processor.slots.acquire(blocking=False):
        taken += 1
    for _ in range(taken):
        k.processor.slots.release()
    assert taken == expected

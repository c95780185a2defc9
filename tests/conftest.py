"""Fixtures: a migrated database per test, a fake LINE API on a real port, signed webhook events.

The suite runs on SQLite by default; with KAIRAN_TEST_DATABASE_URL (PostgreSQL) it runs there.
Every request the fake LINE API receives is validated against LINE's OpenAPI spec and limits.

With KAIRAN_TEST_CLOCK the whole run happens at a travelled clock (time-machine, ticking), started
before any test module is imported; tests that travel themselves nest inside it. The value is an
ISO time (`2026-12-31T23:50:00+09:00`) or one of the awkward moments, always picked in the future of
the real date so that Chromium (which keeps the real clock) accepts the app's cookies:
`nye` (the next 31 Dec 23:50 JST) and `feb28` (the next 28 Feb 23:50 JST, crossing into 1 Mar).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
import zlib

import pytest
import time_machine
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.config import Settings
from bot.dev.fake_line import FakeLine, ServedFake
from models.db import normalize_url
from models.migrate import upgrade

from chat import SECRET, TOKEN, Line, actions, all_text, button, event_id  # noqa: F401 - the drivers' home
from line_spec import schema_errors, validate_request

SECRET_KEY = "test-secret-key-" + "k" * 32  # outside simulator mode Settings requires one
PG_URL = os.environ.get("KAIRAN_TEST_DATABASE_URL")
JST = dt.timezone(dt.timedelta(hours=9))
CLOCK_ENV = "KAIRAN_TEST_CLOCK"
PART_ENV = "KAIRAN_TEST_PART"  # "i/n": only the i-th of n parts of the test files (CI's clock runs)
_session_clock = None
# Helper modules (not test modules) whose fixtures every test may use: `sim`, the served simulator,
# and `chrome`, a Playwright page in headless Chromium (no test module imports another).
pytest_plugins = ["served", "browser", "harness"]


def real_now() -> dt.datetime:
    """The machine's own clock, whatever time-machine pretends (Chromium lives on this one)."""
    hatch = time_machine.escape_hatch
    return dt.datetime.fromtimestamp(hatch.time.time() if hatch.is_travelling() else time.time(), dt.timezone.utc)


def ahead(month: int, day: int, hour: int, minute: int = 0, after: dt.datetime | None = None) -> dt.datetime:
    """The next `month/day hour:minute` in Japan after `after` (default: the later of the test's
    clock and the real clock), so a test that travels there never lies behind Chromium's clock."""
    base = after or max(dt.datetime.now(dt.timezone.utc), real_now())
    year = base.astimezone(JST).year
    while True:
        try:
            at = dt.datetime(year, month, day, hour, minute, tzinfo=JST)
        except ValueError:  # 29 Feb outside a leap year
            at = None
        if at is not None and at > base:
            return at
        year += 1


def session_clock(value: str, real: dt.datetime | None = None) -> dt.datetime:
    """KAIRAN_TEST_CLOCK → the moment the run starts at (named moments: the next one after `real`)."""
    named = {"nye": (12, 31), "feb28": (2, 28)}
    if value.lower() in named:
        return ahead(*named[value.lower()], 23, 50, after=real or real_now())
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=JST)


def pytest_configure(config):
    global _session_clock
    value = os.environ.get(CLOCK_ENV, "").strip()
    if value and _session_clock is None:
        _session_clock = time_machine.travel(session_clock(value), tick=True)
        _session_clock.start()


def pytest_unconfigure(config):
    global _session_clock
    if _session_clock is not None:
        _session_clock.stop()
        _session_clock = None


def pytest_report_header(config):
    now = dt.datetime.now(JST)
    part = os.environ.get(PART_ENV, "")
    return (f"kairan clock: {now:%Y-%m-%d %H:%M:%S%z} ({'travelled, ' + CLOCK_ENV if _session_clock else 'real'})"
            + (f"; test files of part {part} only ({PART_ENV})" if part else ""))


def file_parts(counts: dict[str, int], n: int) -> dict[str, int]:
    """Each test file's part (0 … n-1), balanced by the number of tests: the biggest files first,
    each to the part with the fewest tests so far (ties by name). The same files and counts give
    the same parts on every machine: CI runs each travelled clock on one part, the parts turning
    every day (.ci/run), so each file runs at both clocks within n days."""
    load = [0] * n
    parts: dict[str, int] = {}
    for name, count in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        i = min(range(n), key=lambda j: (load[j], j))
        parts[name] = i
        load[i] += count
    return parts


def part_of(value: str) -> tuple[int, int] | None:
    """「1/3」 → (1, 3); None for anything else (then every test runs)."""
    i, sep, n = value.strip().partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n) <= 10):
        return None
    return int(i), int(n)


def pytest_collection_modifyitems(config, items):
    """KAIRAN_TEST_PART=i/n: only the test files of part i of n (the real-clock and PostgreSQL runs
    always take them all)."""
    part = part_of(os.environ.get(PART_ENV, ""))
    if part is None:
        return
    i, n = part
    counts: dict[str, int] = {}
    for item in items:
        name = os.path.basename(str(item.path))
        counts[name] = counts.get(name, 0) + 1
    parts = file_parts(counts, n)
    kept, dropped = [], []
    for item in items:
        (kept if parts[os.path.basename(str(item.path))] == i else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def spec_errors(kind: str, body: dict) -> list[str]:
    try:
        validate_request(kind, body)
    except AssertionError as e:
        return [str(e)]
    return []


@pytest.fixture(autouse=True)
def _simulator_clock_back():
    """The simulator may move the process's clock forward (models.base.advance_clock): back after each test."""
    from models import base
    yield
    base._SHIFT[0] = dt.timedelta(0)


@pytest.fixture(scope="session")
def served_fake():
    served = ServedFake(FakeLine(validator=spec_errors, schema_validator=schema_errors))  # rich menus: tests/line_spec.py
    yield served
    served.close()


@pytest.fixture
def fake(served_fake):
    # a slow request of the test before (a read timeout) is answered before this test starts
    assert served_fake.fake.wait_idle(), "the fake LINE API is still answering the previous test's request"
    served_fake.fake.reset()
    served_fake.fake.latency = 0.0
    served_fake.fake.quota_limit = 200
    yield served_fake.fake
    assert not served_fake.fake.invalid, f"messages that break LINE's rules were sent: {served_fake.fake.invalid}"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    if PG_URL:
        url = normalize_url(PG_URL)
        engine = create_engine(url)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("template") / "kairan.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


_PG_EMPTY: list[str] = []


def _pg_empty(c) -> str:
    """The statements that empty every table of the test database (worked out once a session)."""
    if not _PG_EMPTY:
        from models import Base

        tables = {r[0] for r in c.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))}
        ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in tables]
        ordered = sorted(tables - set(ordered)) + ordered  # tables the models do not know: first
        _PG_EMPTY.append("; ".join([f'DELETE FROM "{name}"' for name in ordered] + [
            "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"]))
    return _PG_EMPTY[0]


@pytest.fixture
def db_url(template_db, tmp_path):
    if PG_URL:
        # DELETE, children first, and the sequences back to 1: the same empty database as
        # TRUNCATE … RESTART IDENTITY, at 3 ms instead of 120 ms a test (TRUNCATE makes new files)
        engine = create_engine(template_db)
        with engine.begin() as c:
            c.execute(text(_pg_empty(c)))
        engine.dispose()
        return template_db
    path = tmp_path / "kairan.sqlite3"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(db_url, served_fake) -> Settings:
    return Settings(channel_secret=SECRET, channel_access_token=TOKEN, simulator=False, secret_key=SECRET_KEY,
                    line_api_base_url=served_fake.url, line_data_api_base_url=served_fake.url,
                    database_url=db_url, base_url="https://kairan.example.jp", handle_events_inline=True,
                    line_timeout_seconds=5.0)


@pytest.fixture
def app(settings, fake):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["kairan"].db.dispose()


@pytest.fixture
def k(app):
    return app.extensions["kairan"]


@pytest.fixture
def db(k):
    return k.db


@pytest.fixture
def line(app, fake):
    return Line(app.test_client(), fake)


def user_id(name: str) -> str:
    return "U" + uuid.uuid5(uuid.NAMESPACE_URL, name).hex


@pytest.fixture
def demo(db):
    """The demo association (東町自治会): 3 班, 12 households, officers among them."""
    from bot.dev.demo import seed

    with db.session() as s:
        seed(s)
    return db


def member(db, uid: str):
    """The member row of a LINE user (with its household loaded), or None."""
    from sqlalchemy import select

    from models import Member

    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == uid))
        if m is not None:
            _ = m.household and m.household.name
        return m


def tap(messages: list[dict], label: str) -> dict:
    """The action labelled `label` (kept for older imports: it finds, `chat.button`; to tap, use
    the driver's `line.tap(who, messages, label)`)."""
    return button(messages, label)


def dump_everything(db) -> str:
    """Every row of every table, as text (JSON columns both as objects and as stored)."""
    from models import Base

    out = []
    with db.engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            for row in c.execute(table.select()):
                out.append(f"{table.name}: {tuple(row)!r} {json.dumps([str(v) for v in row], ensure_ascii=True)}")
    return "\n".join(out)

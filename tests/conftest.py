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
import itertools
import json
import os
import shutil
import time
import uuid

import pytest
import time_machine
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.config import Settings
from bot.dev.fake_line import FakeLine, ServedFake
from bot.webhook import signature
from line_spec import validate_request, validate_webhook_event
from models.db import normalize_url
from models.migrate import upgrade

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
SECRET_KEY = "test-secret-key-" + "k" * 32  # outside simulator mode Settings requires one
PG_URL = os.environ.get("KAIRAN_TEST_DATABASE_URL")
JST = dt.timezone(dt.timedelta(hours=9))
CLOCK_ENV = "KAIRAN_TEST_CLOCK"
_session_clock = None
# Helper modules (not test modules) whose fixtures every test may use: `sim`, the served simulator,
# and `chrome`, a Playwright page in headless Chromium (no test module imports another).
pytest_plugins = ["served", "browser"]


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
    return f"kairan clock: {now:%Y-%m-%d %H:%M:%S%z} ({'travelled, ' + CLOCK_ENV if _session_clock else 'real'})"


def spec_errors(kind: str, body: dict) -> list[str]:
    try:
        validate_request(kind, body)
    except AssertionError as e:
        return [str(e)]
    return []


@pytest.fixture(scope="session")
def served_fake():
    served = ServedFake(FakeLine(validator=spec_errors))
    yield served
    served.close()


@pytest.fixture
def fake(served_fake):
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


@pytest.fixture
def db_url(template_db, tmp_path):
    if PG_URL:
        engine = create_engine(template_db)
        with engine.begin() as c:
            tables = [r[0] for r in c.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
            c.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
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


_ids = itertools.count(1)


def event_id() -> str:
    return f"01TEST{next(_ids):020d}"


class Line:
    """Plays LINE: builds complete webhook events, signs them, posts them to /callback."""

    def __init__(self, client, fake: FakeLine, secret: str = SECRET):
        self.client, self.fake, self.secret = client, fake, secret
        self.last_status = None

    def base(self, user: str, etype: str, reply: bool = True) -> dict:
        e = {"type": etype, "mode": "active", "timestamp": int(time.time() * 1000),
             "source": {"type": "user", "userId": user}, "webhookEventId": event_id(),
             "deliveryContext": {"isRedelivery": False}}
        if reply:
            e["replyToken"] = self.fake.issue_reply_token(user)
        return e

    def post(self, *events: dict, signature_override: str | None = None, validate: bool = True) -> int:
        for e in events:
            if validate:  # our fixtures must look exactly like LINE's events
                validate_webhook_event(e)
        body = json.dumps({"destination": "U" + "f" * 32, "events": list(events)}, ensure_ascii=False).encode()
        sig = signature_override if signature_override is not None else signature(self.secret, body)
        resp = self.client.post("/callback", data=body, headers={"X-Line-Signature": sig,
                                                                 "Content-Type": "application/json"})
        self.last_status = resp.status_code
        return resp.status_code

    def text_event(self, user: str, text: str) -> dict:
        e = self.base(user, "message")
        e["message"] = {"id": uuid.uuid4().hex[:16], "type": "text", "text": text, "quoteToken": uuid.uuid4().hex}
        return e

    def postback_event(self, user: str, data: str) -> dict:
        e = self.base(user, "postback")
        e["postback"] = {"data": data}
        return e

    def text(self, user: str, text: str) -> list[dict]:
        return self._answer(user, self.text_event(user, text))

    def postback(self, user: str, data: str) -> list[dict]:
        return self._answer(user, self.postback_event(user, data))

    def follow(self, user: str) -> list[dict]:
        e = self.base(user, "follow")
        e["follow"] = {"isUnblocked": False}
        return self._answer(user, e)

    def unfollow(self, user: str) -> int:
        return self.post(self.base(user, "unfollow", reply=False))

    def image(self, user: str, data: bytes = b"\x89PNG fake", content_type: str = "image/png") -> list[dict]:
        e = self.base(user, "message")
        mid = uuid.uuid4().hex[:16]
        self.fake.content[mid] = (data, content_type)
        e["message"] = {"id": mid, "type": "image", "contentProvider": {"type": "line"}, "quoteToken": uuid.uuid4().hex}
        return self._answer(user, e)

    def file(self, user: str, name: str, data: bytes, content_type: str = "application/pdf") -> list[dict]:
        e = self.base(user, "message")
        mid = uuid.uuid4().hex[:16]
        self.fake.content[mid] = (data, content_type)
        e["message"] = {"id": mid, "type": "file", "fileName": name, "fileSize": len(data)}
        return self._answer(user, e)

    def location(self, user: str, lat: float, lng: float, address: str | None = None) -> list[dict]:
        e = self.base(user, "message")
        e["message"] = {"id": uuid.uuid4().hex[:16], "type": "location", "latitude": lat, "longitude": lng}
        if address:
            e["message"]["address"] = address
        return self._answer(user, e)

    def _answer(self, user: str, event: dict) -> list[dict]:
        """Post the event; return the messages the bot sent back to this user in reply."""
        before = max((d.seq for d in self.fake.delivered), default=0)
        status = self.post(event)
        assert status == 200, status
        return [d.message for d in self.fake.messages_for(user, after=before) if d.via == "reply"]


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


def actions(messages: list[dict]) -> list[dict]:
    """Every action a user could tap in these messages (Flex buttons and quick replies)."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if "action" in node and isinstance(node["action"], dict):
                found.append(node["action"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(messages)
    return found


def tap(messages: list[dict], label: str) -> dict:
    """The action a user taps by its label (fails loudly when it is not there)."""
    hits = [a for a in actions(messages) if a.get("label") == label]
    assert hits, f"no button {label!r} among {[a.get('label') for a in actions(messages)]}"
    return hits[-1]


def all_text(messages: list[dict]) -> str:
    from bot.dev.fake_line import message_text

    return "\n".join(message_text(m) for m in messages)


def member(db, uid: str):
    """The member row of a LINE user (with its household loaded), or None."""
    from sqlalchemy import select

    from models import Member

    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == uid))
        if m is not None:
            _ = m.household and m.household.name
        return m

"""One quota figure for every process: two app instances (two gunicorn workers) on one database,
a fake LINE whose usage changes under them. The preview and the [送信] decide on the same figure."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

import bot.outbox as outbox
from bot.app import create_app
from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Circular, CircularState, LineQuota, OutboxMessage, quota

from chat import Line, all_text

CHAIR = demo_user_id("山田 太郎")
NOW = dt.datetime(2026, 11, 10, 1, 0, tzinfo=dt.timezone.utc)  # 10:00 JST, mid-month


@pytest.fixture
def settings(settings):
    return settings.with_(urgent_quota_reserve=0)  # the reserve has its own test (test_outbox.py)


@pytest.fixture
def line2(settings, fake, app):
    """A second worker: its own app, LINE client and database pool, on the same database."""
    other = create_app(settings)
    other.config["TESTING"] = True
    yield Line(other.test_client(), fake)
    other.extensions["kairan"].db.dispose()


def quota_reads(fake) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith("/quota/consumption"))


def circular(db) -> Circular:
    with db.session() as s:
        return s.scalars(select(Circular).order_by(Circular.id.desc())).first()


def queued(db) -> int:
    with db.session() as s:
        return sum(len(r.recipients) for r in s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")))


def test_send_in_another_worker_asks_again_when_the_quota_went_elsewhere(line, line2, demo, db, fake):
    fake.quota_limit = 20
    with time_machine.travel(NOW, tick=False):
        # worker 2 shows a preview while 20 are left (before the fix it kept that figure for 120 s)
        preview = line2.text(CHAIR, "回覧 上限テスト\n本文")
        assert "今月の残り 20通" in all_text(preview)
    fake.usage_elsewhere = 15  # e.g. a message sent from LINE Official Account Manager
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        # worker 1 shows the preview again: 5 left, fewer than the 9 this circular needs
        preview = line.text(CHAIR, "リマインド: なし")
        assert "今月の残り 5通" in all_text(preview)
        # [送信] lands on worker 2: it asks LINE again and asks the officer again
        warn = line2.tap(CHAIR, preview, texts.SEND)
        assert "今月の残り5通に対し、この送信には9通が必要です" in all_text(warn)
        assert circular(db).state == CircularState.draft and queued(db) == 0
        line.tap(CHAIR, warn, texts.SEND_ANYWAY)
        assert circular(db).state == CircularState.sent


def test_what_kairan_queued_counts_in_every_worker_without_asking_line(line, line2, demo, db, fake, k):
    fake.quota_limit = 20
    with time_machine.travel(NOW, tick=False):
        first = line.text(CHAIR, "回覧 一通目\n本文")
        assert "今月の残り 20通" in all_text(first)
        line.tap(CHAIR, first, texts.SEND)
        waiting = queued(db)
        assert 20 - 9 < waiting < 20  # the circular's multicast and the paper lists, not sent yet
    with time_machine.travel(NOW + dt.timedelta(seconds=20), tick=False):
        reads = quota_reads(fake)
        second = line2.text(CHAIR, "回覧 二通目\n本文")
        # worker 2 counts what worker 1 queued, from the shared figure (no new question to LINE)
        assert f"今月の残り {20 - waiting}通" in all_text(second)
        assert quota_reads(fake) == reads
        warn = line2.tap(CHAIR, second, texts.SEND)
        assert f"今月の残り{20 - waiting}通に対し、この送信には9通が必要です" in all_text(warn)
        assert quota_reads(fake) == reads + 1  # [送信] asked LINE afresh
        outbox.drain(db, k.line)
    # once sent, the same messages are counted once: by kairan until LINE is asked again …
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        with db.session() as s:
            fig = quota.figure(s, k.line, dt.datetime.now(dt.timezone.utc))
            assert (fig.line_usage, fig.sent_since, fig.queued, fig.remaining) == (0, waiting, 0, 20 - waiting)
    # … then by LINE's own figure
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        with db.session() as s:
            fig = quota.figure(s, k.line, dt.datetime.now(dt.timezone.utc))
            assert (fig.line_usage, fig.sent_since, fig.queued, fig.remaining) == (waiting, 0, 0, 20 - waiting)
            assert s.scalar(select(func.count()).select_from(LineQuota)) == 1


def test_a_new_month_reads_line_again(demo, db, fake, k):
    fake.quota_limit = 30
    fake.usage_elsewhere = 30
    end_of_month = dt.datetime(2026, 11, 30, 14, 59, tzinfo=dt.timezone.utc)  # 23:59 JST on 30 Nov
    with time_machine.travel(end_of_month, tick=False) as clock:  # the app's clock agrees with the figure's
        with db.session() as s:
            assert quota.figure(s, k.line, end_of_month).remaining == 0
        fake.usage_elsewhere = 0  # LINE's count starts again on the 1st, Japan time
        reads = quota_reads(fake)
        clock.shift(dt.timedelta(minutes=2))
        with db.session() as s:
            assert quota.figure(s, k.line, end_of_month + dt.timedelta(minutes=2)).remaining == 30
        assert quota_reads(fake) == reads + 1

"""Review findings on the inbox: a failed event does not hold up its user's later ones (4), a
reply whose connection was reset falls back to a push while a timed-out one does not, except the
answer to a rescue request (6), one LINE client and plain reads (10), and no LINE quota call while
a handling transaction is open (1)."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine
from sqlalchemy import event, func, select

import bot.outbox as outbox
from bot.app import create_app
from bot.dev.demo import demo_user_id
from bot.inbox import MAX_ATTEMPTS, _next_for_user, store
from handlers.framework.router import router
from handlers.messages import texts
from models import Circular, CircularState, OutboxMessage, WebhookEvent

from chat import Line, all_text, button
from conftest import user_id

CHAIR = demo_user_id("山田 太郎")
BOSAI = demo_user_id("小林 修")  # 防災担当
NAKAMURA = demo_user_id("中村 幸子")  # 2班
SATO = demo_user_id("佐藤 花子")  # 1班
NOW = dt.datetime(2026, 11, 10, 1, 0, tzinfo=dt.timezone.utc)  # 10:00 JST, mid-month


@pytest.fixture
def settings(settings):
    return settings.with_(urgent_quota_reserve=0)  # the reserve has its own tests (test_outbox.py)


def check_of(fake, user):
    hits = [d.message for d in fake.delivered
            if d.user_id == user and texts.SAFETY_CHECK_TITLE.split("】")[0] in d.message.get("altText", "")]
    assert hits, f"no safety check for {user}"
    return hits[-1]


def status_of(db, event_id: str) -> tuple[str, int]:
    with db.session() as s:
        row = s.get(WebhookEvent, event_id)
        return row.status, row.attempts


def replied_tokens(fake) -> list[str]:
    return [r.body["replyToken"] for r in fake.sends("/reply") if r.status == 200]


@pytest.fixture
def failing(monkeypatch):
    """router.dispatch raising for the texts in `fail` (a count per text: how many times)."""
    fail: dict[str, int] = {}
    real = router.dispatch

    def dispatch(ctx):
        text = getattr(getattr(ctx.event, "message", None), "text", None)
        if fail.get(text, 0) > 0:
            fail[text] -= 1
            raise RuntimeError("handler failed")
        return real(ctx)

    monkeypatch.setattr(router, "dispatch", dispatch)
    return fail


# --- 4: a failed event stops blocking its user's later events -----------------------------------
def test_after_a_failure_the_users_next_event_is_handled_at_once(k, line, demo, db, fake, failing):
    u = user_id("fails once")
    first, second = line.text_event(u, "一"), line.text_event(u, "二")
    second["timestamp"] = first["timestamp"] + 1
    failing["一"] = 1
    store(db, [first])
    assert k.processor.handle(first["webhookEventId"]) == 0
    assert status_of(db, first["webhookEventId"]) == ("received", 1)  # waits for the sweep's retry
    store(db, [second])
    # handled now, not after the sweep (before the fix: refused while 一 was unhandled)
    assert k.processor.handle(second["webhookEventId"]) == 1
    assert status_of(db, second["webhookEventId"])[0] == "done"
    assert replied_tokens(fake) == [second["replyToken"]]
    # the failed one is still retried by the sweep, and done
    assert k.processor.sweep(after=dt.timedelta(0)) == 1
    assert status_of(db, first["webhookEventId"]) == ("done", 2)
    assert replied_tokens(fake) == [second["replyToken"], first["replyToken"]]


def test_a_failure_in_the_chain_goes_on_to_the_users_next_event(k, line, demo, db, fake, failing):
    """Both stored already (二 refused while 一 was being handled): 一 fails, and whoever handled
    it goes on to 二 at once. 一 keeps failing: after MAX_ATTEMPTS it is failed, for a person."""
    u = user_id("fails always")
    first, second, third = (line.text_event(u, t) for t in ("一", "二", "三"))
    second["timestamp"], third["timestamp"] = first["timestamp"] + 1, first["timestamp"] + 2
    failing["一"] = MAX_ATTEMPTS
    store(db, [first, second, third])
    assert k.processor.handle(second["webhookEventId"]) == 0  # 一 is earlier and not yet tried
    assert k.processor.handle(first["webhookEventId"]) == 2  # 一 failed; 二 and 三 handled
    assert replied_tokens(fake) == [second["replyToken"], third["replyToken"]]
    for attempt in range(2, MAX_ATTEMPTS + 1):
        assert k.processor.sweep(after=dt.timedelta(0)) == 0
        assert status_of(db, first["webhookEventId"]) == ("received" if attempt < MAX_ATTEMPTS else "failed", attempt)


# --- 6: a reset connection is "not sent", a read timeout "may have been accepted" -----------------
def test_a_reply_on_a_reset_connection_falls_back_to_a_push(line, demo, db, fake, k):
    fake.fail_next(0, path_contains="reply", reset=True)
    line.post(line.text_event(CHAIR, "状況"))
    assert [r.status for r in fake.sends("/reply")] == [0]  # the fake dropped it unanswered
    assert fake.messages_for(CHAIR) == []
    outbox.drain(db, k.line)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reply-fallback")).all()
        assert row.status == "sent" and row.recipients == [CHAIR] and row.priority == 0
    assert [d.via for d in fake.messages_for(CHAIR)] == ["push"] * len(row.messages)


@pytest.fixture
def short_replies(settings, fake, demo):
    """An app whose replies give up after 0.3 s (the LINE client's own timeout stays 5 s)."""
    app = create_app(settings.with_(reply_timeout_seconds=0.3))
    yield Line(app.test_client(), fake), app.extensions["kairan"]
    app.extensions["kairan"].db.dispose()


def wait_for_reply(fake, user: str, text: str) -> None:
    end = time.monotonic() + 10  # the fake delivers the slow reply after its latency
    while time.monotonic() < end:
        if any(d.via == "reply" and text in all_text([d.message]) for d in fake.messages_for(user)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no reply with {text!r}")


def test_a_timed_out_reply_is_pushed_again_only_when_it_answers_a_rescue_request(short_replies, fake):
    line, k = short_replies
    with time_machine.travel(dt.datetime(2026, 11, 22, 14, 40, tzinfo=dt.timezone.utc), tick=False):
        q = line.text(BOSAI, "災害モード")
        q = line.tap(BOSAI, q, "地震")
        confirm = line.text(BOSAI, "大きな揺れがありました。")
        line.tap(BOSAI, confirm, texts.DISASTER_START)
        outbox.drain(k.db, k.line)
        fake.latency = 0.8  # LINE delivers each reply but answers after the 0.3 s the reply waits
        line.post(line.postback_event(SATO, button([check_of(fake, SATO)], "無事")["data"]))
        line.post(line.postback_event(NAKAMURA, button([check_of(fake, NAKAMURA)], "救助が必要")["data"]))
        wait_for_reply(fake, SATO, "無事")
        wait_for_reply(fake, NAKAMURA, texts.RESCUE_TOLD)
        fake.latency = 0.0
        with k.db.session() as s:
            rows = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
            fallback = [r for r in rows if r.purpose == "reply-fallback"]
            alert = [r for r in rows if r.purpose.startswith("rescue:")]
            # 無事: most likely delivered, not said twice. 救助が必要: pushed too (an urgent row,
            # never held for the quota reserve), behind the officers' alert
            assert [r.recipients for r in fallback] == [[NAKAMURA]]
            assert outbox.URGENT_PRIORITY <= fallback[0].priority < alert[0].priority
        outbox.drain(k.db, k.line)
    pushed = [d.message for d in fake.messages_for(NAKAMURA) if d.via == "push"]
    assert texts.RESCUE_TOLD in all_text(pushed)
    assert [d for d in fake.messages_for(SATO) if d.via == "push"] == []


# --- 10: one LINE client; reads that do not take SQLite's write lock -----------------------------
def test_replies_go_through_the_one_line_client_with_their_own_timeout(short_replies, monkeypatch):
    line, k = short_replies
    calls: list[tuple[str, tuple]] = []
    real = k.line._call

    def spy(what, fn, *args, read_timeout=None, **kwargs):
        calls.append((what, read_timeout))
        return real(what, fn, *args, read_timeout=read_timeout, **kwargs)

    monkeypatch.setattr(k.line, "_call", spy)
    assert k.processor.line is k.line
    line.text(CHAIR, "状況")
    assert calls == [("reply", 0.3)]


def test_the_inbox_reads_while_another_transaction_writes(k, line, demo, db):
    """A read session takes no write lock: 32 handling threads looking up their next event do
    not queue behind (or in front of) the request threads' inserts. On SQLite a session opens with
    BEGIN IMMEDIATE; a read session with a plain BEGIN."""
    u = user_id("reader")
    e = line.text_event(u, "一")
    store(db, [e])
    writing, done = threading.Event(), threading.Event()

    def writer():
        with db.session() as s:
            s.execute(select(func.count()).select_from(WebhookEvent))  # begins: holds the write lock
            s.add(WebhookEvent(id="held-open", event_type="message", status="done", attempts=0))
            s.flush()
            writing.set()
            done.wait(20)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert writing.wait(10)
        found: list = []
        reader = threading.Thread(target=lambda: found.append(_next_for_user(db, u)))
        reader.start()
        reader.join(5)  # a write session would wait for the lock (busy_timeout 10 s), then fail
        assert found == [e["webhookEventId"]]
    finally:
        done.set()
        t.join()


# --- 1: no LINE quota call while a transaction is open -------------------------------------------
@pytest.fixture
def open_transactions(db):
    """How many transactions each thread has open, from the engine's own events."""
    depth: dict[int, int] = {}

    def began(conn):
        depth[threading.get_ident()] = depth.get(threading.get_ident(), 0) + 1

    def ended(conn):
        depth[threading.get_ident()] = depth.get(threading.get_ident(), 0) - 1

    event.listen(db.engine, "begin", began)
    event.listen(db.engine, "commit", ended)
    event.listen(db.engine, "rollback", ended)
    yield depth
    event.remove(db.engine, "begin", began)
    event.remove(db.engine, "commit", ended)
    event.remove(db.engine, "rollback", ended)


def test_send_asks_line_for_the_quota_before_its_transaction_opens(line, demo, db, fake, k, settings,
                                                                      open_transactions, monkeypatch):
    assert {"circ_send", "ev_send"} <= router.quota_actions  # both [送信] are registered
    asked: list[int] = []
    real = k.line.quota

    def quota():
        asked.append(open_transactions.get(threading.get_ident(), 0))
        return real()

    monkeypatch.setattr(k.line, "quota", quota)
    fake.quota_limit = 20
    with time_machine.travel(NOW, tick=False):
        preview = line.text(CHAIR, "回覧 上限テスト\n本文")
        assert "今月の残り 20通" in all_text(preview)
        fake.usage_elsewhere = 15  # used elsewhere after the preview: only LINE knows
        asked.clear()
        warn = line.tap(CHAIR, preview, texts.SEND)
        # [送信] asked LINE afresh (it saw the 15), with no transaction open in that thread
        assert "今月の残り5通に対し、この送信には9通が必要です" in all_text(warn)
        assert asked == [0]
        with db.session() as s:
            assert s.scalars(select(Circular.state)).all() == [CircularState.draft]

"""The outbox under faults: 5xx, 429, timeouts, crashes and two dispatchers — each user gets each message once."""
import collections
import datetime as dt
import threading
import time

import pytest
import time_machine
from sqlalchemy import func, select

import bot.outbox as outbox
from bot.dev.demo import demo_user_id
from bot.line.client import LineClient
from handlers.messages import texts
from models import Association, OutboxMessage
from models.messaging import enqueue
from scheduler.runner import _guarded

from chat import all_text

CHAIR = demo_user_id("山田 太郎")
JST = dt.timezone(dt.timedelta(hours=9))


def send_circular(line, title="清掃のお知らせ"):
    preview = line.text(CHAIR, f"回覧 {title}\n本文です。")
    line.tap(CHAIR, preview, texts.SEND)


def copies(fake, title):
    """How many times each user received the circular titled `title` (its Flex has the title as altText)."""
    return collections.Counter(d.user_id for d in fake.delivered
                               if d.via != "reply" and d.message.get("altText") == texts.ALT_CIRCULAR.format(title=title))


def run_until_done(db, line_client, rounds=30):
    """Dispatch, moving the clock past every backoff, until the outbox is settled."""
    start = dt.datetime.now(dt.timezone.utc)
    for i in range(rounds):
        with time_machine.travel(start + dt.timedelta(seconds=700 * i), tick=False):
            outbox.dispatch_once(db, line_client, limit=100)
        with db.session() as s:
            if not s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status.in_(("pending", "sending")))):
                return i
    raise AssertionError("outbox never settled")


def statuses(db):
    with db.session() as s:
        return collections.Counter(s.scalars(select(OutboxMessage.status)))


def test_500_and_429_for_a_while_still_exactly_once(line, demo, db, fake, k):
    send_circular(line)
    fake.fail_next(500, times=3, path_contains="multicast")
    fake.fail_next(429, times=2, path_contains="multicast",
                   body={"message": "The API rate limit has been exceeded. Try again later."},
                   headers={"Retry-After": "1"})
    run_until_done(db, k.line)
    got = copies(fake, "清掃のお知らせ")
    assert len(got) == 9 and set(got.values()) == {1}
    attempts = [r for r in fake.sends("/multicast")]
    assert len(attempts) == 6  # five refused, one accepted
    assert len({r.retry_key for r in attempts}) == 1  # the same key …
    assert len({str(r.body) for r in attempts}) == 1  # … and the same body every time
    assert statuses(db)["sent"] == sum(statuses(db).values())


def test_accepted_but_answer_lost_is_not_sent_twice(line, demo, db, fake, k):
    send_circular(line)
    fake.fail_next(500, path_contains="multicast", accept_anyway=True)  # LINE took it; we saw a 500
    run_until_done(db, k.line)
    assert set(copies(fake, "清掃のお知らせ").values()) == {1}
    assert [r.status for r in fake.sends("/multicast")] == [500, 409]  # the retry was recognised


def test_timeout_then_retry_with_same_key(line, demo, db, fake, k, settings):
    send_circular(line)
    slow = LineClient(settings.with_(line_timeout_seconds=0.3))
    fake.latency = 0.6  # LINE is slow: our read times out, but it did accept the request
    outbox.dispatch_once(db, slow, limit=100)
    with db.session() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "multicast"))
        assert row.status == "pending" and row.last_status is None and "Timeout" in row.last_error
    fake.latency = 0.0
    run_until_done(db, k.line)
    assert set(copies(fake, "清掃のお知らせ").values()) == {1}


def test_dispatcher_killed_between_send_and_mark(line, demo, db, fake, k, monkeypatch):
    send_circular(line)
    real_settle = outbox.settle

    def crash(*a, **kw):
        raise SystemExit("killed")

    monkeypatch.setattr(outbox, "settle", crash)
    with pytest.raises(SystemExit):
        outbox.dispatch_once(db, k.line, limit=100)
    monkeypatch.setattr(outbox, "settle", real_settle)
    assert statuses(db)["sending"] >= 1
    # restarted at once: the lease still holds, nothing is sent again yet
    outbox.dispatch_once(db, k.line, limit=100)
    sent_before = len(fake.sends("/multicast"))
    later = dt.datetime.now(dt.timezone.utc) + outbox.LEASE + dt.timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        outbox.dispatch_once(db, k.line, limit=100)
    assert len(fake.sends("/multicast")) == sent_before + 1
    assert fake.sends("/multicast")[-1].status == 409
    assert set(copies(fake, "清掃のお知らせ").values()) == {1}
    assert set(statuses(db)) == {"sent"}


def test_monthly_limit_is_held_and_officers_are_told(line, demo, db, fake, k):
    # mid-month, frozen: the reset (1st of next month, 00:05 JST) must not come during the test
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=JST), tick=False):
        send_circular(line)
        fake.fail_next(429, times=1, path_contains="multicast", body={"message": "You have reached your monthly limit."})
        outbox.dispatch_once(db, k.line, limit=100)
        with db.session() as s:
            row = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "multicast"))
            assert row.status == "held"
            reset = row.next_attempt_at.astimezone(JST)
            assert reset == dt.datetime(2026, 12, 1, 0, 5, tzinfo=JST)  # the 1st of next month
            # LINE would refuse the channel's other ordinary rows too (the paper lists): held with it
            held = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "held"))
            assert held == s.scalar(select(func.count()).select_from(OutboxMessage))
        assert len(fake.sends("/push")) == 0
        status = all_text(line.text(CHAIR, "状況"))
        assert f"今月の送信上限に達したため、{held}件の送信を来月まで保留しています" in status
        outbox.dispatch_once(db, k.line, limit=100)
        assert copies(fake, "清掃のお知らせ") == {}  # not retried this month
        with time_machine.travel(reset + dt.timedelta(minutes=1), tick=False):
            outbox.dispatch_once(db, k.line, limit=100)
        assert set(copies(fake, "清掃のお知らせ").values()) == {1}


def test_unfixable_4xx_fails_visibly(line, demo, db, fake, k):
    send_circular(line)
    fake.fail_next(400, path_contains="multicast", body={"message": "The request body has 1 error(s)",
                                                         "details": [{"message": "invalid", "property": "to[0]"}]})
    run_until_done(db, k.line)
    with db.session() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "multicast"))
        assert row.status == "failed" and row.last_status == 400 and "to[0]" in row.last_error
    assert "送れなかったメッセージが1件あります" in all_text(line.text(CHAIR, "状況"))
    # a block leader's 状況 does not show association-wide delivery problems
    assert "送れなかった" not in all_text(line.text(demo_user_id("田中 実"), "状況"))


def test_urgent_rows_are_claimed_first(demo, db, k):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        for i in range(30):
            enqueue(s, assoc.id, ["U%032x" % i], [{"type": "text", "text": "お知らせ"}], "bulk")
        enqueue(s, assoc.id, ["U%032x" % 999], [{"type": "text", "text": "救助要請"}], "rescue", priority=100)
    (first,) = outbox.claim(db, limit=1)
    assert first.purpose == "rescue"


def test_two_dispatchers_never_double_send(demo, db, fake, k, settings):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        for i in range(80):
            enqueue(s, assoc.id, ["U%032x" % i], [{"type": "text", "text": f"お知らせ{i}"}], f"n:{i}")
    fake.latency = 0.01
    clients = [k.line, LineClient(settings)]
    errors = []

    def worker(client):
        try:
            for _ in range(200):
                if outbox.dispatch_once(db, client, limit=5) == 0 and not statuses(db).get("pending"):
                    break
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    keys = collections.Counter(r.retry_key for r in fake.sends("/push"))
    assert len(keys) == 80 and set(keys.values()) == {1}  # each row sent once, no 409 needed
    assert statuses(db) == {"sent": 80}


def test_a_crashing_job_is_logged_and_does_not_raise(caplog):
    def broken(_k):
        raise RuntimeError("boom")

    _guarded(broken, object())()
    assert "job broken failed" in caplog.text


def test_urgent_rows_are_not_held_for_next_month(demo, db, fake, k):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        enqueue(s, assoc.id, [CHAIR], [{"type": "text", "text": "【救助要請】"}], "rescue:1", priority=100)
    fake.fail_next(429, path_contains="push", body={"message": "You have reached your monthly limit."})
    outbox.dispatch_once(db, k.line)
    with db.session() as s:
        row = s.scalar(select(OutboxMessage))
        assert row.status == "failed" and "monthly limit" in row.last_error  # shown now, not next month


def test_a_message_breaking_lines_limits_fails_visibly_without_a_request(demo, db, fake, k):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        enqueue(s, assoc.id, [CHAIR], [{"type": "text", "text": "あ" * 5001}], "too-long")
    outbox.dispatch_once(db, k.line)
    assert fake.sends("/push") == []
    with db.session() as s:
        row = s.scalar(select(OutboxMessage))
        assert row.status == "failed" and row.last_status == 400 and "5000" in row.last_error


# --- issue 8: recovery in seconds; issue 18 #10: a LINE slower than our timeout ----------------
def bulk(db, n, priority=0, purpose="bulk", text="お知らせ", start=0):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        for i in range(start, start + n):
            enqueue(s, assoc.id, ["U%032x" % i], [{"type": "text", "text": f"{text}{i}"}], f"{purpose}:{i}",
                    priority=priority)


def test_a_claim_takes_one_row_for_a_lease_just_above_the_client_timeout(demo, db, settings):
    bulk(db, 5)
    client = LineClient(settings.with_(line_timeout_seconds=2.0))
    now = dt.datetime.now(dt.timezone.utc)
    (row,) = outbox.claim(db, 1, now=now, line=client)
    lease = row.locked_until - now
    # connect (2 s) + read (2 s) + a few seconds' margin: not 120 s, not 20 rows
    assert dt.timedelta(seconds=4) < lease <= dt.timedelta(seconds=8)
    assert statuses(db) == {"sending": 1, "pending": 4}


def test_urgent_row_queued_during_a_run_goes_next(demo, db, fake, k):
    bulk(db, 5)
    order = []

    class Watching:
        """The real client; while the first ordinary push is in flight a rescue alert is queued."""

        settings = k.line.settings

        def __getattr__(self, name):
            return getattr(k.line, name)

        def push(self, to, messages, key, **kw):
            order.append(messages[0]["text"])
            if len(order) == 1:
                bulk(db, 1, priority=100, purpose="rescue", text="救助要請", start=900)
            return k.line.push(to, messages, key, **kw)

    outbox.dispatch_once(db, Watching(), limit=100)
    assert order[:2] == ["お知らせ0", "救助要請900"]  # not behind the other four
    assert statuses(db) == {"sent": 6}


def test_a_slow_line_settles_on_the_retry_that_gets_409(demo, db, fake, settings):
    bulk(db, 1)
    slow = LineClient(settings.with_(line_timeout_seconds=0.3))
    fake.latency = 0.45  # every answer, the 409 included, comes after our first read timeout (0.3 s)
    run_until_done(db, slow, rounds=6)
    pushes = fake.sends("/push")
    # accepted once; a retry waited longer (0.6 s, then 1.2 s) and its 409 settled the row
    assert pushes[0].status == 200 and {r.status for r in pushes[1:]} == {409} and len(pushes) in (2, 3)
    assert len({r.retry_key for r in pushes}) == 1
    assert len(fake.messages_for("U%032x" % 0)) == 1
    with db.session() as s:
        row = s.scalar(select(OutboxMessage))
        assert row.status == "sent" and row.attempts == len(pushes) and row.last_status == 409


def test_a_reply_that_timed_out_is_not_pushed_again(demo, db, fake, settings):
    from bot.app import create_app

    from chat import Line

    app = create_app(settings.with_(line_timeout_seconds=0.3))
    try:
        line = Line(app.test_client(), fake)
        fake.latency = 0.8  # LINE delivers the reply, but answers after our read timeout
        line.post(line.text_event(CHAIR, "状況"))
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.purpose == "reply-fallback")) == 0
        deadline = time.monotonic() + 10
        while not fake.messages_for(CHAIR) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {d.via for d in fake.messages_for(CHAIR)} == {"reply"}  # the reply came, once
    finally:
        app.extensions["kairan"].db.dispose()


def test_a_refused_reply_falls_back_to_a_push(line, demo, db, fake, k):
    fake.fail_next(400, path_contains="reply", body={"message": "Invalid reply token"})
    line.post(line.text_event(CHAIR, "状況"))
    outbox.drain(db, k.line)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reply-fallback")).all()
        assert row.status == "sent" and row.recipients == [CHAIR]
    assert [d.via for d in fake.messages_for(CHAIR)] == ["push"] * len(row.messages)


# --- issue 18 #2: urgent rows are never starved by ordinary ones of the same month ---------------
def test_ordinary_rows_leave_the_reserve_for_urgent_ones(line, demo, db, fake, k, settings):
    assert settings.urgent_quota_reserve == 50
    fake.quota_limit = 65
    bulk(db, 10)  # 10 pushes: 65 - 10 = 55, above the reserve
    outbox.drain(db, k.line)
    assert statuses(db) == {"sent": 10}
    bulk(db, 10, start=10)  # only 5 of these fit above the reserve
    outbox.drain(db, k.line)
    bulk(db, 3, priority=100, purpose="rescue", text="救助要請", start=900)  # then a disaster
    outbox.drain(db, k.line)
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows if r.purpose.startswith("rescue")] == ["sent"] * 3
    assert collections.Counter(r.status for r in rows if r.purpose.startswith("bulk")) == {"sent": 15, "held": 5}
    assert len(fake.sends("/push")) == 18 and {r.status for r in fake.sends("/push")} == {200}
    assert "今月の送信上限に達したため、5件の送信を来月まで保留しています" in all_text(line.text(CHAIR, "状況"))
    # the association moves to a bigger plan: held rows go at the next look, not next month
    fake.quota_limit = 1000
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + outbox.RESERVE_RECHECK + dt.timedelta(minutes=1),
                             tick=False):
        outbox.drain(db, k.line)
    assert statuses(db) == {"sent": 23}


def test_a_stop_between_claim_and_send_gives_the_row_back(demo, db, fake, k, monkeypatch):
    bulk(db, 3)
    stop = threading.Event()
    real_claim = outbox.claim

    def claim_then_sigterm(*a, **kw):
        rows = real_claim(*a, **kw)
        stop.set()  # SIGTERM arrives right after the claim
        return rows

    monkeypatch.setattr(outbox, "claim", claim_then_sigterm)
    assert outbox.dispatch_once(db, k.line, limit=100, stop=stop) == 0
    assert fake.sends() == []
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage)).all()
        assert [(r.status, r.attempts, r.locked_until) for r in rows] == [("pending", 0, None)] * 3

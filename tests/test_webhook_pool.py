"""Issue 18 #3 and #8: handling runs on the handling pool, off the request thread, in each user's order.

The app here is served as gunicorn serves it (a fixed number of request threads on a real port),
with `handle_events_inline` off, so /callback only verifies, stores and answers.
"""
import http.client
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer

from bot.app import create_app
from bot.webhook import signature
from handlers.framework.router import router
from models import OutboxMessage, WebhookEvent

from conftest import SECRET, event_id, user_id


class FixedThreads(BaseWSGIServer):
    """A WSGI server with a fixed pool of request threads, like gunicorn's gthread worker."""

    def __init__(self, app, threads: int = 4):
        super().__init__("127.0.0.1", 0, app)
        self.requests = ThreadPoolExecutor(threads, thread_name_prefix="request")

    def process_request(self, request, client_address):
        self.requests.submit(self._one, request, client_address)

    def _one(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - as socketserver does
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


@pytest.fixture
def served(settings, fake, demo):
    """kairan on a real port with 4 request threads and its handling pool; yields (url, kairan)."""
    app = create_app(settings.with_(handle_events_inline=False, inbox_workers=64, inbox_order_wait_ms=300))
    k = app.extensions["kairan"]
    server = FixedThreads(app, threads=4)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}", k
    server.shutdown()
    server.requests.shutdown(wait=False, cancel_futures=True)
    k.pool.join(timeout=30)
    k.pool.stop()
    server.server_close()
    k.db.dispose()


def body_of(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "f" * 32, "events": list(events)}, ensure_ascii=False).encode()


def post(host: str, body: bytes, timeout: float = 10.0) -> int:
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        conn.request("POST", "/callback", body=body, headers={"X-Line-Signature": signature(SECRET, body),
                                                                "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def text_event(fake, user: str, text: str, ts: int) -> dict:
    return {"type": "message", "mode": "active", "timestamp": ts, "source": {"type": "user", "userId": user},
            "webhookEventId": event_id(), "deliveryContext": {"isRedelivery": False},
            "replyToken": fake.issue_reply_token(user),
            "message": {"id": str(ts), "type": "text", "text": text, "quoteToken": "q"}}


def wait_done(k, n: int, timeout: float = 60.0) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with k.db.session() as s:
            done = s.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == "done"))
        if done >= n:
            return done
        time.sleep(0.1)
    return done


def test_a_slow_line_does_not_delay_the_200(served, fake):
    """30 events/s for 2 s against a LINE answering every call in 2 s: every 200 comes back
    before its event's reply could have finished, and each event is handled exactly once."""
    host, k = served
    fake.latency = 2.0
    rate, n = 30, 60
    users = [user_id(f"slow {i}") for i in range(n)]
    events = [text_event(fake, u, "こんにちは", int(time.time() * 1000)) for u in users]
    answered: list[tuple[int, float]] = [None] * n  # type: ignore[list-item]

    def one(i: int, at: float) -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        t0 = time.monotonic()
        try:
            status = post(host, body_of(events[i]))
        except OSError as e:  # a timeout: what LINE would see of a stalled server
            status = type(e).__name__
        answered[i] = (status, time.monotonic() - t0)

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(n) as clients:  # open loop: each request leaves at its own time
        list(clients.map(lambda i: one(i, start + i / rate), range(n)))
    assert [s for s, _ in answered] == [200] * n
    # A reply can only start once its event is stored, and it takes 2 s: an answer faster than
    # 2 s came back before that event's reply finished. (Handled on the request threads, the 4
    # threads would take 2 events/s and the answers would wait ever longer, past 10 s.)
    slowest = max(t for _, t in answered)
    print(f"answers: median {sorted(t for _, t in answered)[n // 2]:.3f} s, slowest {slowest:.3f} s")
    assert slowest < 2.0, f"slowest answer {slowest:.2f} s"
    assert wait_done(k, n) == n
    assert k.pool.join(timeout=30)
    replies = [r.body["replyToken"] for r in fake.sends("/reply") if r.status == 200]
    assert sorted(replies) == sorted(e["replyToken"] for e in events)  # each once, none lost
    with k.db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # no push fallback
        assert s.scalars(select(WebhookEvent.status).distinct()).all() == ["done"]


def test_each_users_events_are_handled_in_timestamp_order(served, fake, monkeypatch):
    """Several users' events, one per body, delivered concurrently in shuffled order: each user's
    are handled one after the other in timestamp order, different users' at the same time."""
    host, k = served
    seen: list[tuple[str, str]] = []
    running: dict[str, int] = {}
    overlap = {"same user": 0, "most at once": 0}
    lock = threading.Lock()
    real = router.dispatch

    def recording_dispatch(ctx):
        with lock:
            if running.get(ctx.user_id):
                overlap["same user"] += 1
            running[ctx.user_id] = running.get(ctx.user_id, 0) + 1
            overlap["most at once"] = max(overlap["most at once"], sum(running.values()))
            seen.append((ctx.user_id, ctx.event.message.text))
        try:
            time.sleep(0.05)  # a handler that takes a while: widens any race
            return real(ctx)
        finally:
            with lock:
                running[ctx.user_id] -= 1

    monkeypatch.setattr(router, "dispatch", recording_dispatch)
    users = [user_id(f"order {i}") for i in range(6)]
    t0 = int(time.time() * 1000)
    events = [text_event(fake, u, f"{n}", t0 + n * 10) for u in users for n in range(5)]
    random.Random(8).shuffle(events)
    bodies = [body_of(e) for e in events[:20]]
    # the rest arrive as two bodies of several users' events each, earliest last
    bodies += [body_of(*sorted(events[20:25], key=lambda e: -e["timestamp"])),
               body_of(*sorted(events[25:], key=lambda e: -e["timestamp"]))]
    random.Random(18).shuffle(bodies)
    with ThreadPoolExecutor(8) as clients:
        assert list(clients.map(lambda b: post(host, b), bodies)) == [200] * len(bodies)
    assert wait_done(k, len(events)) == len(events)
    assert k.pool.join(timeout=30)
    for u in users:
        assert [t for who, t in seen if who == u] == ["0", "1", "2", "3", "4"], u
    assert overlap["same user"] == 0
    if not k.db.is_sqlite:  # SQLite lets one transaction write at a time, whoever the user
        assert overlap["most at once"] > 1  # different users are not serialised


def test_a_users_later_event_waits_for_an_earlier_one_in_the_sweep(k, line, demo, db, fake):
    """Stored out of order (the later one first, the earlier one already waiting): the claim refuses
    the later event while the earlier is unhandled, and handling the earlier one goes on to it."""
    from bot.inbox import store

    u = user_id("sweep order")
    first, second = line.text_event(u, "一"), line.text_event(u, "二")
    second["timestamp"] = first["timestamp"] + 1
    store(db, [second, first])  # arrival: second, then first
    assert k.processor.handle(second["webhookEventId"]) == 0  # refused: 一 is earlier and unhandled
    with db.session() as s:
        assert s.get(WebhookEvent, second["webhookEventId"]).status == "received"
    assert k.processor.handle(first["webhookEventId"]) == 2  # 一, then 二 behind it
    tokens = [r.body["replyToken"] for r in fake.sends("/reply")]
    assert tokens == [first["replyToken"], second["replyToken"]]


def test_a_full_queue_leaves_events_in_the_inbox_and_they_are_still_handled(settings, fake, demo):
    app = create_app(settings.with_(handle_events_inline=False, inbox_workers=1, inbox_queue=1,
                                    inbox_order_wait_ms=0))
    k = app.extensions["kairan"]
    client = app.test_client()
    try:
        fake.latency = 0.3
        events = [text_event(fake, user_id(f"full {i}"), "こんにちは", int(time.time() * 1000)) for i in range(6)]
        for e in events:
            body = body_of(e)
            resp = client.post("/callback", data=body, headers={"X-Line-Signature": signature(SECRET, body)})
            assert resp.status_code == 200
        # one thread, a queue of one: most events were turned away, and are taken from the inbox
        assert wait_done(k, len(events), timeout=30) == len(events)
        assert k.pool.join(timeout=30)  # replies go out after "done" is committed
        replies = [r.body["replyToken"] for r in fake.sends("/reply")]
        assert sorted(replies) == sorted(e["replyToken"] for e in events)
    finally:
        k.pool.join(timeout=30)
        k.pool.stop()
        k.db.dispose()


def test_reply_calls_give_up_on_their_own_short_timeout(settings, fake, demo):
    """A handling thread is not held for the whole of a slow LINE's answer: the reply call stops
    waiting after `reply_timeout_seconds` (the general LINE timeout stays longer)."""
    app = create_app(settings.with_(reply_timeout_seconds=0.5, line_timeout_seconds=10.0))
    k = app.extensions["kairan"]
    try:
        fake.latency = 3.0
        e = text_event(fake, user_id("short timeout"), "こんにちは", int(time.time() * 1000))
        from bot.inbox import store

        store(k.db, [e])
        assert k.processor.handle(e["webhookEventId"]) == 1
        # the fake records a reply only once its 3 s are over: none yet, so the call was given up
        assert fake.sends("/reply") == []
        with k.db.session() as s:
            assert s.get(WebhookEvent, e["webhookEventId"]).status == "done"
    finally:
        end = time.monotonic() + 10  # let the fake finish, so its late record lands in this test
        while not fake.sends("/reply") and time.monotonic() < end:
            time.sleep(0.1)
        k.db.dispose()

"""`kairan scheduler` as a real process against a slow fake LINE: killed with SIGKILL mid-send it
recovers within one lease + one tick; stopped with SIGTERM it finishes the send in flight and
leaves nothing `sending`. Every row reaches LINE exactly once (a retry of an accepted key is 409)."""
from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.line.client import LineClient
from bot.outbox import LEASE_MARGIN
from models import Association, OutboxMessage
from models.messaging import enqueue

from conftest import SECRET, TOKEN, real_now

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2.0  # the scheduler's LINE client timeout (connect and read)
LATENCY = 1.0  # the fake LINE answers every send this late
TICK = 2.0  # the dispatch job's interval (scheduler/runner.py)
START = 10.0  # allowance for starting a Python process on a busy 2-core machine


def user(i: int) -> str:
    return "U%032x" % (0xabc000 + i)


def scheduler_command() -> list[str]:
    """`kairan scheduler`, on the test's clock: when the run travels (KAIRAN_TEST_CLOCK), the child
    travels by the same offset from the real clock, ticking, so both agree on what is due."""
    offset = dt.datetime.now(dt.timezone.utc).timestamp() - real_now().timestamp()
    if abs(offset) < 1.0:
        return [sys.executable, "-m", "bot.cli", "scheduler"]
    code = ("import sys, time, time_machine; from bot.cli import main; "
            f"time_machine.travel(time.time() + {offset!r}, tick=True).start(); "
            "sys.argv = ['kairan', 'scheduler']; main()")
    return [sys.executable, "-c", code]


@pytest.fixture
def scheduler(settings, served_fake, tmp_path):
    """Start `kairan scheduler`; every process started is killed at the end of the test."""
    procs: list[subprocess.Popen] = []
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LINE_CHANNEL_SECRET": SECRET,
           "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": served_fake.url,
           "LINE_DATA_API_BASE_URL": served_fake.url, "KAIRAN_LINE_TIMEOUT_SECONDS": str(TIMEOUT),
           "KAIRAN_SECRET_KEY": "test-secret-key-for-the-scheduler-process", "KAIRAN_LOG_LEVEL": "INFO",
           "KAIRAN_BASE_URL": settings.base_url}

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"scheduler{len(procs)}.log", "wb")
        p = subprocess.Popen(scheduler_command(), cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def wait_for(what, seconds: float, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"not within {seconds} s: {what.__doc__ or what}")


def rows(db) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queue(db, n: int, priority: int = 0, start: int = 0, size: int = 3, purpose: str = "bulk") -> None:
    with db.session() as s:
        assoc = s.scalar(select(Association))
        for i in range(start, start + n):
            to = [user(i * 10 + j) for j in range(size)]
            enqueue(s, assoc.id, to, [{"type": "text", "text": f"{purpose} {i}"}], f"{purpose}:{i}", priority=priority)


def arrivals_after(fake, t: float) -> list[str | None]:
    return [key for at, path, key in list(fake.arrivals) if at >= t and path.endswith(("/push", "/multicast"))]


def each_delivered_once(fake, db) -> None:
    got = collections.Counter((d.user_id, d.message["text"]) for d in fake.delivered if d.via != "reply")
    want = {(u, r.messages[0]["text"]) for r in rows(db) for u in r.recipients}
    assert set(got) == want and set(got.values()) == {1}
    accepted = collections.Counter(r.retry_key for r in fake.sends() if r.status == 200)
    assert set(accepted.values()) == {1} and len(accepted) == len(rows(db))


def test_killed_mid_multicast_every_row_goes_within_a_lease_and_a_tick(demo, db, fake, scheduler, settings, capsys):
    lease = LineClient(settings.with_(line_timeout_seconds=TIMEOUT)).call_seconds() + LEASE_MARGIN.total_seconds()
    queue(db, 4)  # four multicasts of three
    fake.latency = LATENCY
    first = scheduler()
    wait_for(lambda: arrivals_after(fake, 0), 60)  # the first multicast is in flight …
    in_flight = arrivals_after(fake, 0)[0]
    queue(db, 2, priority=100, start=90, size=1, purpose="rescue")  # … a rescue alert comes in …
    first.kill()  # … and the dispatcher dies (SIGKILL: no cleanup at all)
    first.wait(10)
    killed = time.monotonic()
    assert [r.status for r in rows(db)].count("sending") == 1

    restarted = time.monotonic()
    scheduler()

    def all_sent():
        """every row sent"""
        return all(r.status == "sent" for r in rows(db))

    wait_for(all_sent, 120)
    recovered = time.monotonic() - killed
    with capsys.disabled():
        print(f"\n[outbox recovery] SIGKILL mid-multicast -> all {len(rows(db))} rows sent in {recovered:.1f} s "
              f"(lease {lease:.0f} s, tick {TICK:.0f} s); sends at "
              + ", ".join(f"{at - killed:.1f}" for at, _, _ in list(fake.arrivals) if at >= restarted))

    after = arrivals_after(fake, restarted)
    by_key = {r.retry_key: r for r in rows(db)}
    assert [by_key[k].purpose for k in after[:2]] == ["rescue:90", "rescue:91"]  # urgent rows first
    assert after.count(in_flight) == 1  # the stranded row, once its short lease ran out, went again …
    assert [r.status for r in fake.sends() if r.retry_key == in_flight] == [200, 409]  # … and LINE knew it
    (resent,) = [at for at, _, key in list(fake.arrivals) if at >= restarted and key == in_flight]
    assert resent - killed < lease + TICK + START
    each_delivered_once(fake, db)
    assert recovered < lease + TICK + START


def test_sigterm_finishes_the_send_in_flight_and_releases_the_rest(demo, db, fake, scheduler):
    queue(db, 4)
    fake.latency = 1.0
    first = scheduler()
    wait_for(lambda: arrivals_after(fake, 0), 60)
    first.send_signal(signal.SIGTERM)  # a deploy
    assert first.wait(TIMEOUT * 2 + 10) == 0
    statuses = [r.status for r in rows(db)]
    assert statuses == ["sent", "pending", "pending", "pending"]  # the send in flight settled; no lease left
    assert [r.attempts for r in rows(db)] == [1, 0, 0, 0]
    assert len(fake.sends()) == 1

    scheduler()
    wait_for(lambda: all(r.status == "sent" for r in rows(db)), 60)
    assert [r.status for r in fake.sends()] == [200] * 4  # nothing needed a retry
    each_delivered_once(fake, db)

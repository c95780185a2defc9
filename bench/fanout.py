"""Fan-out of one circular to 20,000 households through the outbox, against a slow fake LINE API.

    .venv/bin/python bench/fanout.py [--db sqlite,pg] [--households 20000] [--latency 0.05]

Per database: a fresh schema with one association of `--households` households, one active LINE
member each (seeded in a child process, so this process's peak RSS is the fan-out's). Then, twice:
create a circular and send it with the domain functions the [送信] button uses (audience,
mark_sent, enqueue — one transaction), and drain the outbox with the scheduler's job
(scheduler.jobs.dispatch_outbox) until nothing is due. Run 1 is timed and reports the peak RSS
(ru_maxrss); run 2 repeats it under tracemalloc for the peak Python heap of each phase (its times
are inflated by tracing). Each run checks that every user got exactly one copy, in multicasts.
During run 1's send a thread stores a webhook event every 50 ms on its own connection (as POST
/callback does before its 200) and reports the longest wait: SQLite's write lock, held by the
send transaction, blocks it. (The probe shares the GIL with the send, a few ms of its waits.)
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import threading
import time
import tracemalloc

from _common import (
    SECRET,
    TOKEN,
    FakeProcess,
    add_roster,
    count,
    machine,
    median,
    pg_database,
    sqlite_url,
    summary,
    table,
    user_id,
)


def seed(url: str, households: int) -> None:
    from models import Association, Database
    from models.migrate import upgrade

    upgrade(url)
    db = Database(url)
    with db.session() as s:
        a = Association(slug="fanout", name="扇町自治会")
        s.add(a)
        s.flush()
        add_roster(s, a.id, households)
    db.dispose()


def due(db) -> int:
    """Outbox rows not yet settled (no faults are injected, so none waits for a retry)."""
    from sqlalchemy import func, select

    from models import OutboxMessage

    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.status.in_(["pending", "sending"])))


class StoreProbe(threading.Thread):
    """Meanwhile, on its own connection, store a webhook event every 50 ms (what POST /callback does
    before its 200) and time each: shows whether the send transaction blocks the webhook."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        from models import Database

        self.db, self.waits, self.failed, self.stop = Database(url), [], 0, threading.Event()

    def run(self) -> None:
        from bot.inbox import store

        i = 0
        while not self.stop.is_set():
            i += 1
            # store() keeps the sender and timestamp (migration 0010): an event without them is a KeyError
            e = {"webhookEventId": f"PROBE{time.time_ns()}{i}", "type": "message", "timestamp": time.time_ns() // 10**6,
                 "source": {"type": "user", "userId": user_id(10**9 + i)}}
            t = time.perf_counter()
            try:
                store(self.db, [e])
            except Exception:  # noqa: BLE001 - "database is locked" after busy_timeout: a 5xx to LINE
                self.failed += 1
            self.waits.append(time.perf_counter() - t)
            self.stop.wait(0.05)

    def finish(self) -> dict:
        self.stop.set()
        self.join()
        self.db.dispose()
        return {"probe stores": len(self.waits), "probe max s": max(self.waits, default=float("nan")),
                "probe p50 ms": 1000 * median(self.waits), "probe failed": self.failed}


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fan_out(k, fake: FakeProcess, trace: bool) -> dict:
    from sqlalchemy import func, select

    from handlers.messages import builders as msg
    from handlers.messages.codec import pb
    from models import Association, Circular, OutboxMessage, Target
    from models.circulars import audience, mark_sent
    from models.messaging import enqueue
    from scheduler.jobs import dispatch_outbox

    fake.call("reset")
    r: dict = {"run": "tracemalloc" if trace else "timed"}
    mark = time.perf_counter
    peaks = {}

    def phase(name: str, t: float) -> None:
        r[name + " s"] = mark() - t
        if trace:
            peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.reset_peak()

    rss0 = rss_mib()
    probe = None if trace else StoreProbe(k.db.url)
    if probe:
        probe.start()
        time.sleep(0.2)
    t_all = mark()
    with k.db.session() as s:
        assoc = s.scalar(select(Association))
        c = Circular(association_id=assoc.id, title="防災訓練のお知らせ", body="9月1日に防災訓練を行います。" * 5,
                     target=Target.all)
        s.add(c)
        s.flush()
        t = mark()
        aud = audience(s, c)
        phase("audience", t)
        t = mark()
        mark_sent(s, c, aud)
        s.flush()
        phase("mark_sent", t)
        t = mark()
        message = msg.circular(association_name=assoc.name, title=c.title, body=c.body, when=c.sent_at,
                               tz="Asia/Tokyo", read_data=pb("read", c=c.id), full_data=pb("full", c=c.id))
        r["outbox rows"] = enqueue(s, assoc.id, aud.user_ids, [message], purpose=f"circular:{c.id}")
        s.flush()
        phase("enqueue", t)
        t = mark()
    phase("commit", t)
    r["send total s"] = mark() - t_all
    if probe:
        r.update(probe.finish())
    r["rss after send MiB"] = rss_mib()
    t = mark()
    rounds = 0
    while due(k.db) and mark() - t < 300:
        dispatch_outbox(k)
        rounds += 1
    phase("dispatch", t)
    r["rss peak MiB"], r["rss before MiB"], r["job runs"] = rss_mib(), rss0, rounds
    if trace:
        r.update({f"heap {p} MiB": v for p, v in peaks.items()})
    stats = fake.call("stats")
    r["LINE calls"] = sum(n for key, n in stats.items() if key.startswith("POST "))
    r["multicasts ok"] = count(stats, "/multicast")
    got = fake.call("delivered").get("multicast", {})
    expected = set(aud.user_ids)
    with k.db.session() as s:
        unsent = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
    r["recipients"] = len(expected)
    r["exactly once"] = set(got) == expected and all(v == 1 for v in got.values()) and unsent == 0
    return r


def run_db(name: str, url: str, args) -> list[dict]:
    """Seed in one child process, fan out in another: each database gets a fresh process (RSS)."""
    t = time.perf_counter()
    ctx = mp.get_context("spawn")
    child = ctx.Process(target=seed, args=(url, args.households))
    child.start()
    child.join()
    print(f"# seeded {name}: {args.households:,} households in {time.perf_counter() - t:.1f} s")
    parent, conn = ctx.Pipe()
    child = ctx.Process(target=measure, args=(conn, name, url, args.latency))
    child.start()
    rows = parent.recv()
    child.join()
    return rows


def measure(conn, name: str, url: str, latency: float) -> None:
    from bot.config import Settings
    from bot.state import build

    fake = FakeProcess(latency)
    k = build(Settings(channel_secret=SECRET, channel_access_token=TOKEN, simulator=False,
                       line_api_base_url=fake.url, line_data_api_base_url=fake.url, database_url=url,
                       line_timeout_seconds=10.0, secret_key="bench-secret-key-" + "b" * 32))
    rows = []
    try:
        for trace in (False, True):
            if trace:
                tracemalloc.start()
            rows.append({"db": name, **fan_out(k, fake, trace)})
            if trace:
                tracemalloc.stop()
    finally:
        k.db.dispose()
        fake.close()
    conn.send(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,pg")
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--latency", type=float, default=0.05, help="fake LINE latency per call (s)")
    args = ap.parse_args()
    info = machine()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kairan-fanout-") as tmp:
        for db in args.db.split(","):
            if db == "pg":
                with pg_database("kairan_fanout") as url:
                    rows += run_db("pg", url, args)
            else:
                rows += run_db("sqlite", sqlite_url(tmp), args)
    floor = (args.households + 499) // 500
    print(f"# {info}\n# fake LINE latency {args.latency * 1000:g} ms per call; floor: {floor} multicasts "
          f"= {floor * args.latency:.1f} s of LINE latency when sent one after another\n")
    print(table(rows, ["db", "run", "recipients", "outbox rows", "LINE calls", "audience s", "mark_sent s", "enqueue s",
                       "commit s", "send total s", "dispatch s", "job runs", "exactly once"]))
    print()
    print(table([r for r in rows if "probe stores" in r], ["db", "run", "send total s", "probe stores", "probe p50 ms",
                                                           "probe max s", "probe failed"]))
    print()
    print(table(rows, ["db", "run", "rss before MiB", "rss after send MiB", "rss peak MiB", "heap audience MiB",
                       "heap mark_sent MiB", "heap enqueue MiB", "heap commit MiB", "heap dispatch MiB"]))
    ok = all(r["exactly once"] and r["LINE calls"] == r["multicasts ok"] == floor for r in rows)
    print(f"\nevery user exactly one copy, {floor} multicasts per run: {'OK' if ok else 'FAILED'}")
    summary("fanout", ok=ok, machine=info, args=vars(args),
            results=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows])


if __name__ == "__main__":
    main()

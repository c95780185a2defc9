"""Webhook throughput and latency: kairan vs the line-bot-sdk echo bot, both under gunicorn.

    .venv/bin/python bench/webhook.py [--db sqlite,pg] [--variants asis,gthread] [--requests 3000]
        [--concurrency 16] [--rate 30] [--duration 30] [--members 10000] [--cap 60] [--reply-latency 0]
        [--phases closed,open] [--no-echo] [--client-timeout 30]

A slow LINE (issue 18 #3): `--reply-latency 2 --rate 20 --phases open --no-echo --variants gthread
--client-timeout 120` measures the Procfile's set-up (3 workers x 4 threads) answering webhooks
while every reply call takes 2 s; the answer must not wait for the reply.

Per target two phases: closed loop (`--concurrency` clients posting back to back: the most it
takes) and open model (`--rate` arrivals/s, latency counted from the scheduled send time, so a
stalled server cannot hide queueing). Load: aiohttp on 127.0.0.1, one pre-signed body per
request, each with its own webhookEventId and a reply token issued by the fake LINE API. Mix:
`--taps` share of 「読みました」 postbacks (a=read&c=<id>) on a sent circular, the rest texts.
Afterwards kairan's database is checked: every event stored once and done, every tapping
household read, one reply per event at the fake. `--variants asis,gthread` adds kairan under
gunicorn's threaded worker (`--threads 4`), the same app otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import tempfile
import time
import uuid

import aiohttp
from _common import (
    SECRET,
    TOKEN,
    FakeProcess,
    Gunicorn,
    count,
    cpu_snapshot,
    cpu_used,
    machine,
    pct,
    pg_database,
    rss_mib,
    postgres_pids,
    sqlite_url,
    summary,
    table,
    tree,
)

# kairan as gunicorn runs it: the Procfile's command line, plus what a variant changes
VARIANTS = {
    "asis": ("bot.app:create_app()", []),
    "gthread": ("bot.app:create_app()", ["--threads", "4"]),  # 3 workers x 4 threads (gthread): the Procfile's
}
TEXTS = ["こんにちは", "ありがとうございます", "回覧板みました", "ゴミの日はいつですか"]


def prepare(url: str, members: int, kind: str = "read") -> tuple[int, list[str]]:
    """Schema, demo association, `members` more households (one member each), one sent circular;
    `kind` safety: also an active disaster (its id is returned: the taps are safety answers)."""
    from _common import add_roster
    from sqlalchemy import select

    from bot.dev.demo import seed
    from models import Association, Circular, Database, Target
    from models.circulars import audience, mark_sent
    from models.migrate import upgrade

    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed(s)
    with db.session() as s:
        assoc = s.scalar(select(Association))
        users = add_roster(s, assoc.id, members)
    with db.session() as s:
        c = Circular(association_id=assoc.id, title="夏祭りのお知らせ", body="8月3日に夏祭りを行います。", target=Target.all)
        s.add(c)
        s.flush()
        mark_sent(s, c, audience(s, c))
        cid = c.id
    if kind == "safety":
        from handlers.safety.start import start_disaster
        from models import utcnow
        with db.session() as s:
            d, _ = start_disaster(s, assoc.id, "quake", "大きな揺れがありました。", None, utcnow())
            cid = d.id
    db.dispose()
    return cid, users


class Bodies:
    """Signed webhook bodies, one event each; taps walk through the members so most are first reads."""

    def __init__(self, fake: FakeProcess, users: list[str], circular_id: int, taps: float, seed: int = 1,
                 kind: str = "read"):
        self.fake, self.users, self.cid, self.taps = fake, users, circular_id, taps
        # read: 「読みました」 (a=read&c=<circular>); safety: [無事] (a=sf&d=<disaster>&s=safe)
        self.data = f"a=read&c={circular_id}" if kind == "read" else f"a=sf&d={circular_id}&s=safe"
        self.rng = random.Random(seed)
        self.next_tapper = itertools.cycle(users)
        self.tapped: set[str] = set()

    def make(self, n: int, prefix: str, taps: float | None = None) -> list[tuple[bytes, str]]:
        from bot.webhook import signature

        taps = self.taps if taps is None else taps
        plan = [(next(self.next_tapper), True) if self.rng.random() < taps else (self.rng.choice(self.users), False)
                for _ in range(n)]
        tokens = self.fake.call("issue", [u for u, _ in plan])
        out = []
        for i, ((user, tap), token) in enumerate(zip(plan, tokens)):
            e = {"mode": "active", "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": user},
                 "webhookEventId": f"{prefix}{i:012d}", "deliveryContext": {"isRedelivery": False},
                 "replyToken": token}
            if tap:
                e.update(type="postback", postback={"data": self.data})
                self.tapped.add(user)
            else:
                e.update(type="message", message={"id": uuid.uuid4().hex[:16], "type": "text",
                                                  "text": self.rng.choice(TEXTS), "quoteToken": uuid.uuid4().hex})
            body = json.dumps({"destination": "U" + "f" * 32, "events": [e]}, ensure_ascii=False).encode()
            out.append((body, signature(SECRET, body)))
        return out


class WebProcesses:
    """One gunicorn (the Procfile's web process), or several side by side over one database
    (`--web-processes N`: each a master with its own workers, as on N machines); the load's
    connections are dealt among them, their CPU and memory summed."""

    def __init__(self, n: int, app: str, env: dict, logdir: str, name: str, extra=None, cwd=None):
        self.servers = [Gunicorn(app, env, logdir, name + (f"_{i}" if n > 1 else ""), extra=extra, cwd=cwd)
                        for i in range(n)]
        self.url = [s.url for s in self.servers]

    def pids(self) -> list[int]:
        return [p for s in self.servers for p in tree(s.proc.pid)]

    def errors(self) -> tuple[int, int]:
        e = [s.errors() for s in self.servers]
        return sum(a for a, _ in e), sum(b for _, b in e)

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


async def load(url: "str | list[str]", bodies: list[tuple[bytes, str]], concurrency: int, rate: float | None, cap: float,
               client_timeout: float = 30.0) -> dict:
    """Closed loop (rate None) or open model; returns status counts, latencies (s) and elapsed time.
    `url`: several web processes' URLs take the requests in turn."""
    urls = [url] if isinstance(url, str) else list(url)
    turn = itertools.count()
    lat: list[float] = []
    status: dict[str, int] = {}
    conn = aiohttp.TCPConnector(limit=0 if rate else concurrency, force_close=True)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=client_timeout)) as http:
        async def one(body: bytes, sig: str, t_sched: float) -> None:
            try:
                async with http.post(urls[next(turn) % len(urls)] + "/callback", data=body, headers={
                        "X-Line-Signature": sig, "Content-Type": "application/json"}) as r:
                    await r.read()
                    key = str(r.status)
            except Exception as e:  # noqa: BLE001 - counted, not raised
                key = type(e).__name__
            status[key] = status.get(key, 0) + 1
            if key == "200":
                lat.append(time.perf_counter() - t_sched)

        t0 = time.perf_counter()
        deadline = t0 + cap
        if rate:
            tasks = []
            for i, (body, sig) in enumerate(bodies):
                t = t0 + i / rate
                if t > deadline:
                    break
                if (d := t - time.perf_counter()) > 0:
                    await asyncio.sleep(d)
                tasks.append(asyncio.create_task(one(body, sig, t)))
            await asyncio.gather(*tasks)
        else:
            it = iter(bodies)

            async def client() -> None:
                for body, sig in it:
                    if time.perf_counter() > deadline:
                        return
                    await one(body, sig, time.perf_counter())
            await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return {"status": status, "lat": lat, "elapsed": elapsed, "sent": sum(status.values())}


def wait_done(url: str, prefix: str, expected: int, timeout: float = 120) -> dict:
    """Wait for kairan's post-response handling; return counts and the handling rate."""
    from sqlalchemy import create_engine, func, select

    from models import WebhookEvent

    engine = create_engine(url)
    q = select(WebhookEvent.status, func.count(), func.count(func.distinct(WebhookEvent.id)),
               func.min(WebhookEvent.received_at), func.max(WebhookEvent.processed_at)) \
        .where(WebhookEvent.id.like(prefix + "%")).group_by(WebhookEvent.status)
    end = time.time() + timeout
    while True:
        with engine.connect() as c:
            rows = c.execute(q).all()
        by = {r[0]: r for r in rows}
        if (by.get("done") and by["done"][1] >= expected) or time.time() > end:
            break
        time.sleep(0.5)
    with engine.connect() as c:  # how long each event waited in the inbox before it was handled
        waits = [(p - r).total_seconds() for r, p in c.execute(
            select(WebhookEvent.received_at, WebhookEvent.processed_at)
            .where(WebhookEvent.id.like(prefix + "%"), WebhookEvent.processed_at.is_not(None))).all()]
    engine.dispose()
    done = by.get("done")
    span = (done[4] - done[3]).total_seconds() if done and done[4] else float("nan")
    return {"stored": sum(r[1] for r in rows), "distinct": sum(r[2] for r in rows),
            "done": done[1] if done else 0, "statuses": {r[0]: r[1] for r in rows},
            "handled_per_s": (done[1] / span) if done and span > 0 else float("nan"),
            "handling_p99_ms": 1000 * pct(waits, 99)}


def floor_done(url: str, prefix: str) -> dict:
    """bench/floor_bot.py's rows of this phase: each stored once and done (it handles in the request)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        n, d, done = c.execute(text("SELECT count(*), count(DISTINCT id), sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END) "
                                    "FROM floor_inbox WHERE id LIKE :p"), {"p": prefix + "%"}).one()
    engine.dispose()
    return {"stored": n, "distinct": d, "done": done or 0}


def check_reads(url: str, circular_id: int, tapped: set[str], kind: str = "read") -> dict:
    from sqlalchemy import create_engine, select

    from models import Delivery, Member, OutboxMessage

    engine = create_engine(url)
    with engine.connect() as c:
        read = set(c.execute(select(Member.line_user_id).join(Delivery, Delivery.household_id == Member.household_id)
                             .where(*((Delivery.of("circular", circular_id), Delivery.read_at.is_not(None))
                                      if kind == "read" else
                                      (Delivery.of("safety", circular_id), Delivery.answer == "safe")))).scalars())
        late = c.execute(select(OutboxMessage.id).where(OutboxMessage.purpose.in_(["late-reply", "reply-fallback"]))).all()
    engine.dispose()
    return {"taps_unread": len(tapped - read), "read_not_tapped": len(read - tapped), "push_fallbacks": len(late)}


def phase(target: str, mode: str, server: WebProcesses, fake: FakeProcess, bodies, args, pg: bool) -> dict:
    pids = server.pids()
    row_rss0 = rss_mib(pids)
    before = {"srv": cpu_snapshot(pids), "pg": cpu_snapshot(postgres_pids()), "fake": cpu_snapshot([fake.proc.pid])}
    client0 = time.process_time()
    stats0 = fake.call("stats")
    rate = args.rate if mode == "open" else None
    res = asyncio.run(load(server.url, bodies, args.concurrency, rate, args.cap, args.client_timeout))
    ok = res["status"].get("200", 0)
    row = {"target": target, "mode": f"open {args.rate:g}/s" if rate else f"closed c={args.concurrency}",
           "sent": res["sent"], "ok": ok, "req/s": res["sent"] / res["elapsed"],
           "p50 ms": 1000 * pct(res["lat"], 50), "p90 ms": 1000 * pct(res["lat"], 90),
           "p99 ms": 1000 * pct(res["lat"], 99), "max ms": 1000 * max(res["lat"], default=float("nan")),
           "errors": {k: v for k, v in res["status"].items() if k != "200"} or "-"}
    row["_elapsed"] = res["elapsed"]
    row["_client_cpu"] = time.process_time() - client0
    row["_before"], row["_stats0"] = before, stats0
    row["rss MiB before"], row["rss MiB after"] = row_rss0, rss_mib(server.pids())
    return row


def finish(row: dict, server: WebProcesses, fake: FakeProcess, pg: bool) -> dict:
    """After the handling is over: replies seen by the fake, CPU per request."""
    before, end = count(row.pop("_stats0"), "/reply"), time.time() + 10
    while True:  # kairan replies after committing "done": give the last replies a moment
        row["replies"] = count(fake.call("stats"), "/reply") - before
        if row["replies"] >= row["ok"] or time.time() > end:
            break
        time.sleep(0.2)
    b = row.pop("_before")
    n = max(1, row["sent"])
    row["srv cpu ms/req"] = 1000 * cpu_used(b["srv"], server.pids()) / n
    row["pg cpu ms/req"] = 1000 * cpu_used(b["pg"], postgres_pids()) / n if pg else 0.0
    row["fake cpu ms/req"] = 1000 * cpu_used(b["fake"], [fake.proc.pid]) / n
    row["client cpu ms/req"] = 1000 * row.pop("_client_cpu") / n
    return row


def run_target(name: str, app: str, env: dict, fake: FakeProcess, make, args, tmp: str, pg: bool,
               check=None, extra: list[str] | None = None, cwd: str | None = None,
               processes: int = 1) -> list[dict]:
    server = WebProcesses(processes, app, env, tmp, name.replace(" ", "_").replace("#", ""), extra=extra, cwd=cwd)
    rows = []
    try:
        asyncio.run(load(server.url, make(30, "WARM", 0.0), 4, None, 10))  # warm-up: texts only
        time.sleep(1.5 + 2 * args.reply_latency)  # its handling, after the answers
        for mode, n in (("closed", args.requests), ("open", int(args.rate * args.duration))):
            if mode not in args.phases.split(","):
                continue
            prefix = f"B{mode[0].upper()}{uuid.uuid4().hex[:8]}"
            row = phase(name, mode, server, fake, make(n, prefix), args, pg)
            if check:
                row.update(check(prefix, row["ok"]))
            else:
                time.sleep(1)
            rows.append(finish(row, server, fake, pg))
        rows[-1]["logging errors"], rows[-1]["other errors"] = server.errors()
    finally:
        server.stop()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,pg")
    ap.add_argument("--requests", type=int, default=3000, help="closed-loop requests per target")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rate", type=float, default=30.0, help="open-model arrivals per second")
    ap.add_argument("--duration", type=float, default=30.0, help="open-model seconds")
    ap.add_argument("--members", type=int, default=10000)
    ap.add_argument("--variants", default="asis,gthread",
                    help="comma-separated: asis (the Procfile's command), gthread (the same plus --threads 4)")
    ap.add_argument("--taps", type=float, default=0.7)
    ap.add_argument("--kind", default="read", choices=["read", "safety"],
                    help="the taps: read (「読みました」 on a circular) or safety ([無事] during a disaster)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate echo / kairan this many times in one run (medians in the SUMMARY)")
    ap.add_argument("--cap", type=float, default=60.0, help="time cap per phase (s)")
    ap.add_argument("--reply-latency", type=float, default=0.0, help="fake LINE latency per call (s)")
    ap.add_argument("--logdir", help="keep gunicorn logs (and the SQLite file) here")
    ap.add_argument("--phases", default="closed,open", help="closed (the most it takes), open (a fixed rate)")
    ap.add_argument("--no-echo", action="store_true", help="skip the line-bot-sdk echo bot")
    ap.add_argument("--web-processes", default="1",
                    help="comma-separated: run kairan as 1, 2 … web processes (gunicorn masters) over the same "
                         "database, alternating in every round, the load dealt among them (say 1,2)")
    ap.add_argument("--floor", action="store_true",
                    help="also run bench/floor_bot.py (the echo bot + kairan's two durable transactions per "
                         "event, nothing else) after the echo bot in every round: the floor under the ratio")
    ap.add_argument("--client-timeout", type=float, default=30.0, help="per request (s); a timeout counts as an error")
    ap.add_argument("--baseline", help="another checkout of kairan (say `git archive main`), run as 'kairan base' "
                                       "right after this one in every round: before/after in the same run")
    ap.add_argument("--baseline-env", default="", help="K=V,K=V: environment of 'kairan base' only (with --baseline "
                                                        "the same checkout: one setting A/B in the same run)")
    args = ap.parse_args()

    info = machine()
    fake = FakeProcess(args.reply_latency)
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": fake.url,
           "LINE_DATA_API_BASE_URL": fake.url, "KAIRAN_BASE_URL": "https://kairan.example.jp",
           "KAIRAN_SECRET_KEY": "bench-secret-key-" + "b" * 32}
    rows: list[dict] = []
    checks: dict[str, dict] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="kairan-bench-") as tmp:
            if args.logdir:
                tmp = args.logdir
            echo_bodies = Bodies(fake, [f"U{i:032x}" for i in range(1, args.members + 1)], 1, args.taps)
            for db in args.db.split(","):
                ctx = pg_database("kairan_bench") if db == "pg" else contextlib.nullcontext(sqlite_url(tmp))
                with ctx as url:
                    t = time.perf_counter()
                    cid, users = prepare(url, args.members, args.kind)
                    print(f"# prepared {db} in {time.perf_counter() - t:.1f} s ({args.kind} {cid}, "
                          f"{len(users)} extra members)")
                    bodies = Bodies(fake, users, cid, args.taps, kind=args.kind)

                    def check(prefix: str, ok: int, url=url) -> dict:
                        w = wait_done(url, prefix, ok)
                        return {"stored": w["stored"], "distinct": w["distinct"], "done": w["done"],
                                "handled/s": w["handled_per_s"], "handled p99 ms": w["handling_p99_ms"]}
                    for rnd in range(args.rounds):  # kairan / echo / kairan / echo …: the same machine state
                        tag = f" #{rnd + 1}" if args.rounds > 1 else ""
                        for variant in args.variants.split(","):
                            app, extra = VARIANTS[variant]
                            for label, cwd in (("kairan", None), ("kairan base", args.baseline)):
                                if label == "kairan base" and not args.baseline:
                                    continue
                                own = dict(kv.split("=", 1) for kv in args.baseline_env.split(",") if kv) \
                                    if cwd is not None else {}
                                for procs in (int(n) for n in args.web_processes.split(",")):
                                    rows += run_target(f"{label} {db}" + ("" if variant == "asis" else f" {variant}")
                                                       + (f" x{procs}" if procs > 1 else "") + tag,
                                                       app, {**env, "DATABASE_URL": url, **own}, fake, bodies.make,
                                                       args, tmp, db == "pg", check, extra, cwd, processes=procs)
                        if not args.no_echo and (db == args.db.split(",")[0] or args.rounds > 1):
                            # under the same gunicorn settings as kairan's first variant (gthread: the Procfile's)
                            rows += run_target(f"echo (sdk){tag}", "bench.echo_bot:create_app()", env, fake,
                                               echo_bodies.make, args, tmp, False,
                                               extra=VARIANTS[args.variants.split(",")[0]][1])
                        if args.floor:
                            def floor_check(prefix: str, ok: int, url=url) -> dict:
                                return floor_done(url, prefix)
                            rows += run_target(f"floor {db}{tag}", "bench.floor_bot:create_app()",
                                               {**env, "DATABASE_URL": url}, fake, echo_bodies.make, args, tmp,
                                               db == "pg", floor_check, extra=VARIANTS[args.variants.split(",")[0]][1])
                    checks[db] = check_reads(url, cid, bodies.tapped, args.kind)
        invalid = fake.call("invalid")
    finally:
        fake.close()

    print(f"# {info}")
    print(f"# load: aiohttp, closed loop c={args.concurrency} x {args.requests} req; open model {args.rate:g}/s x "
          f"{args.duration:g} s; taps {args.taps:.0%}; fake LINE latency {args.reply_latency * 1000:g} ms\n")
    print(table(rows, ["target", "mode", "sent", "ok", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"]))
    print()
    print(table(rows, ["target", "mode", "srv cpu ms/req", "pg cpu ms/req", "fake cpu ms/req", "client cpu ms/req",
                       "replies", "stored", "distinct", "done", "handled/s", "handled p99 ms", "rss MiB before",
                       "rss MiB after"]))
    import statistics

    def group(target: str) -> str:
        return target.split(" #")[0]
    med: dict[tuple[str, str], dict] = {}
    for r in rows:
        med.setdefault((group(r["target"]), r["mode"].split()[0]), []).append(r)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("req/s", "p50 ms", "p99 ms", "srv cpu ms/req")}
           | {"n": len(v)} for k, v in med.items()}
    ratios = []
    for (target, mode), m in med.items():
        e = med.get(("echo (sdk)", mode))
        if target.startswith(("kairan", "floor")) and e:
            ratios.append({"target": target, "mode": mode, "rounds": m["n"], "req/s": m["req/s"],
                           "echo req/s": e["req/s"], "req/s ratio": m["req/s"] / e["req/s"],
                           "cpu ms/req": m["srv cpu ms/req"], "echo cpu ms/req": e["srv cpu ms/req"],
                           "p50 ratio": m["p50 ms"] / e["p50 ms"], "p99 ms": m["p99 ms"]})
    if ratios:
        print(f"\nkairan / echo (medians over the rounds; {args.kind} taps)\n" + table(ratios))
    ok = all(r["ok"] == r["sent"] == r["replies"] for r in rows) and not invalid \
        and all(r["stored"] == r["distinct"] == r["done"] == r["ok"] for r in rows if "stored" in r) \
        and all(c["taps_unread"] == 0 == c["read_not_tapped"] == c["push_fallbacks"] for c in checks.values()) \
        and not any(r.get("other errors") for r in rows)
    print(f"\ncorrectness: {checks}; invalid LINE requests: {len(invalid)}; "
          f"server log: {[(r['target'], r['logging errors'], r['other errors']) for r in rows if 'other errors' in r]} "
          f"(target, logging errors, other errors) -> {'OK' if ok else 'FAILED'}")
    summary("webhook", ok=ok, machine=info, args=vars(args),
            results=[{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
            ratios=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in ratios],
            checks=checks)


if __name__ == "__main__":
    main()

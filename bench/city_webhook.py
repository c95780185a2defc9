"""Webhook routing at city scale: the cost of a signed 「読みました」 POST /callback with 1 channel,
with 1,000 channels, and in the city's database (201 channels, 300,000 households), next to the
line-bot-sdk echo bot in the same run.

    .venv/bin/python bench/city_webhook.py [--requests 2000] [--concurrency 16] [--rate 30]
        [--duration 20] [--targets one,thousand,city-own,city-city] [--no-echo]

Every channel posts to the same /callback; the body's `destination` picks the channel
(bot/channels.py, cached in each process) and the signature must verify with that channel's
secret. Data sets (bench/city_dataset.py, built once and kept):

- `one`: one association of 5,000 households (60 % registered), its own channel: **1 channel**;
- `thousand`: the same association among 999 others, each with its own channel: **1,000
  channels** (the others hold no households: only the number of channels differs);
- `city-own` / `city-city`: the city (1,000 associations, 300,000 households; 200 on their own
  channel, 800 on the city channel: **201 channels**), taps from residents of 20 associations on
  their own channels / of 20 associations on the city channel.

Per target a fresh circular is sent (receipts only) to each tapping association, and every request
is one read postback (`a=read&c=<id>`) of a resident of it, walking through the residents (each
tap a household's first read until they run out), signed with the channel's secret, with a reply
token the fake LINE API ties to that channel (a reply with another channel's token is refused).
Served as the Procfile serves the app (gunicorn, 3 workers × 4 threads, access log), with the
channels only in the database (no LINE_CHANNEL_SECRET; KAIRAN_CHANNEL_KEYS holds the data set's
key). Phases as in bench/webhook.py: closed loop (`--concurrency` clients, `--requests`) and open
model (`--rate`/s for `--duration` s, latency from the scheduled send time). Then checks: every
event stored once and done; one reply per event, through the event's channel; every tapping
household read. And in-process, per data set: `Directory.for_webhook(destination)` plus the
signature check, timed over 20,000 lookups (the routing alone), and the first load (decrypting
every channel).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
import uuid

from _common import SECRET, TOKEN, Gunicorn, machine, summary, table
from city_common import CityFake, delete_circulars, fresh_circular
from city_dataset import CHANNEL_KEY, Spec, bot_user_id, channel_secret, ensure
from webhook import finish, load, phase, wait_done

SPECS = {
    "one": ("kairan_citybench_r1", Spec(associations=1, households=5000, own_channels=1, city_channel=False)),
    "thousand": ("kairan_citybench_r1000", Spec(associations=1000, households=5000, populated=1, own_channels=1000,
                                                city_channel=False)),
    "city-own": ("kairan_citybench_city", Spec()),
    "city-city": ("kairan_citybench_city", Spec()),
}
LABELS = {"one": "1 channel", "thousand": "1,000 channels", "city-own": "city, own channels",
          "city-city": "city, city channel"}
KEY = "bench-secret-key-" + "b" * 32


def tappers(ds, target: str, per_side: int = 20) -> tuple[list[tuple[str, int, int]], list[int]]:
    """[(user id, channel id, circular id), ...] for the target, and the circulars made."""
    from sqlalchemy import select

    from models import Database, Member

    if target in ("one", "thousand"):
        assocs = [1]
    elif target == "city-own":
        assocs = sorted(ds.own_channel)[:per_side]
    else:
        assocs = [a for a in range(1, ds.spec.associations + 1) if a not in ds.own_channel][:per_side]
    db = Database(ds.url)
    made = []
    users = []
    try:
        for a in assocs:
            cid = fresh_circular(db, a)
            made.append(cid)
            with db.read() as s:
                ids = s.scalars(select(Member.line_user_id).where(Member.association_id == a, Member.status == "active")
                                .order_by(Member.id)).all()
            users.append([(u, ds.channel_of(a), cid) for u in ids])
    finally:
        db.dispose()
    # interleave the associations, so consecutive taps come from different ones
    return [u for group in itertools.zip_longest(*users) for u in group if u], made


class CityBodies:
    def __init__(self, fake: CityFake, who: list[tuple[str, int, int]]):
        self.fake, self.who = fake, who
        self.walk = itertools.cycle(who)
        self.tapped: set[tuple[str, int]] = set()
        self.events: dict[tuple[str, int], list[str]] = {}

    def make(self, n: int, prefix: str, taps=None) -> list[tuple[bytes, str]]:
        from bot.webhook import signature

        plan = [next(self.walk) for _ in range(n)]
        tokens = self.fake.call("issue", [(u, f"ch{ch}") for u, ch, _ in plan])
        out = []
        for i, ((user, ch, cid), token) in enumerate(zip(plan, tokens)):
            e = {"type": "postback", "postback": {"data": f"a=read&c={cid}"}, "mode": "active",
                 "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": user},
                 "webhookEventId": f"{prefix}{i:012d}", "deliveryContext": {"isRedelivery": False},
                 "replyToken": token}
            body = json.dumps({"destination": bot_user_id(ch), "events": [e]}, ensure_ascii=False).encode()
            out.append((body, signature(channel_secret(ch), body)))
            self.tapped.add((user, cid))
            self.events.setdefault((user, cid), []).append(e["webhookEventId"])
        return out


class EchoBodies:
    def __init__(self, fake: CityFake):
        self.fake, self.n = fake, 0

    def make(self, n: int, prefix: str, taps=None) -> list[tuple[bytes, str]]:
        from bot.webhook import signature

        users = [f"U{(self.n + i) % 3000 + 1:032x}" for i in range(n)]
        self.n += n
        tokens = self.fake.call("issue", users)
        out = []
        for i, (user, token) in enumerate(zip(users, tokens)):
            e = {"type": "postback", "postback": {"data": "a=read&c=1"}, "mode": "active",
                 "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": user},
                 "webhookEventId": f"{prefix}{i:012d}", "deliveryContext": {"isRedelivery": False},
                 "replyToken": token}
            body = json.dumps({"destination": "U" + "f" * 32, "events": [e]}).encode()
            out.append((body, signature(SECRET, body)))
        return out


def check_reads(url: str, tapped: set[tuple[str, int]], events: dict | None = None) -> dict:
    from sqlalchemy import create_engine, func, select

    from models import Delivery, Member, WebhookEvent

    engine = create_engine(url)
    cids = sorted({c for _, c in tapped})
    with engine.connect() as c:
        read = set(c.execute(select(Member.line_user_id, Delivery.circular_id)
                             .join(Delivery, Delivery.household_id == Member.household_id)
                             .where(Delivery.circular_id.in_(cids), Delivery.read_at.is_not(None))).all())
        events = dict(c.execute(select(WebhookEvent.status, func.count()).where(WebhookEvent.id.like("WARM%"))
                                .group_by(WebhookEvent.status)).all())
        unread = sorted(tapped - read)
        if unread and events:  # what became of the first few unread taps' events
            ids = [i for pair in unread[:5] for i in events.get(pair, [])]
            print("# unread taps' events:", c.execute(select(WebhookEvent.id, WebhookEvent.status, WebhookEvent.attempts,
                                                             WebhookEvent.error).where(WebhookEvent.id.in_(ids))).all())
    engine.dispose()
    return {"taps_unread": len(tapped - read), "read_not_tapped": len(read - tapped), "warm-up events": events}


def routing_alone(ds, lookups: int = 20_000, repeats: int = 5) -> dict:
    """In-process: the first load of the channel directory (decrypting every channel), then per
    webhook the lookup alone (`for_webhook` of one destination), and the lookup plus the signature
    check cycling through every channel's destination and secret; median of `repeats`."""
    import statistics

    from bot.channels import Directory
    from bot.config import Settings
    from bot.webhook import signature, valid_signature
    from models import Database

    settings = Settings(channel_secret="", channel_access_token="", simulator=False, secret_key=KEY,
                        database_url=ds.url, channel_keys=(CHANNEL_KEY,))
    db = Database(ds.url)
    try:
        d = Directory(db, settings)
        ids = sorted(ds.channels)
        dests = [bot_user_id(i) for i in ids]
        t = time.perf_counter()
        first = d.for_webhook(dests[0])
        load_ms = 1000 * (time.perf_counter() - t)
        assert first is not None and first.id == ids[0]
        body = json.dumps({"destination": dests[-1], "events": [{"type": "postback", "x": "y" * 300}]}).encode()
        sigs = [signature(channel_secret(i), body) for i in ids]
        alone, cycling = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            for n in range(lookups):
                d.for_webhook(dests[0])
            alone.append(1e6 * (time.perf_counter() - t) / lookups)
            t = time.perf_counter()
            for n in range(lookups):
                k = n % len(ids)
                e = d.for_webhook(dests[k])
                assert valid_signature(e.secret, body, sigs[k])
            cycling.append(1e6 * (time.perf_counter() - t) / lookups)
        return {"channels": len(ids), "first load ms": load_ms, "lookup µs": statistics.median(alone),
                "lookup + signature µs": statistics.median(cycling), "table reads": d.reloads}
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000, help="closed-loop requests per target")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--cap", type=float, default=60.0)
    ap.add_argument("--client-timeout", type=float, default=30.0)
    ap.add_argument("--phases", default="closed,open")
    ap.add_argument("--targets", default="one,thousand,city-own,city-city")
    ap.add_argument("--no-echo", action="store_true")
    ap.add_argument("--routing-only", action="store_true", help="only the in-process routing table (seconds)")
    ap.add_argument("--rounds", type=int, default=1, help="run the echo bot and the targets this many times, in turn")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--logdir", help="keep gunicorn's logs here")
    ap.add_argument("--specs", help=argparse.SUPPRESS)  # tests: {target: [db, spec dict]}
    args = ap.parse_args()
    specs = dict(SPECS)
    if args.specs:
        specs = {t: (db, Spec(**sp)) for t, (db, sp) in json.loads(args.specs).items()}
    info = machine()
    if args.routing_only:
        seen: dict[str, dict] = {}
        for target in [t for t in args.targets.split(",") if t]:
            dbname, spec = specs[target]
            if dbname not in seen:
                seen[dbname] = {"data set": dbname, **routing_alone(ensure(dbname, spec))}
        print(f"# {info}\n\nrouting alone, in-process\n" + table(list(seen.values())))
        summary("city_webhook_routing", machine=info, routing=list(seen.values()))
        return
    fake = CityFake(0.0)
    base_env = {"LINE_API_BASE_URL": fake.url, "LINE_DATA_API_BASE_URL": fake.url,
                "KAIRAN_BASE_URL": "https://kairan.example.jp", "KAIRAN_SECRET_KEY": KEY}
    extra = ["--threads", str(args.threads)] if args.threads > 1 else []
    rows: list[dict] = []
    routing: list[dict] = []
    checks: dict[str, dict] = {}
    targets = [t for t in args.targets.split(",") if t]
    try:
        with tempfile.TemporaryDirectory(prefix="kairan-citybench-") as tmp:
            tmp = args.logdir or tmp
            for rnd in range(1, args.rounds + 1):
                if not args.no_echo:
                    env = {**base_env, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN}
                    rows += [{"round": rnd, **r} for r in run_target(
                        "echo (sdk)", "bench.echo_bot:create_app()", env, fake, EchoBodies(fake).make, args, tmp,
                        False, None, extra)]
                done_routing = set()
                for target in targets:
                    dbname, spec = specs[target]
                    t = time.perf_counter()
                    ds = ensure(dbname, spec)
                    print(f"# {target}: data set ready in {time.perf_counter() - t:.1f} s"
                          f"{' (built in %.1f s)' % ds.built_s if ds.built_s else ''}; {len(ds.channels)} channels")
                    if dbname not in done_routing:
                        routing.append({"round": rnd, "data set": dbname, **routing_alone(ds)})
                        done_routing.add(dbname)
                    fake.name_channels(ds.channels)
                    who, made = tappers(ds, target)
                    try:
                        bodies = CityBodies(fake, who)
                        env = {**base_env, "DATABASE_URL": ds.url, "KAIRAN_CHANNEL_KEYS": CHANNEL_KEY,
                               "KAIRAN_SIMULATOR": "0"}

                        def check(prefix: str, ok: int, url=ds.url) -> dict:
                            w = wait_done(url, prefix, ok)
                            return {"stored": w["stored"], "distinct": w["distinct"], "done": w["done"],
                                    "handled/s": w["handled_per_s"], "handled p99 ms": w["handling_p99_ms"]}
                        rows += [{"round": rnd, **r} for r in run_target(
                            f"kairan, {LABELS.get(target, target)}", "bot.app:create_app()", env, fake, bodies.make,
                            args, tmp, True, check, extra, channels=len(ds.channels))]
                        checks[f"{target} #{rnd}"] = check_reads(ds.url, bodies.tapped, bodies.events)
                    finally:
                        delete_circulars_and_events(ds.url, made)
        invalid = fake.call("invalid")
    finally:
        fake.close()

    print(f"# {info}")
    print(f"# gunicorn --workers {args.workers} --threads {args.threads} --access-logfile - (the Procfile's); "
          f"closed loop c={args.concurrency} x {args.requests}; open {args.rate:g}/s x {args.duration:g} s; "
          f"every request one read postback\n")
    print(table(rows, ["round", "target", "channels", "mode", "sent", "ok", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
                       "errors"]))
    print()
    print(table(rows, ["round", "target", "mode", "srv cpu ms/req", "pg cpu ms/req", "fake cpu ms/req", "client cpu ms/req",
                       "replies", "stored", "distinct", "done", "handled/s", "handled p99 ms"]))
    echo = {(r["round"], r["mode"].split()[0]): r for r in rows if r["target"].startswith("echo")}
    ratios = []
    for r in rows:
        e = echo.get((r["round"], r["mode"].split()[0]))
        if r["target"].startswith("kairan") and e:
            ratios.append({"round": r["round"], "target": r["target"], "mode": r["mode"], "req/s ratio": r["req/s"] / e["req/s"],
                           "p50 ratio": r["p50 ms"] / e["p50 ms"], "p99 ratio": r["p99 ms"] / e["p99 ms"],
                           "cpu ratio": r["srv cpu ms/req"] / e["srv cpu ms/req"]})
    if ratios:
        print("\nkairan / echo, same run\n" + table(ratios))
    print("\nrouting alone, in-process (bot/channels.py Directory.for_webhook + valid_signature)\n" + table(routing))
    ok = all(r["ok"] == r["sent"] == r["replies"] for r in rows) and not invalid \
        and all(r["stored"] == r["distinct"] == r["done"] == r["ok"] for r in rows if "stored" in r) \
        and all(c["taps_unread"] == 0 == c["read_not_tapped"] for c in checks.values()) \
        and not any(r.get("other errors") for r in rows)
    print(f"\ncorrectness: {checks}; invalid LINE requests: {len(invalid)}; server log: "
          f"{[(r['target'], r['logging errors'], r['other errors']) for r in rows if 'other errors' in r]} "
          f"-> {'OK' if ok else 'FAILED'}")
    summary("city_webhook", ok=ok, machine=info, args=vars(args), routing=routing,
            results=[{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
            ratios=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in ratios],
            checks=checks)


def run_target(name, app, env, fake, make, args, tmp, pg, check, extra, channels=None) -> list[dict]:
    """bench/webhook.py's run_target, with the workers given and the channel count in the rows."""
    server = Gunicorn(app, env, tmp, name.replace(" ", "_").replace(",", ""), workers=args.workers, extra=extra)
    rows = []
    try:
        warm = asyncio.run(load(server.url, make(30, "WARM" + uuid.uuid4().hex[:6]), 4, None, 60))
        if warm["status"] != {"200": 30}:
            print(f"# {name}: warm-up answered {warm['status']}")
        time.sleep(1.5)
        for mode, n in (("closed", args.requests), ("open", int(args.rate * args.duration))):
            if mode not in args.phases.split(","):
                continue
            prefix = f"B{mode[0].upper()}{uuid.uuid4().hex[:8]}"
            row = phase(name, mode, server, fake, make(n, prefix), args, pg)
            row["channels"] = channels if channels is not None else "-"
            if check:
                row.update(check(prefix, row["ok"]))
            else:
                time.sleep(1)
            rows.append(finish(row, server, fake, pg))
        rows[-1]["logging errors"], rows[-1]["other errors"] = server.errors()
    finally:
        server.stop()
    return rows


def delete_circulars_and_events(url: str, made: list[int]) -> None:
    """The bench's circulars (their receipts with them) and its webhook rows: the data set stays as built."""
    from sqlalchemy import delete

    from models import Database, WebhookEvent

    db = Database(url)
    try:
        delete_circulars(db, made)
        with db.session() as s:
            s.execute(delete(WebhookEvent).where(WebhookEvent.id.like("B%") | WebhookEvent.id.like("WARM%")))
    finally:
        db.dispose()


if __name__ == "__main__":
    main()

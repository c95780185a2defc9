"""A city notice (市からのお知らせ) to the chairs of all 1,000 associations: enqueue and dispatch.

    .venv/bin/python bench/city_notice.py [--db kairan_citybench_city] [--latency 0.05] [--runs 3]

On the city's data set (bench/city_dataset.py: 1,000 associations, 200 on their own channel, 800
on the city channel), `--runs` times:

- **enqueue**, in one transaction: the chairs of every association of the municipality with the
  channel each uses (one SELECT: the association's own channel, else the city's), then
  `models.messaging.enqueue` once per channel with that channel's chairs — the 800 chairs on the
  city channel in multicasts of 500, one push on each own channel — and commit. Outbox rows
  written and LINE calls they need, grouped per channel.
- next to it, not dispatched: the same through `enqueue` called once per association with its
  own chair and the channel looked up by `enqueue` itself (what a loop over associations would
  do): 1,000 rows and 2,000 lookups, timed, then rolled back.
- **dispatch**: the scheduler's job `scheduler.jobs.dispatch_outbox` against the fake LINE API
  (own process) answering every call after `--latency`, until nothing is due. Checks: every
  chair got exactly one copy; every row sent; each row left through the channel of its chairs.

- **app**, where this tree has the city notice capability (models/city.py, another part of issue
  11): its own send to every chair — `plans` (who, through which channel, per association),
  `mark_sent` (a receipt per chair), `enqueue` per association as handlers/city/notices.py `send`
  does — then its dispatch, checked the same way; and `plans` alone (the preview computes it too).
  Skipped (`--no-app`, or a tree without models/city.py): the rest measures the equivalent made of
  the outbox's own functions (`enqueue`, the dispatcher), which that capability sends through.

The bench's rows (outbox rows, notices and their receipts) are deleted at the end.
"""
from __future__ import annotations

import argparse
import time

from _common import SECRET, TOKEN, FakeProcess, count, machine, median, summary, table
from city_dataset import CHANNEL_KEY, Spec, ensure

PURPOSE = "bench-city-notice"


def chairs_by_channel(s, municipality_id: int, city_channel_id):
    """{channel id: [(association id, chair's LINE user id), ...]}, one SELECT."""
    from sqlalchemy import func, select

    from models import Association, Member, MemberStatus, Role
    from models.tenancy import Channel

    q = (select(Association.id, Member.line_user_id, func.coalesce(Channel.id, city_channel_id))
         .join(Member, Member.association_id == Association.id)
         .outerjoin(Channel, Channel.association_id == Association.id)
         .where(Association.municipality_id == municipality_id, Member.role == Role.chair,
                Member.status == MemberStatus.active, Member.line_user_id.is_not(None))
         .order_by(Association.id))
    out: dict = {}
    for a, user, ch in s.execute(q):
        out.setdefault(ch, []).append((a, user))
    return out


def notice_message() -> dict:
    from handlers.messages import builders as msg

    return msg.text("【市からのお知らせ】ごみの分別ルールが4月から変わります。回覧用の資料を各自治会にお送りします。")


def enqueue_grouped(db, ds, purpose: str) -> dict:
    from models.messaging import enqueue

    r: dict = {}
    mark = time.perf_counter
    t = mark()
    with db.session() as s:
        t1 = mark()
        groups = chairs_by_channel(s, ds.municipality_id, ds.city_channel_id)
        r["audience s"] = mark() - t1
        message = notice_message()
        t1 = mark()
        rows = 0
        for ch, chairs in groups.items():
            own = ds.channels.get(ch)  # the association of an own channel; None: the city channel
            rows += enqueue(s, own, [u for _, u in chairs], [message], purpose=purpose, channel_id=ch)
        r["enqueue s"] = mark() - t1
        t1 = mark()
    r["commit s"] = mark() - t1
    r["total s"] = mark() - t
    r["chairs"] = sum(len(v) for v in groups.values())
    r["channels"] = len(groups)
    r["outbox rows"] = rows
    r["_expected"] = {u: ch for ch, chairs in groups.items() for _, u in chairs}
    return r


def enqueue_per_association(db, ds) -> dict:
    """The loop a notice should not be: enqueue per association, channel looked up each time."""
    from sqlalchemy import select

    from models import Member, MemberStatus, Role
    from models.messaging import enqueue

    mark = time.perf_counter
    with db.engine.connect() as conn:
        t = mark()
        trans = conn.begin()
        from sqlalchemy.orm import Session

        with Session(bind=conn) as s:
            chairs = s.execute(select(Member.association_id, Member.line_user_id)
                               .where(Member.role == Role.chair, Member.status == MemberStatus.active)
                               .order_by(Member.association_id)).all()
            message = notice_message()
            rows = sum(enqueue(s, a, [u], [message], purpose=PURPOSE + "-loop") for a, u in chairs)
            s.flush()
            elapsed = mark() - t
        trans.rollback()
    return {"per-association enqueue s": elapsed, "per-association rows": rows}


def app_send(db, ds, stmts: list) -> dict | None:
    """The city notice capability's own send (models/city.py `plans`, `mark_sent`, then `enqueue`
    per association as handlers/city/notices.py `send` does), when this tree has it; None otherwise."""
    try:
        from models.city import CityNotice, NoticeAudience, mark_sent, plans
    except ImportError:
        return None
    from handlers.messages import city as city_msg
    from handlers.messages.codec import pb
    from models import utcnow
    from models.messaging import enqueue

    r: dict = {}
    mark = time.perf_counter
    with db.session() as s:  # the preview computes the same plans (twice with its costs): timed alone
        n = CityNotice(municipality_id=ds.municipality_id, title="ごみの分別ルールの変更", body="4月から変わります。",
                       audience=NoticeAudience.chairs, association_ids=[])
        s.add(n)
        s.flush()
        stmts.clear()
        t = mark()
        plans(s, n, ds.city_channel_id)
        r["app plans s"], r["app plans stmts"] = mark() - t, len(stmts)
        s.rollback()
    t = mark()
    stmts.clear()
    with db.session() as s:
        n = CityNotice(municipality_id=ds.municipality_id, title="ごみの分別ルールの変更", body="4月から変わります。",
                       audience=NoticeAudience.chairs, association_ids=[])
        s.add(n)
        s.flush()
        now = utcnow()
        sent = plans(s, n, ds.city_channel_id)
        t1 = mark()
        mark_sent(s, n, sent, now)
        r["app receipts s"] = mark() - t1
        message = city_msg.notice(municipality_name="ベンチ市", title=n.title, body=n.body, when=now, tz="Asia/Tokyo",
                                  read_data=pb("nread", n=n.id), full_data=pb("nfull", n=n.id))
        rows = 0
        for p in sent:
            if p.user_ids:
                rows += enqueue(s, p.association_id, p.user_ids, [message], purpose=f"{PURPOSE}-app:{n.id}",
                                now=now, channel_id=p.channel_id)
        r["app notice id"] = n.id
        t1 = mark()
    r["app commit s"] = mark() - t1
    r["app send s"] = mark() - t
    r["app send stmts"] = len(stmts)
    r["app outbox rows"] = rows
    r["app receipts"] = sum(len(p.receipts) for p in sent)
    r["_expected"] = {u: p.channel_id for p in sent for u in p.user_ids}
    return r


def due(db) -> int:
    from sqlalchemy import func, select

    from models import OutboxMessage

    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.status.in_(["pending", "sending"])))


def cleanup(db, notices: list[int] = ()) -> None:
    from sqlalchemy import delete

    from models import OutboxMessage

    with db.session() as s:
        s.execute(delete(OutboxMessage).where(OutboxMessage.purpose.like(PURPOSE + "%")))
        if notices:
            from models.city import CityNotice

            s.execute(delete(CityNotice).where(CityNotice.id.in_(list(notices))))  # their receipts with them


def run(k, ds, fake: FakeProcess, n: int) -> dict:
    from sqlalchemy import select

    from models import OutboxMessage
    from scheduler.jobs import dispatch_outbox

    fake.call("reset")
    purpose = f"{PURPOSE}:{n}"
    r = enqueue_grouped(k.db, ds, purpose)
    expected = r.pop("_expected")
    mark = time.perf_counter
    t = mark()
    rounds = 0
    while due(k.db) and mark() - t < 600:
        dispatch_outbox(k)
        rounds += 1
    r["dispatch s"] = mark() - t
    r["job runs"] = rounds
    stats = fake.call("stats")
    r["LINE calls"] = sum(v for key, v in stats.items() if key.startswith("POST "))
    r["pushes"], r["multicasts"] = count(stats, "/push"), count(stats, "/multicast")
    got = fake.call("delivered")
    per_user: dict[str, int] = {}
    for via in got.values():
        for u, c in via.items():
            per_user[u] = per_user.get(u, 0) + c
    with k.db.session() as s:
        rows = s.execute(select(OutboxMessage.status, OutboxMessage.channel_id, OutboxMessage.recipients)
                         .where(OutboxMessage.purpose == purpose)).all()
    r["exactly once"] = per_user == {u: 1 for u in expected} and all(st == "sent" for st, _, _ in rows)
    r["right channel"] = all(expected[u] == ch for _, ch, us in rows for u in us)
    r["floor s"] = r["LINE calls"] * fake_latency(fake)
    return r


def run_app(k, ds, fake, stmts: list, notices: list[int]) -> dict:
    """The capability's send and its dispatch (only where models.city exists)."""
    from sqlalchemy import select

    from models import OutboxMessage
    from scheduler.jobs import dispatch_outbox

    fake.call("reset")
    r = app_send(k.db, ds, stmts)
    if r is None:
        return {}
    notices.append(r["app notice id"])
    expected = r.pop("_expected")
    mark = time.perf_counter
    t = mark()
    while due(k.db) and mark() - t < 900:
        dispatch_outbox(k)
    r["app dispatch s"] = mark() - t
    stats = fake.call("stats")
    r["app LINE calls"] = sum(v for key, v in stats.items() if key.startswith("POST "))
    got = fake.call("delivered")
    per_user: dict[str, int] = {}
    for via in got.values():
        for u, c in via.items():
            per_user[u] = per_user.get(u, 0) + c
    with k.db.session() as s:
        rows = s.execute(select(OutboxMessage.status, OutboxMessage.channel_id, OutboxMessage.recipients)
                         .where(OutboxMessage.purpose == f"{PURPOSE}-app:{r['app notice id']}")).all()
    r["app exactly once"] = per_user == {u: 1 for u in expected} and all(st == "sent" for st, _, _ in rows) \
        and all(expected[u] == ch for _, ch, us in rows for u in us)
    return r


def fake_latency(fake: FakeProcess) -> float:
    return getattr(fake, "latency", 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="kairan_citybench_city")
    ap.add_argument("--latency", type=float, default=0.05, help="fake LINE latency per call (s)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-app", action="store_true", help="skip the capability's own send (models/city.py)")
    ap.add_argument("--city-spec", help=argparse.SUPPRESS)  # tests: a JSON Spec for a tiny city
    args = ap.parse_args()
    import json
    import logging
    logging.disable(logging.WARNING)

    from bot.config import Settings
    from bot.state import build

    info = machine()
    ds = ensure(args.db, Spec(**json.loads(args.city_spec)) if args.city_spec else Spec())
    fake = FakeProcess(args.latency)
    fake.latency = args.latency
    settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, simulator=False,
                        line_api_base_url=fake.url, line_data_api_base_url=fake.url, database_url=ds.url,
                        line_timeout_seconds=10.0, secret_key="bench-secret-key-" + "b" * 32)
    if "channel_keys" in Settings.__dataclass_fields__:  # channels at rest (bot/secrets.py)
        settings = settings.with_(channel_keys=(CHANNEL_KEY,))
    k = build(settings)
    rows = []
    notices: list[int] = []
    stmts: list = []
    from sqlalchemy import event
    event.listen(k.db.engine, "before_cursor_execute", lambda *a: stmts.append(1))
    try:
        cleanup(k.db)
        if due(k.db):
            raise SystemExit("the data set's outbox has rows due: not this bench's; stopping")
        for n in range(args.runs):
            row = {"run": n + 1, **run(k, ds, fake, n), **enqueue_per_association(k.db, ds)}
            if not args.no_app:
                row.update(run_app(k, ds, fake, stmts, notices))
            rows.append(row)
    finally:
        cleanup(k.db, notices)
        k.db.dispose()
        fake.close()
    print(f"# {info}\n# fake LINE latency {args.latency * 1000:g} ms per call, calls one after another\n")
    print(table(rows, ["run", "chairs", "channels", "outbox rows", "audience s", "enqueue s", "commit s", "total s",
                       "dispatch s", "LINE calls", "pushes", "multicasts", "floor s", "exactly once", "right channel"]))
    print("\nthe same chairs through enqueue once per association (rolled back, not sent)\n"
          + table(rows, ["run", "per-association rows", "per-association enqueue s"]))
    if rows and "app send s" in rows[0]:
        print("\nthe city notice capability's own send (models/city.py plans + mark_sent, enqueue per association) "
              "and its dispatch\n" + table(rows, ["run", "app plans s", "app plans stmts", "app receipts",
                                                   "app receipts s", "app commit s", "app send s", "app send stmts",
                                                   "app outbox rows", "app dispatch s", "app LINE calls",
                                                   "app exactly once"]))
    med = {key: median([r[key] for r in rows]) for key in ("total s", "dispatch s", "per-association enqueue s")}
    ok = all(r["exactly once"] and r["right channel"] and r.get("app exactly once", True) for r in rows)
    print(f"\nmedians: {med}; every chair exactly one copy, through their channel: {'OK' if ok else 'FAILED'}")
    summary("city_notice", ok=ok, machine=info, args=vars(args), medians=med,
            results=[{k2: (round(v, 4) if isinstance(v, float) else v) for k2, v in r.items()} for r in rows])


if __name__ == "__main__":
    main()

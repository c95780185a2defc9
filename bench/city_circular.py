"""One association's circular in a city's database vs in a database of that association alone.

    .venv/bin/python bench/city_circular.py [--runs 10] [--city kairan_citybench_city]
        [--one kairan_citybench_one] [--association 500]

Two databases built by bench/city_dataset.py (and kept): the city (1,000 associations, 300,000
households, 600,000 past receipts) and one association of the same shape (300 households, 60 %
registered, 2 past circulars). In each, for the association under test (the city: an association
on the city channel, `--association`; and one with its own channel), `--runs` times:

- **send**: what the [送信] button does, in one transaction — a new Circular, `audience`,
  `mark_sent` (receipts), `enqueue` (the resident's Flex, through the association's channel, looked
  up as the app does), `schedule` (the reminder plan), commit;
- **状況**: `models.stats.read_stats` (read rate per 班, who has not read);
- **reminder**: `models.reminders.unread_recipients` (the unread query a reminder step sends);
- **tap**: a resident's 「読みました」: `resolve` (who talks on this channel; also timed alone),
  `delivery_for`, `mark_read`, commit; next to it, a prototype (not in the app) of resolve's member
  lookup with the served associations as a subquery instead of a fetched list of ids;

wall time (median of the runs, after one warm-up) and SQL statements per step. On PostgreSQL,
every SELECT a step sent is then run again under `EXPLAIN (ANALYZE, BUFFERS)` with its own
parameters, and any sequential scan of a table the city makes big (households, members, blocks,
deliveries, circulars, outbox, reminders, associations) is reported: per-association work must
read index ranges, not the city. The circulars the bench made are deleted at the end (their
receipts, outbox rows and reminders with them), so the data set stays as built.
"""
from __future__ import annotations

import argparse
import json
import re
import time

from _common import machine, median, summary, table
from city_dataset import Spec, ensure

BIG = {"households", "members", "blocks", "deliveries", "circulars", "outbox", "reminders", "associations",
       "delivery_history", "dialog_states", "webhook_events"}
ONE_SPEC = Spec(associations=1, households=300, own_channels=1, city_channel=False)
STEPS = ["send", "状況", "reminder", "tap"]


class Recorder:
    """Counts and keeps the statements sent while `on` (SQL, parameters), per step."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.step: str | None = None
        self.seen: dict[str, list[tuple[str, object]]] = {}
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.step is not None:
            self.seen.setdefault(self.step, []).append((statement, None if executemany else parameters))


def channel_ref(ds, association_id: int):
    from models.tenancy import ChannelRef

    own = ds.own_channel.get(association_id)
    if own is not None:
        return ChannelRef(own, "association", association_id, None)
    return ChannelRef(ds.city_channel_id, "municipality", None, ds.municipality_id)


def one_round(db, ds, association_id: int, rec: Recorder, made: list[int]) -> dict:
    from sqlalchemy import select

    from handlers.messages import builders as msg
    from handlers.messages.codec import pb
    from models import Association, Circular, Member, Target, utcnow
    from models.circulars import SUBJECT, audience, delivery_for, mark_sent
    from models.messaging import enqueue
    from models.reminders import plan_times, schedule, unread_recipients
    from models.stats import read_stats
    from models.tenancy import resolve

    out: dict = {}
    mark = time.perf_counter
    with db.session() as s:  # not timed: who taps (a resident of the association, not yet read)
        tapper = s.scalar(select(Member.line_user_id).where(Member.association_id == association_id,
                                                            Member.role == "member").order_by(Member.id)
                          .offset(len(made)).limit(1))
    rec.step = "send"
    t = mark()
    with db.session() as s:
        assoc = s.get(Association, association_id)
        c = Circular(association_id=association_id, title="ごみ収集日の変更", body="来月からごみの収集日が変わります。" * 4,
                     target=Target.all, reminder_plan=[2])
        s.add(c)
        s.flush()
        aud = audience(s, c)
        now = utcnow()
        mark_sent(s, c, aud, now)
        message = msg.circular(association_name=assoc.name, title=c.title, body=c.body, when=now, tz="Asia/Tokyo",
                               read_data=pb("read", c=c.id), full_data=pb("full", c=c.id))
        out["outbox rows"] = enqueue(s, association_id, aud.user_ids, [message], purpose=f"circular:{c.id}")
        schedule(s, association_id, SUBJECT, c.id, plan_times(now, [2], "Asia/Tokyo", 9, (21, 8)))
        cid = c.id
        out["households"], out["recipients"] = len(aud.households), len(aud.recipients)
        out["line households"] = len(aud.line_households)
    out["send"] = mark() - t
    made.append(cid)
    rec.step = "状況"
    t = mark()
    with db.read() as s:
        st = read_stats(s, s.get(Circular, cid))
        out["read"] = st.read
    out["状況"] = mark() - t
    rec.step = "reminder"
    t = mark()
    with db.read() as s:
        users, unread = unread_recipients(s, SUBJECT, cid)
        out["unread"] = unread
    out["reminder"] = mark() - t
    rec.step = "tap"
    t = mark()
    with db.session() as s:
        t1 = mark()
        who = resolve(s, channel_ref(ds, association_id), tapper)
        out["resolve"] = mark() - t1
        c = s.get(Circular, cid)
        assert who.association is not None and who.association.id == association_id, "resolve picked another association"
        d = delivery_for(s, c, who.member.household_id)
        out["tap ok"] = d.mark_read(who.member, "button", utcnow())
    out["tap"] = mark() - t
    rec.step = None
    with db.read() as s:  # prototype, not in the app: the member lookup of resolve with a subquery
        t = mark()
        m = prototype_member(s, channel_ref(ds, association_id), tapper)
        out["prototype"] = mark() - t
        assert m is not None and m.id == who.member.id
    return out


def prototype_member(s, ref, user_id: str):
    """What `resolve` looks up first, with the served associations as a subquery instead of a list
    of ids fetched and sent back (800 bound parameters on a city channel of 800 associations)."""
    from sqlalchemy import select

    from models import Association, Member
    from models.tenancy import _IN_USE, Channel

    if ref.kind == "municipality":
        own = select(Channel.association_id).where(Channel.association_id.is_not(None))
        served = select(Association.id).where(Association.municipality_id == ref.municipality_id,
                                              Association.id.not_in(own)).scalar_subquery()
        where = Member.association_id.in_(served)
    else:
        where = Member.association_id == ref.association_id
    return s.scalars(select(Member).where(where, Member.line_user_id == user_id)
                     .order_by(_IN_USE, Member.id.desc()).limit(1)).first()


def plans(db, rec: Recorder) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of every distinct SELECT a step sent; sequential scans of big tables."""
    from sqlalchemy import text  # noqa: F401

    rows = []
    done = set()
    with db.engine.connect() as conn:
        for step, stmts in rec.seen.items():
            for sql, params in stmts:
                if not sql.lstrip().upper().startswith("SELECT") or params is None:
                    continue
                key = (step, re.sub(r"\s+", " ", sql))
                if key in done:
                    continue
                done.add(key)
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params).scalar()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                top = plan[0]
                seqs, idx = [], set()
                _walk(top["Plan"], seqs, idx)
                rows.append({"step": step, "query": _short(sql), "ms": round(top.get("Execution Time", 0.0), 2),
                             "buffers": top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0),
                             "seq scans of big tables": ", ".join(f"{t} ({n:,} rows)" for t, n in seqs) or "-",
                             "indexes": ", ".join(sorted(idx)) or "-"})
    return rows


def _walk(node: dict, seqs: list, idx: set) -> None:
    rel = node.get("Relation Name")
    if node.get("Node Type") == "Seq Scan" and rel in BIG:
        seqs.append((rel, int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                              + node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))))
    if node.get("Index Name"):
        idx.add(node["Index Name"])
    for child in node.get("Plans", []):
        _walk(child, seqs, idx)


def _short(sql: str) -> str:
    s = re.sub(r"\s+", " ", sql).strip()
    m = re.match(r"SELECT (.*?) FROM (\w+)(.*?)(?: WHERE (.*?))?(?: ORDER BY| LIMIT| FOR UPDATE|$)", s)
    if not m:
        return s[:90]
    where = (m.group(4) or "")
    where = re.sub(r"%\(\w+\)s(::\w+)?", "?", where)
    return f"{m.group(2)}{' +join' if ' JOIN ' in (m.group(3) or '') else ''}: {where[:80]}"


def cleanup(db, made: list[int]) -> None:
    from sqlalchemy import delete

    from models import Circular, OutboxMessage
    from models.reminders import Reminder

    with db.session() as s:
        s.execute(delete(OutboxMessage).where(OutboxMessage.purpose.in_([f"circular:{c}" for c in made])))
        s.execute(delete(Reminder).where(Reminder.subject_type == "circular", Reminder.subject_id.in_(made)))
        s.execute(delete(Circular).where(Circular.id.in_(made)))


def measure(name: str, ds, association_id: int, runs: int, explain: bool) -> tuple[list[dict], list[dict]]:
    from models import Database

    db = Database(ds.url)
    rec = Recorder(db.engine)
    made: list[int] = []
    try:
        one_round(db, ds, association_id, rec, made)  # warm-up
        rounds = []
        for _ in range(runs):
            rec.seen.clear()
            rounds.append(one_round(db, ds, association_id, rec, made))
        stmts = {step: len(rec.seen.get(step, [])) for step in STEPS}
        pl = plans(db, rec) if explain and db.engine.dialect.name == "postgresql" else []
        last = rounds[-1]
        row = {"db": name, "association": association_id,
               "channel": "own" if association_id in ds.own_channel else ("city" if ds.city_channel_id else "env"),
               "households": last["households"], "recipients": last["recipients"], "outbox rows": last["outbox rows"],
               **{f"{step} ms": 1000 * median([r[step] for r in rounds]) for step in STEPS},
               "resolve ms": 1000 * median([r["resolve"] for r in rounds]),
               "prototype ms": 1000 * median([r["prototype"] for r in rounds]),
               **{f"{step} stmts": stmts[step] for step in STEPS},
               "checks": all(r["tap ok"] and r["unread"] == r["line households"] for r in rounds)}
        for p in pl:
            p["db"], p["association"] = name, association_id
        return [row], pl
    finally:
        cleanup(db, made)
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--city", default="kairan_citybench_city")
    ap.add_argument("--one", default="kairan_citybench_one")
    ap.add_argument("--association", type=int, default=500, help="the city's association on the city channel")
    ap.add_argument("--city-spec", help=argparse.SUPPRESS)  # tests: a JSON Spec for a tiny city
    args = ap.parse_args()
    import logging
    logging.disable(logging.WARNING)
    info = machine()
    city_spec = Spec(**json.loads(args.city_spec)) if args.city_spec else Spec()
    one_spec = ONE_SPEC if not args.city_spec else Spec(**{**json.loads(args.city_spec), "associations": 1,
                                                          "own_channels": 1, "city_channel": False,
                                                          "households": city_spec.households // city_spec.associations})
    t = time.perf_counter()
    city, one = ensure(args.city, city_spec), ensure(args.one, one_spec)
    print(f"# data sets ready in {time.perf_counter() - t:.1f} s (city built: {city.built_s}, one built: {one.built_s})")
    on_city = args.association if args.association not in city.own_channel else \
        next(a for a in range(1, city_spec.associations + 1) if a not in city.own_channel)
    own = min(city.own_channel) if city.own_channel else on_city
    rows, pls = [], []
    for name, ds, a in (("one association", one, 1), ("city", city, on_city), ("city", city, own)):
        r, p = measure(name, ds, a, args.runs, explain=True)
        rows += r
        pls += p
    print(f"# {info}\n")
    print(table(rows, ["db", "association", "channel", "households", "recipients", "outbox rows",
                       *[f"{s} ms" for s in STEPS], *[f"{s} stmts" for s in STEPS], "checks"]))
    print("\nthe tap's resolve, and a prototype of its member lookup (subquery, not in the app)\n"
          + table(rows, ["db", "association", "channel", "tap ms", "resolve ms", "prototype ms"]))
    base = rows[0]
    ratios = [{"db": r["db"], "association": r["association"], "channel": r["channel"],
               **{f"{s} ratio": r[f"{s} ms"] / base[f"{s} ms"] for s in STEPS}} for r in rows[1:]]
    print("\ncity / one association\n" + table(ratios))
    if pls:
        print("\nEXPLAIN (ANALYZE, BUFFERS) of each SELECT\n" + table(pls, ["db", "association", "step", "query", "ms",
                                                                          "buffers", "seq scans of big tables",
                                                                          "indexes"]))
    scans = [p for p in pls if p["seq scans of big tables"] != "-" and p["db"] == "city"]
    ok = all(r["checks"] for r in rows)
    print(f"\nchecks (every LINE household unread before the tap, each tap a first read): {'OK' if ok else 'FAILED'}; "
          f"city queries with a sequential scan of a big table: {len(scans)}")
    summary("city_circular", ok=ok, machine=info, args=vars(args), results=rows, ratios=ratios, plans=pls,
            city_seq_scans=len(scans))


if __name__ == "__main__":
    main()

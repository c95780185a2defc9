"""The reminders' unread query among 1,000,000 deliveries, on PostgreSQL, per index choice.

    .venv/bin/python bench/unread_query.py [--circulars 50] [--households 20000] [--read 0.7] [--runs 15]
    .venv/bin/python bench/unread_query.py --circulars 5 --households 2000 --runs 3   # quick check

A fresh database of its own (migrations; dropped at the end), one association of `--households`
households with one active member each, `--circulars` sent circulars (real rows: receipts point
at them through the `circular_id` foreign key) and a receipt per circular and household
bulk-loaded with COPY (`--read` of them read, at random), then VACUUM ANALYZE.

Timed from the client (execute + fetch, median of `--runs` after 3 warm-ups, over 5 circulars),
and explained (ANALYZE, BUFFERS), under four index set-ups, one after the other:

  as migrated   uq_deliveries_circular (circular_id, household_id, person_key) WHERE circular_id IS NOT NULL
                + ix_deliveries_circular_unread (circular_id, read_at) WHERE circular_id IS NOT NULL
  uq only       ix_deliveries_circular_unread dropped
  no index      uq_deliveries_circular dropped too: nothing on circular_id
  partial       only (circular_id) INCLUDE (id, household_id, person_key) WHERE read_at IS NULL

Three forms of the query:

  app SQL       what models/reminders.py pending_recipients (unread_recipients) sends: captured from
                SQLAlchemy at run time and checked against APP_QUERY below; the receipt reaches the
                household's members (person_key 0) or one member (person_key = member id), so the
                join condition is an OR
  unread_recipients()  the function itself, through a SQLAlchemy session (SQL + ORM rows + dedup)
  household join       the older, simpler form (join on household only, person_key = 0), the
                       "query" of the figures before the foreign keys, for comparison
  UNION ALL            a prototype: the app's rows with its OR split into two joins (checked: same rows)
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import time

import psycopg
from _common import add_roster, machine, median, pg_database, summary, table

# What models/reminders.py pending_recipients(session, "circular", id) sends (unread_recipients
# calls it), as SQLAlchemy compiles it for PostgreSQL; `app_sql` checks it at run time.
QUERY = """SELECT members.line_user_id, deliveries.id
FROM deliveries JOIN members ON deliveries.person_key = %(person_key_1)s::INTEGER AND members.household_id = deliveries.household_id OR deliveries.person_key = members.id
WHERE deliveries.circular_id = %(circular_id_1)s::INTEGER AND deliveries.read_at IS NULL AND members.status = %(status_1)s AND members.line_user_id IS NOT NULL ORDER BY members.id"""
PARAMS = {"person_key_1": 0, "status_1": "active"}  # + circular_id_1


def params(cid: int) -> dict:
    return {**PARAMS, "circular_id_1": cid}


# The older, simpler form: household receipts only, joined on the household (the "query" of the
# figures before the foreign keys), on the new column.
HOUSEHOLD_QUERY = """SELECT m.line_user_id FROM deliveries d JOIN members m ON m.household_id = d.household_id
WHERE d.circular_id = %(circular_id_1)s AND d.read_at IS NULL AND d.person_key = 0
  AND m.status = 'active' AND m.line_user_id IS NOT NULL"""

# A prototype, not the app: the same rows as QUERY with the OR split in two (household receipts
# joined on the household, personal ones on the member), so each half can be a hash join.
UNION_QUERY = """SELECT line_user_id, id FROM (
  SELECT m.id AS mid, m.line_user_id, d.id FROM deliveries d JOIN members m ON m.household_id = d.household_id
  WHERE d.circular_id = %(circular_id_1)s AND d.read_at IS NULL AND d.person_key = 0
    AND m.status = 'active' AND m.line_user_id IS NOT NULL
  UNION ALL
  SELECT m.id, m.line_user_id, d.id FROM deliveries d JOIN members m ON m.id = d.person_key
  WHERE d.circular_id = %(circular_id_1)s AND d.read_at IS NULL AND d.person_key <> 0
    AND m.status = 'active' AND m.line_user_id IS NOT NULL) AS u ORDER BY mid"""

SETUPS = [
    ("as migrated", []),
    ("uq only", ["DROP INDEX ix_deliveries_circular_unread"]),
    ("no index", ["DROP INDEX uq_deliveries_circular"]),
    ("partial", ["CREATE INDEX ix_deliveries_circular_unread_incl ON deliveries (circular_id) "
                 "INCLUDE (id, household_id, person_key) WHERE read_at IS NULL"]),
]
CIRCULAR_INDEXES = ("uq_deliveries_circular", "ix_deliveries_circular_unread")  # prefixes


def squash(sql: str) -> str:
    return " ".join(sql.split())


def app_sql(db, cid: int) -> tuple[str, dict]:
    """The statement and parameters unread_recipients sends, captured at the cursor; must be QUERY."""
    from sqlalchemy import event

    from models.reminders import unread_recipients

    seen: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM deliveries" in statement:
            seen.append((statement, dict(parameters)))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        with db.session() as s:
            unread_recipients(s, "circular", cid)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert len(seen) == 1, seen
    statement, sent = seen[0]
    if squash(statement) != squash(QUERY) or sent != params(cid):
        raise SystemExit(f"models/reminders.py now sends another query; update QUERY:\n{statement}\n{sent}")
    return statement, sent


def load(url: str, conninfo: str, args) -> tuple[dict, list[int], list[int]]:
    """Roster and circulars with SQLAlchemy, deliveries with COPY. Returns timings, the household
    ids and the circular ids."""
    from sqlalchemy import insert, select

    from models import Association, Circular, Database, Household
    from models.migrate import upgrade
    from models.sendable import SendState, Target

    t0 = time.perf_counter()
    upgrade(url)
    sent = dt.datetime(2026, 10, 1)
    db = Database(url)
    with db.session() as s:
        a = Association(slug="unread", name="未読町自治会")
        s.add(a)
        s.flush()
        add_roster(s, a.id, args.households)
        assoc_id = a.id
        s.execute(insert(Circular), [
            {"association_id": assoc_id, "title": f"回覧 {i}", "body": "お知らせです。", "target": Target.all,
             "state": SendState.sent, "sent_at": (sent + dt.timedelta(days=i)).replace(tzinfo=dt.timezone.utc), "push_count": args.households}
            for i in range(1, args.circulars + 1)])
    with db.session() as s:
        households = list(s.scalars(select(Household.id).order_by(Household.id)))
        circulars = list(s.scalars(select(Circular.id).order_by(Circular.sent_at)))
    db.dispose()
    t1 = time.perf_counter()
    rng = random.Random(7)
    with psycopg.connect(conninfo) as c, c.cursor() as cur:
        with cur.copy("COPY deliveries (association_id, circular_id, household_id, person_key, via_line, "
                      "delivered_at, page_token, read_at, read_via, answered_by_proxy) FROM STDIN") as copy:
            buf = io.StringIO()
            for n, cid in enumerate(circulars, 1):
                when = sent + dt.timedelta(days=n)
                for h in households:
                    read = rng.random() < args.read
                    buf.write(f"{assoc_id}\t{cid}\t{h}\t0\tt\t{when}\tt{cid}x{h}\t"
                              f"{when + dt.timedelta(seconds=rng.randint(60, 3 * 86400)) if read else chr(92) + 'N'}\t"
                              f"{'button' if read else chr(92) + 'N'}\tf\n")
                copy.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
        c.commit()
    t2 = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("VACUUM ANALYZE")
    t3 = time.perf_counter()
    return {"roster s": t1 - t0, "copy s": t2 - t1, "vacuum analyze s": t3 - t2}, households, circulars


def plan_summary(node: dict, depth: int = 0) -> list[str]:
    """One line per plan node: type, relation/index, actual rows, time, buffers."""
    what = node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "") \
        + (f" using {node['Index Name']}" if "Index Name" in node else "")
    line = (f"{'  ' * depth}{what}: rows={node.get('Actual Rows')} loops={node.get('Actual Loops')} "
            f"time={node.get('Actual Total Time'):.2f} ms hit={node.get('Shared Hit Blocks')} "
            f"read={node.get('Shared Read Blocks')}")
    if node.get("Heap Fetches") is not None:
        line += f" heap_fetches={node['Heap Fetches']}"
    out = [line]
    for child in node.get("Plans", []):
        out += plan_summary(child, depth + 1)
    return out


def timed(call, ids: list[int], runs: int) -> tuple[list[float], int]:
    """Median ms per circular id of `call(id)` (which returns a row count), and the count of the first."""
    times, rows = [], None
    for cid in ids:
        per = []
        for i in range(3 + runs):
            t = time.perf_counter()
            n = call(cid)
            rows = n if rows is None else rows
            if i >= 3:
                per.append(1000 * (time.perf_counter() - t))
        times.append(statistics.median(per))
    return times, rows


def find(node: dict, relation: str) -> dict | None:
    if node.get("Relation Name") == relation or relation in node.get("Index Name", "~"):
        return node
    return next((f for ch in node.get("Plans", []) if (f := find(ch, relation))), None)


def indexes_used(node: dict) -> set[str]:
    return ({node["Index Name"]} if "Index Name" in node else set()) \
        | set().union(*(indexes_used(ch) for ch in node.get("Plans", [])))


def measure(url: str, conninfo: str, name: str, ids: list[int], runs: int) -> tuple[dict, dict]:
    from models import Database
    from models.reminders import unread_recipients

    db = Database(url)
    statement, _ = app_sql(db, ids[0])
    with psycopg.connect(conninfo, prepare_threshold=None) as c:
        times, rows = timed(lambda cid: len(c.execute(statement, params(cid)).fetchall()), ids, runs)
        hh_times, hh_rows = timed(lambda cid: len(c.execute(HOUSEHOLD_QUERY, params(cid)).fetchall()), ids, runs)
        union_times, _ = timed(lambda cid: len(c.execute(UNION_QUERY, params(cid)).fetchall()), ids, runs)
        same = c.execute(statement, params(ids[0])).fetchall() == c.execute(UNION_QUERY, params(ids[0])).fetchall()
        plan = c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params(ids[0])).fetchone()[0][0]
        hh_plan = c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + HOUSEHOLD_QUERY,
                            params(ids[0])).fetchone()[0][0]
        union_plan = c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + UNION_QUERY,
                               params(ids[0])).fetchone()[0][0]
        indexes = dict(c.execute("SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                                 "WHERE relname = 'deliveries' ORDER BY 1").fetchall())

    def function(cid: int) -> int:
        with db.session() as s:
            return unread_recipients(s, "circular", cid)[1]

    fn_times, households = timed(function, ids, runs)
    db.dispose()
    top = plan["Plan"]
    node = find(top, "deliveries")
    used = sorted(i for i in indexes_used(top) if i in indexes and "deliveries" in i)
    row = {"setup": name, "rows (1st id)": rows, "households (1st id)": households,
           "app SQL median ms": median(times), "min of medians ms": min(times), "max of medians ms": max(times),
           "unread_recipients() median ms": median(fn_times), "household join median ms": median(hh_times),
           "household join rows": hh_rows, "UNION ALL median ms": median(union_times), "UNION ALL same rows": same,
           "explain exec ms": plan["Execution Time"],
           "deliveries node ms": node["Actual Total Time"] if node else float("nan"),
           "planning ms": plan["Planning Time"],
           "buffers hit": top.get("Shared Hit Blocks"), "buffers read": top.get("Shared Read Blocks"),
           "deliveries index used": ", ".join(used) or "-",
           "its size MiB": sum(indexes[i] for i in used) / 2**20,
           "circular_id indexes MiB": sum(size for n, size in indexes.items() if n.startswith(CIRCULAR_INDEXES)) / 2**20}
    return row, {"app SQL": plan_summary(top), "household join": plan_summary(hh_plan["Plan"]),
                 "UNION ALL (prototype)": plan_summary(union_plan["Plan"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--circulars", type=int, default=50)
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--read", type=float, default=0.7)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    info = machine()
    results, plans = [], {}
    # a database of its own (the pid: two runs at once never share one), dropped at the end
    with pg_database(f"kairan_bench_unread_{os.getpid()}") as url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        loaded, _, circulars = load(url, conninfo, args)
        with psycopg.connect(conninfo) as c:
            total = c.execute("SELECT count(*), count(*) FILTER (WHERE read_at IS NULL) FROM deliveries").fetchone()
            sizes = c.execute("SELECT pg_size_pretty(pg_relation_size('deliveries')), "
                              "pg_size_pretty(pg_indexes_size('deliveries')), current_setting('shared_buffers')").fetchone()
        print(f"# loaded {total[0]:,} deliveries ({total[1]:,} unread) for {len(circulars)} circulars in "
              f"{loaded['copy s']:.1f} s COPY (+{loaded['roster s']:.1f} s schema, roster and circulars, "
              f"{loaded['vacuum analyze s']:.1f} s VACUUM ANALYZE); table {sizes[0]}, indexes {sizes[1]}, "
              f"shared_buffers {sizes[2]}", flush=True)
        step = max(1, len(circulars) // 5)
        ids = circulars[::-1][::step][:5]  # the latest first
        for name, ddl in SETUPS:
            with psycopg.connect(conninfo, autocommit=True) as c:
                for stmt in ddl:
                    c.execute(stmt)
                c.execute("ANALYZE deliveries")
            row, plan = measure(url, conninfo, name, ids, args.runs)
            print(f"# {name}: app SQL {row['app SQL median ms']:.1f} ms", flush=True)
            results.append(row)
            plans[name] = plan
    print(f"# {info}\n# circulars queried: {ids}; {args.runs} timed runs each after 3 warm-ups; warm cache\n")
    print(table(results, ["setup", "rows (1st id)", "households (1st id)", "app SQL median ms", "min of medians ms",
                          "max of medians ms", "unread_recipients() median ms", "household join median ms",
                          "household join rows", "UNION ALL median ms", "UNION ALL same rows", "explain exec ms", "deliveries node ms", "planning ms", "buffers hit",
                          "buffers read", "deliveries index used", "its size MiB", "circular_id indexes MiB"]))
    for name, plan in plans.items():
        for form, lines in plan.items():
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) {form} — {name}:\n  " + "\n  ".join(lines))
    summary("unread_query", machine=info, args=vars(args), data={"deliveries": total[0], "unread": total[1],
            "table": sizes[0], "indexes": sizes[1], **{k: round(v, 2) for k, v in loaded.items()}},
            results=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in results])


if __name__ == "__main__":
    main()

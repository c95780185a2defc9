"""The reminders' unread-households query among 1,000,000 deliveries, on PostgreSQL, per index choice.

    .venv/bin/python bench/unread_query.py [--circulars 50] [--households 20000] [--read 0.7] [--runs 15]

A fresh database (migrations), one association of `--households` households with one active
member each, and `--circulars` × `--households` deliveries bulk-loaded with COPY (`--read` of
them read, at random), then VACUUM ANALYZE. The query (the one reminders use) is timed from the
client (execute + fetch, median of `--runs` after 3 warm-ups, over 5 circulars; also in the form
models/reminders.unread_recipients sends it, with d.household_id and ORDER BY m.id) and explained
(ANALYZE, BUFFERS) under four index set-ups, one after the other:

  as migrated   uq (subject_type, subject_id, household_id, person_key) + ix_deliveries_subject_unread
  uq only       ix_deliveries_subject_unread dropped
  no index      the unique constraint dropped too: nothing on subject_*
  partial       only (subject_type, subject_id) INCLUDE (household_id) WHERE read_at IS NULL AND person_key = 0
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import time

import psycopg

from _common import add_roster, machine, median, pg_database, summary, table

QUERY = """SELECT m.line_user_id FROM deliveries d JOIN members m ON m.household_id = d.household_id
WHERE d.subject_type = 'circular' AND d.subject_id = %(id)s AND d.read_at IS NULL AND d.person_key = 0
  AND m.status = 'active' AND m.line_user_id IS NOT NULL"""
# what models/reminders.unread_recipients sends: the same, plus the household id and an order
APP_QUERY = QUERY.replace("SELECT m.line_user_id", "SELECT m.line_user_id, d.household_id") + " ORDER BY m.id"

SETUPS = [
    ("as migrated", []),
    ("uq only", ["DROP INDEX ix_deliveries_subject_unread"]),
    ("no index", ["ALTER TABLE deliveries DROP CONSTRAINT uq_deliveries_subject_type_subject_id_household_id_person_key"]),
    ("partial", ["CREATE INDEX ix_deliveries_unread_partial ON deliveries (subject_type, subject_id) "
                 "INCLUDE (household_id) WHERE read_at IS NULL AND person_key = 0"]),
]


def load(url: str, conninfo: str, args) -> tuple[dict, list[int]]:
    """Roster with SQLAlchemy, deliveries with COPY. Returns timings and the household ids."""
    from sqlalchemy import select

    from models import Association, Database, Household
    from models.migrate import upgrade

    t0 = time.perf_counter()
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        a = Association(slug="unread", name="未読町自治会")
        s.add(a)
        s.flush()
        add_roster(s, a.id, args.households)
        assoc_id = a.id
    with db.session() as s:
        households = list(s.scalars(select(Household.id).order_by(Household.id)))
    db.dispose()
    t1 = time.perf_counter()
    rng = random.Random(7)
    sent = dt.datetime(2026, 10, 1)
    with psycopg.connect(conninfo) as c, c.cursor() as cur:
        with cur.copy("COPY deliveries (association_id, subject_type, subject_id, household_id, person_key, via_line, "
                      "delivered_at, page_token, read_at, read_via, answered_by_proxy) FROM STDIN") as copy:
            buf = io.StringIO()
            for cid in range(1, args.circulars + 1):
                when = sent + dt.timedelta(days=cid)
                for h in households:
                    read = rng.random() < args.read
                    buf.write(f"{assoc_id}\tcircular\t{cid}\t{h}\t0\tt\t{when}\tt{cid}x{h}\t"
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
    return {"roster s": t1 - t0, "copy s": t2 - t1, "vacuum analyze s": t3 - t2}, households


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


def timed(c, query: str, ids: list[int], runs: int) -> tuple[list[float], int]:
    """Median ms per circular id, and the row count of the first."""
    times, rows = [], None
    for cid in ids:
        per = []
        for i in range(3 + runs):
            t = time.perf_counter()
            n = len(c.execute(query, {"id": cid}).fetchall())
            rows = n if rows is None else rows
            if i >= 3:
                per.append(1000 * (time.perf_counter() - t))
        times.append(statistics.median(per))
    return times, rows


def find(node: dict, relation: str) -> dict | None:
    if node.get("Relation Name") == relation or relation in node.get("Index Name", "~"):
        return node
    return next((f for ch in node.get("Plans", []) if (f := find(ch, relation))), None)


def measure(conninfo: str, name: str, ids: list[int], runs: int) -> tuple[dict, list[str]]:
    with psycopg.connect(conninfo, prepare_threshold=None) as c:
        times, rows = timed(c, QUERY, ids, runs)
        app_times, _ = timed(c, APP_QUERY, ids, runs)
        plan = c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + QUERY, {"id": ids[0]}).fetchone()[0][0]
        indexes = c.execute("SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                            "WHERE relname = 'deliveries' ORDER BY 1").fetchall()
    top = plan["Plan"]
    scans = [ln.strip().split(":")[0] for ln in plan_summary(top) if "Scan" in ln]
    node = find(top, "deliveries")
    row = {"setup": name, "rows (1st id)": rows, "median ms": median(times), "min of medians ms": min(times),
           "max of medians ms": max(times), "app query median ms": median(app_times),
           "explain exec ms": plan["Execution Time"],
           "deliveries node ms": node["Actual Total Time"] if node else float("nan"),
           "planning ms": plan["Planning Time"],
           "buffers hit": top.get("Shared Hit Blocks"), "buffers read": top.get("Shared Read Blocks"),
           "deliveries scan": next((s for s in scans if "deliveries" in s), "?"),
           "subject index MiB": sum(size for n, size in indexes
                                    if n.startswith(("uq_deliveries_subject", "ix_deliveries_subject", "ix_deliveries_unread"))) / 2**20}
    return row, plan_summary(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--circulars", type=int, default=50)
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--read", type=float, default=0.7)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    info = machine()
    results, plans = [], {}
    with pg_database("kairan_unread") as url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        loaded, _ = load(url, conninfo, args)
        with psycopg.connect(conninfo) as c:
            total = c.execute("SELECT count(*), count(*) FILTER (WHERE read_at IS NULL) FROM deliveries").fetchone()
            sizes = c.execute("SELECT pg_size_pretty(pg_relation_size('deliveries')), "
                              "pg_size_pretty(pg_indexes_size('deliveries')), current_setting('shared_buffers')").fetchone()
        print(f"# loaded {total[0]:,} deliveries ({total[1]:,} unread) in {loaded['copy s']:.1f} s COPY "
              f"(+{loaded['roster s']:.1f} s schema and roster, {loaded['vacuum analyze s']:.1f} s VACUUM ANALYZE); "
              f"table {sizes[0]}, indexes {sizes[1]}, shared_buffers {sizes[2]}")
        step = max(1, args.circulars // 5)
        ids = list(range(args.circulars, 0, -step))[:5]
        for name, ddl in SETUPS:
            with psycopg.connect(conninfo, autocommit=True) as c:
                for stmt in ddl:
                    c.execute(stmt)
                c.execute("ANALYZE deliveries")
            row, plan = measure(conninfo, name, ids, args.runs)
            results.append(row)
            plans[name] = plan
    print(f"# {info}\n# circulars queried: {ids}; {args.runs} timed runs each after 3 warm-ups; warm cache\n")
    print(table(results, ["setup", "rows (1st id)", "median ms", "min of medians ms", "max of medians ms", "app query median ms",
                          "explain exec ms", "deliveries node ms", "planning ms", "buffers hit", "buffers read", "subject index MiB"]))
    for name, plan in plans.items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) — {name}:\n  " + "\n  ".join(plan))
    summary("unread_query", machine=info, args=vars(args), data={"deliveries": total[0], "unread": total[1],
            "table": sizes[0], "indexes": sizes[1], **{k: round(v, 2) for k, v in loaded.items()}},
            results=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in results])


if __name__ == "__main__":
    main()

"""The [送信] transaction for 20,000 households: the app's ORM path vs a column/Core bulk path.

    .venv/bin/python bench/send_alt.py [--db sqlite,pg] [--households 20000] [--repeat 3]

A prototype for docs/benchmarks.md (problem 2), not app code. "orm" is what handlers/circulars.py
on_send does: models.circulars.audience (full Household and Member objects) + mark_sent (one ORM
Delivery object per household). "bulk" selects only the columns it needs and inserts the same
Delivery rows with one Core executemany (insertmanyvalues). Each variant sends its own circular,
in one transaction, `--repeat` times; the rows written are compared column by column.
"""
from __future__ import annotations

import argparse
import secrets
import tempfile
import time

from _common import add_roster, machine, median, pg_database, sqlite_url, summary, table


def orm_send(s, c) -> int:
    from models.circulars import audience, mark_sent

    aud = audience(s, c)
    mark_sent(s, c, aud)
    s.flush()
    return len(aud.user_ids)


def bulk_send(s, c) -> int:
    from sqlalchemy import insert, select

    from models import CircularState, Delivery, Household, Member, MemberStatus, utcnow

    now = utcnow()
    households = s.execute(select(Household.id).where(Household.association_id == c.association_id)
                           .order_by(Household.block_id, Household.id)).scalars().all()
    members = s.execute(select(Member.household_id, Member.line_user_id).where(
        Member.association_id == c.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.household_id.is_not(None)).order_by(Member.id)).all()
    with_line = {h for h, _ in members}
    s.execute(insert(Delivery), [
        {"association_id": c.association_id, "circular_id": c.id, "household_id": h,
         "person_key": 0, "via_line": h in with_line, "delivered_at": now, "page_token": secrets.token_urlsafe(16),
         "answered_by_proxy": False} for h in households])
    c.state, c.sent_at, c.push_count = CircularState.sent, now, len(members)
    s.flush()
    return len(members)


def run(url: str, households: int, repeat: int) -> list[dict]:
    from sqlalchemy import select

    from models import Association, Circular, Database, Delivery, Target
    from models.migrate import upgrade

    upgrade(url)
    db = Database(url)
    with db.session() as s:
        a = Association(slug="send", name="送信町自治会")
        s.add(a)
        s.flush()
        add_roster(s, a.id, households)
    rows = []
    for _ in range(repeat):
        for name, fn in (("orm", orm_send), ("bulk", bulk_send)):
            t = time.perf_counter()
            with db.session() as s:
                c = Circular(association_id=a.id, title="比較", body="本文", target=Target.all)
                s.add(c)
                s.flush()
                recipients = fn(s, c)
            rows.append({"variant": name, "circular": c.id, "recipients": recipients, "s": time.perf_counter() - t})
    with db.session() as s:  # same rows either way (ignoring ids, tokens and timestamps)
        shape = lambda cid: sorted(s.execute(select(Delivery.household_id, Delivery.via_line, Delivery.person_key,  # noqa: E731
                                                    Delivery.read_at).where(Delivery.circular_id == cid)).all())
        same = shape(rows[0]["circular"]) == shape(rows[1]["circular"])
    db.dispose()
    return [{**r, "same rows": same} for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,pg")
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for db in args.db.split(","):
            if db == "pg":
                with pg_database("kairan_send") as url:
                    rows = run(url, args.households, args.repeat)
            else:
                rows = run(sqlite_url(tmp), args.households, args.repeat)
            for v in ("orm", "bulk"):
                mine = [r for r in rows if r["variant"] == v]
                out.append({"db": db, "variant": v, "recipients": mine[0]["recipients"], "runs": len(mine),
                            "median s": median([r["s"] for r in mine]), "same rows": mine[0]["same rows"]})
    info = machine()
    print(f"# {info}\n")
    print(table(out))
    summary("send_alt", machine=info, args=vars(args),
            results=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in out])


if __name__ == "__main__":
    main()

"""The live safety page (/admin/safety/) and its CSV at N households, as a disaster officer sees it.

    .venv/bin/python bench/safety_page.py [--db sqlite,pg] [--households 3000] [--runs 10]

Seeds an association of N households (one LINE member each), an active disaster with a receipt
per household, answers from 60 % of them (a comment each, 5 % 救助が必要) and a location from
20 %, signs the 防災担当 in through the real one-time link, then GETs the page (first page),
the CSV, and the page again with the If-None-Match of the last answer (the 30-second refresh
when nothing changed). Prints wall time per request (median, max) and SQL statements per request.
In-process (Flask test client), so the figures are the app's own work without network or gunicorn.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from _common import add_roster, machine, median, pg_database, sqlite_url, summary, table

SECRET_KEY = "bench-secret-key-" + "b" * 32


def seed(db, n: int) -> str:
    """Returns the LINE user id of the 防災担当."""
    from sqlalchemy import insert, select, update

    from models import Association, Delivery, Disaster, Member, Role, SafetyLocation, utcnow
    from models.delivery import write_receipts

    with db.session() as s:
        assoc = Association(slug="bench", name="ベンチ自治会")
        s.add(assoc)
        s.flush()
        users = add_roster(s, assoc.id, n)
        officer = s.scalar(select(Member).where(Member.line_user_id == users[0]))
        officer.role = Role.disaster_officer
        d = Disaster(association_id=assoc.id, kind="quake", message="bench", started_by_id=officer.id)
        s.add(d)
        s.flush()
        hh = s.execute(select(Member.household_id, Member.id).where(Member.association_id == assoc.id)
                       .order_by(Member.id)).all()
        now = utcnow()
        write_receipts(s, assoc.id, "safety", d.id, [(h, 0, True) for h, _ in hh], now)
        rows = s.execute(select(Delivery.id, Delivery.household_id).where(Delivery.disaster_id == d.id)
                         .order_by(Delivery.id)).all()
        member_of = dict(hh)
        locs = []
        for i, (did, hid) in enumerate(rows):
            if i % 10 < 6:
                answer = "rescue" if i % 20 == 0 else ("injured" if i % 20 == 1 else "safe")
                s.execute(update(Delivery).where(Delivery.id == did).values(
                    answer=answer, answer_data={"comment": f"コメント{i}", "people": 2}, answered_at=now,
                    answered_by_id=member_of[hid], read_at=now))
            if i % 5 == 0:
                locs.append({"association_id": assoc.id, "disaster_id": d.id, "delivery_id": did,
                             "member_id": member_of[hid], "latitude": 35.68 + i * 1e-5,
                             "longitude": 139.76 + i * 1e-5, "address": f"東町{i}", "at": now})
        if locs:
            s.execute(insert(SafetyLocation), locs)
    return users[0]


def sign_in(app, k, user: str):
    from sqlalchemy import select

    from bot.web.signin import issue_login_link
    from models import Member

    with k.db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == user))
        link = issue_login_link(s, k.settings, m)
    client = app.test_client()
    resp = client.post(link[len(k.settings.base_url):])
    assert resp.status_code in (302, 303), resp.status_code
    return client


def measure(name: str, url: str, n: int, runs: int) -> list[dict]:
    from sqlalchemy import event

    from bot.app import create_app
    from bot.config import Settings
    from models.migrate import upgrade

    upgrade(url)
    settings = Settings(channel_secret="bench", channel_access_token="bench", simulator=False,
                        database_url=url, base_url="https://kairan.example.jp", secret_key=SECRET_KEY,
                        line_api_base_url="http://127.0.0.1:9", line_data_api_base_url="http://127.0.0.1:9")
    app = create_app(settings)
    k = app.extensions["kairan"]
    statements = [0]
    event.listen(k.db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    try:
        user = seed(k.db, n)
        client = sign_in(app, k, user)
        out = []
        etag = None
        for what, path, conditional in (("page", "/admin/safety/", False), ("csv", "/admin/safety/export.csv", False),
                                        ("refresh, unchanged", "/admin/safety/", True)):
            times, counts, status, size = [], [], None, 0
            for _ in range(runs):
                headers = {"If-None-Match": etag} if conditional and etag else {}
                statements[0] = 0
                t = time.perf_counter()
                resp = client.get(path, headers=headers)
                body = resp.get_data()
                times.append(time.perf_counter() - t)
                counts.append(statements[0])
                status, size = resp.status_code, len(body)
                if what == "page":
                    etag = resp.headers.get("ETag")
            out.append({"db": name, "households": n, "request": what, "status": status, "bytes": size,
                        "median_ms": median(times) * 1000, "max_ms": max(times) * 1000,
                        "statements": max(counts)})
        return out
    finally:
        k.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="sqlite,pg")
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    import logging
    logging.disable(logging.WARNING)
    info = machine()
    rows: list[dict] = []
    for name in args.db.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="kairan-bench-") as tmp:
                rows += measure("sqlite", sqlite_url(tmp), args.households, args.runs)
        elif name == "pg":
            with pg_database("kairan_web_bench") as url:
                rows += measure("pg", url, args.households, args.runs)
    print(table(rows))
    summary("safety_page", machine=info, rows=rows)


if __name__ == "__main__":
    main()

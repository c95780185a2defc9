"""Where a webhook event's time goes: pyinstrument over POST /callback, in-process.

    .venv/bin/python bench/profile_webhook.py [--kind read|safety] [--events 600] [--db sqlite|pg] [--top 25]

The app as gunicorn builds it (bot.app:create_app), the events handled inline on the request's
thread (KAIRAN handle_events_inline: the same store / claim / handle / reply code the pool runs),
replies to the fake LINE API in a child process. Signed single-event bodies from 300 registered
residents, posted through Flask's test client. Prints pyinstrument's tree (time per call site,
own and inclusive), the inclusive time of the hot path's stages, and the database round trips
per event (each statement and commit, by its first 70 characters).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time

from _common import SECRET, TOKEN, FakeProcess, pg_database, sqlite_url
from webhook import Bodies, prepare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", default="read", choices=["read", "safety"])
    ap.add_argument("--events", type=int, default=600)
    ap.add_argument("--members", type=int, default=300)
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--html", help="also write pyinstrument's HTML here")
    args = ap.parse_args()
    import logging

    from pyinstrument import Profiler
    # the app's INFO lines are formatted as under gunicorn (bot.app.configure_logging), written nowhere
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=open(os.devnull, "w"))

    fake = FakeProcess()
    try:
        with tempfile.TemporaryDirectory(prefix="kairan-prof-") as tmp:
            ctx = pg_database("kairan_prof") if args.db == "pg" else contextlib.nullcontext(sqlite_url(tmp))
            with ctx as url:
                cid, users = prepare(url, args.members, args.kind)
                os.environ.update({"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                                   "LINE_API_BASE_URL": fake.url, "LINE_DATA_API_BASE_URL": fake.url,
                                   "KAIRAN_BASE_URL": "https://kairan.example.jp", "DATABASE_URL": url,
                                   "KAIRAN_SECRET_KEY": "bench-secret-key-" + "b" * 32})
                from bot.app import create_app

                app = create_app(handle_events_inline=True)
                client = app.test_client()
                bodies = Bodies(fake, users, cid, 1.0, kind=args.kind)

                def post(batch):
                    for body, sig in batch:
                        r = client.post("/callback", data=body, headers={"X-Line-Signature": sig,
                                                                         "Content-Type": "application/json"})
                        assert r.status_code == 200, r.status_code
                post(bodies.make(50, "WARM"))
                batch = bodies.make(args.events, "PROF")
                # the database round trips per event (statements and commits), counted beside the profile
                from collections import Counter

                from sqlalchemy import event as sa_event
                from sqlalchemy.engine import Engine
                trips: Counter = Counter()
                waited: Counter = Counter()  # wall ms from the statement's send to its result

                def statement(conn, _cursor, sql, *_rest):
                    conn.info["kairan_sent"] = time.perf_counter()

                def answered(conn, _cursor, sql, *_rest):
                    key = " ".join(sql.split())[:70]
                    trips[key] += 1
                    waited[key] += 1000 * (time.perf_counter() - conn.info.pop("kairan_sent", time.perf_counter()))

                def commit(_conn):
                    trips["COMMIT"] += 1
                sa_event.listen(Engine, "before_cursor_execute", statement)
                sa_event.listen(Engine, "after_cursor_execute", answered)
                sa_event.listen(Engine, "commit", commit)
                prof = Profiler(interval=0.0005)
                t = time.perf_counter()
                prof.start()
                post(batch)
                prof.stop()
                wall = time.perf_counter() - t
                sa_event.remove(Engine, "before_cursor_execute", statement)
                sa_event.remove(Engine, "after_cursor_execute", answered)
                sa_event.remove(Engine, "commit", commit)
                print(f"# {args.kind} taps on {args.db}: {args.events} events in {wall:.2f} s = "
                      f"{1000 * wall / args.events:.2f} ms per event (profiled, inline handling)")
                print(prof.output_text(unicode=True, color=False, show_all=False))
                # inclusive time of the hot path's stages (outermost call of each name), per event
                # _claim_and_apply: claim + handling in one transaction (this branch); _claim_row +
                # _apply: the two transactions before it (main before issue 15's second pass)
                stages = ["callback", "parse_body", "store", "handle_all", "_claim_and_apply", "_claim_row", "_apply",
                          "resolve", "dispatch", "flush", "commit", "_reply", "_next_for_user", "from_dict", "_call"]
                found: dict[str, float] = {}

                def walk(frame, seen=()):
                    name = frame.function.split(".")[-1]
                    inside = seen
                    if name in stages and name not in seen:
                        found[name] = found.get(name, 0.0) + frame.time
                        inside = seen + (name,)
                    for c in frame.children:
                        walk(c, inside)
                walk(prof.last_session.root_frame())
                print("stage (inclusive, outermost call)   ms/event")
                for k in stages:
                    print(f"  {k:34} {1000 * found.get(k, 0.0) / args.events:6.2f}")
                print(f"database round trips per event: {sum(trips.values()) / args.events:.2f} "
                      "(per event, and the statement's wall ms from send to result, profiler included)")
                for sql, n in trips.most_common():
                    ms = f"{waited[sql] / n:6.3f} ms" if sql in waited else " " * 9
                    print(f"  {n / args.events:5.2f}  {ms}  {sql}")
                if args.html:
                    open(args.html, "w").write(prof.output_html())
    finally:
        fake.close()


if __name__ == "__main__":
    main()

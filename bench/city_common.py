"""Helpers of the city-tier benchmarks: the fake LINE API in its own process, knowing the data
set's channels by their tokens (bot/dev/fake_line.py `tokens`), so every request is attributed
to the channel whose token sent it; and a fresh circular to tap.

Same pipe protocol as `_common.FakeProcess` (issue, stats, delivered, invalid, reset, close),
plus `tokens` (token → channel name), `issue` with a channel per user, and `by_channel`
(channel name → {user id: copies} of the pushes and multicasts LINE accepted, and replies).
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections import Counter

from _common import ROOT  # noqa: F401 - puts the project on sys.path


def _city_fake_main(conn, latency: float) -> None:
    import logging

    from bot.dev.fake_line import FakeLine, ServedFake

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    served = ServedFake(FakeLine())
    fake = served.fake
    fake.latency, fake.quota_limit = latency, None
    conn.send(served.url)
    while True:
        cmd, arg = conn.recv()
        if cmd == "issue":  # [(user id, channel name or None), ...] or [user id, ...] -> [reply token, ...]
            conn.send([fake.issue_reply_token(*(u if isinstance(u, (list, tuple)) else (u, None))) for u in arg])
        elif cmd == "tokens":  # {token: channel name}
            with fake._lock:
                fake.tokens.clear()
                fake.tokens.update(arg)
            conn.send(True)
        elif cmd == "stats":
            with fake._lock:
                conn.send(dict(Counter(f"{r.method} {r.path} {r.status}" for r in fake.requests)))
        elif cmd == "by_channel":
            with fake._lock:
                out: dict[str, Counter] = {}
                for r in fake.requests:
                    if r.method == "POST" and r.status == 200 and isinstance(r.body, dict):
                        to = r.body.get("to")
                        users = to if isinstance(to, list) else [to] if to else []
                        if r.path.endswith("/reply"):
                            users = ["reply"]
                        for u in users:
                            out.setdefault(r.channel or "?", Counter())[u] += 1
                conn.send({k: dict(v) for k, v in out.items()})
        elif cmd == "delivered":
            with fake._lock:
                got: dict[str, Counter] = {}
                for d in fake.delivered:
                    got.setdefault(d.via, Counter())[d.user_id] += 1
                conn.send({k: dict(v) for k, v in got.items()})
        elif cmd == "invalid":
            conn.send(list(fake.invalid))
        elif cmd == "reset":
            fake.reset()  # also forgets the tokens: send `tokens` again
            conn.send(True)
        elif cmd == "close":
            served.close()
            conn.send(True)
            return


class CityFake:
    """The fake LINE API in a child process, naming the data set's channels by their tokens."""

    def __init__(self, latency: float = 0.0):
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_city_fake_main, args=(child, latency), daemon=True)
        self.proc.start()
        self.url = self._conn.recv()
        self.latency = latency
        self.names: dict[str, str] = {}

    def call(self, cmd: str, arg=None):
        self._conn.send((cmd, arg))
        out = self._conn.recv()
        if cmd == "reset" and self.names:
            self._conn.send(("tokens", self.names))
            self._conn.recv()
        return out

    def name_channels(self, channel_ids) -> None:
        """Each channel's token is known as "ch<id>"."""
        from city_dataset import channel_token

        self.names = {channel_token(i): f"ch{i}" for i in channel_ids}
        self.call("tokens", self.names)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("close")
        self.proc.join(5)


def fresh_circular(db, association_id: int, title: str = "ごみ収集日の変更") -> int:
    """A circular sent to every household of the association (receipts only, no outbox rows)."""
    from models import Circular, Target
    from models.circulars import audience, mark_sent

    with db.session() as s:
        c = Circular(association_id=association_id, title=title, body="来月からごみの収集日が変わります。",
                     target=Target.all, reminder_plan=[])
        s.add(c)
        s.flush()
        mark_sent(s, c, audience(s, c))
        return c.id


def delete_circulars(db, ids: list[int]) -> None:
    from sqlalchemy import delete

    from models import Circular

    if ids:
        with db.session() as s:
            s.execute(delete(Circular).where(Circular.id.in_(ids)))

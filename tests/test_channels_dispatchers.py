"""Two scheduler processes side by side over several channels: every outbox row is sent exactly
once, through its own channel's token, whichever process claims it."""
from __future__ import annotations

import collections
import threading

from sqlalchemy import select

from bot import outbox
from bot.state import build
from models import OutboxMessage, Role
from models.messaging import enqueue

from channels_kit import association, channel, municipality, register_tokens


def test_two_dispatchers_over_three_channels_send_each_row_once_through_its_channel(demo, k, fake):
    city = municipality(k.db)
    minami = association(k.db, "minami", "南町自治会", [("南町 会長", Role.chair)], city)
    nishi = association(k.db, "nishi", "西町自治会", [("西町 会長", Role.chair)], city)
    own = channel(k, "南町", association_id=minami)
    city_channel = channel(k, "みなと市", municipality_id=city)
    register_tokens(k, fake)
    expected = {}
    with k.db.session() as s:
        for i in range(30):
            for assoc, name in ((minami, own["name"]), (nishi, city_channel["name"]), (None, "env")):
                to = "U%032x" % (i * 10 + (assoc or 0))
                enqueue(s, assoc if assoc else k.channels.env_association_id(), [to],
                        [{"type": "text", "text": f"お知らせ{i}"}], f"n:{i}")
                expected[to] = name
    other = build(k.settings)  # a second process: its own engine, channel directory and clients
    fake.latency = 0.01
    errors = []

    def worker(process):
        try:
            for _ in range(200):
                if outbox.dispatch_once(process.db, process.line, limit=5) == 0:
                    with process.db.session() as s:
                        if not s.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "pending")):
                            break
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    try:
        threads = [threading.Thread(target=worker, args=(p,)) for p in (k, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        other.db.dispose()
    assert not errors
    pushes = fake.sends("/push")
    assert collections.Counter(r.retry_key for r in pushes).most_common(1)[0][1] == 1  # no row twice
    assert {r.body["to"]: r.channel for r in pushes} == expected  # each through its own channel
    with k.db.session() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}

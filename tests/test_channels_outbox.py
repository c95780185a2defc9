"""The outbox with several channels: each row leaves through its own channel's token, and one
channel's quota (its monthly limit, its reserve) never holds up another channel's rows."""
from __future__ import annotations

import collections
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot import outbox
from bot.secrets import SecretBox
from models import LineQuota, OutboxMessage, Role
from models.messaging import enqueue
from models.tenancy import Channel, quota_key

from channels_kit import association, channel, municipality, on, register_tokens
from conftest import user_id

JST = dt.timezone(dt.timedelta(hours=9))
MONTHLY = {"message": "You have reached your monthly limit."}


@pytest.fixture
def two(demo, k, fake):
    city = municipality(k.db)
    minami = association(k.db, "minami", "南町自治会", [("南町 会長", Role.chair)], city)
    nishi = association(k.db, "nishi", "西町自治会", [("西町 会長", Role.chair)], city)
    a = channel(k, "南町", association_id=minami)
    c = channel(k, "みなと市", municipality_id=city)
    register_tokens(k, fake)
    return {"A": a, "C": c, "minami": minami, "nishi": nishi}


def push(db, association_id, channel_id, n, *, start=0, recipients=1, priority=0, purpose="bulk"):
    with db.session() as s:
        for i in range(start, start + n):
            ids = [user_id(f"r{i}-{j}") for j in range(recipients)]
            enqueue(s, association_id, ids, [{"type": "text", "text": f"お知らせ{i}"}], f"{purpose}:{i}",
                    priority=priority, channel_id=channel_id)


def rows(db) -> list[OutboxMessage]:
    with db.session() as s:
        out = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        s.expunge_all()
        return out


def test_each_row_leaves_through_its_channels_token(k, fake, two):
    a, c = two["A"], two["C"]
    push(k.db, two["minami"], a["id"], 2)
    push(k.db, two["nishi"], c["id"], 1, start=10)
    push(k.db, 1, None, 1, start=20)
    with k.db.session() as s:  # without a channel id: the association's own channel, else the city's
        enqueue(s, two["nishi"], [user_id("西町 会長")], [{"type": "text", "text": "市の"}], "lookup")
    assert outbox.drain(k.db, k.line) == 5
    by = collections.defaultdict(list)
    for r in fake.sends("/push"):
        by[r.channel].append(r.body["messages"][0]["text"])
        assert r.headers["authorization"] == "Bearer " + {a["name"]: a["token"], c["name"]: c["token"],
                                                          "env": k.settings.channel_access_token}[r.channel]
    assert dict(by) == {a["name"]: ["お知らせ0", "お知らせ1"], c["name"]: ["お知らせ10", "市の"], "env": ["お知らせ20"]}


def test_a_channel_at_its_monthly_limit_holds_its_own_rows_not_the_others(k, fake, two):
    a, c = two["A"], two["C"]
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=JST), tick=False):
        push(k.db, two["minami"], a["id"], 3)  # A's rows first in the queue
        push(k.db, two["nishi"], c["id"], 2, start=10)
        fake.fail_next(429, channel=a["name"], body=MONTHLY)
        outbox.dispatch_once(k.db, k.line, limit=3)  # one try on A, then C's two rows
        assert [(r.channel_id, r.status) for r in rows(k.db)] == [(a["id"], "held")] * 3 + [(c["id"], "sent")] * 2
        assert len(fake.sends_via(a["name"])) == 1  # A's other rows were not tried one by one
        held = [r for r in rows(k.db) if r.status == "held"]
        assert {r.next_attempt_at.astimezone(JST) for r in held} == {dt.datetime(2026, 12, 1, 0, 5, tzinfo=JST)}
        assert all("monthly limit" in r.last_error for r in held)


def test_the_urgent_reserve_is_kept_per_channel(k, fake, two, settings):
    assert settings.urgent_quota_reserve == 50
    a, c = two["A"], two["C"]
    fake.quota_limits[a["name"]] = 55  # A: only 5 messages above the reserve; C: the default 200
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=JST), tick=False):
        push(k.db, two["minami"], a["id"], 1, recipients=10)
        push(k.db, two["nishi"], c["id"], 1, start=10, recipients=10)
        push(k.db, two["minami"], a["id"], 1, start=20, priority=100, purpose="rescue")  # urgent: never held
        outbox.drain(k.db, k.line)
        status = {r.purpose: (r.channel_id, r.status) for r in rows(k.db)}
        assert status == {"bulk:0": (a["id"], "held"), "bulk:10": (c["id"], "sent"), "rescue:20": (a["id"], "sent")}
        assert "urgent" in next(r for r in rows(k.db) if r.purpose == "bulk:0").last_error
        with k.db.session() as s:  # each channel's figure, asked with its own token
            quota = {q.channel: q.monthly_limit for q in s.scalars(select(LineQuota))}
        assert quota == {quota_key(a["id"]): 55, quota_key(c["id"]): 200}
        asked = {r.channel for r in fake.requests if r.path.endswith("/quota")}
        assert asked == {a["name"], c["name"]}


def test_a_row_of_a_channel_that_cannot_be_read_fails_saying_so(k, fake, two):
    a = two["A"]
    with k.db.session() as s:  # encrypted with a key this deployment does not have
        row = s.get(Channel, a["id"])
        other = SecretBox([b"6h_-aX6MEKz40vYl5hS8Rc3NB0rDe-u8EJQDXkKBy7M="])
        row.secret_enc, row.token_enc, row.version = other.encrypt("x"), other.encrypt("y"), row.version + 1
    k.channels.invalidate()
    push(k.db, two["minami"], a["id"], 1)
    push(k.db, two["nishi"], two["C"]["id"], 1, start=10)
    outbox.drain(k.db, k.line)
    (gone, fine) = rows(k.db)
    assert gone.status == "failed" and f"channel {a['id']} no longer exists" in gone.last_error
    assert fine.status == "sent"
    assert fake.sends_via(a["name"]) == []


def test_a_rotated_token_is_used_from_the_next_send(k, fake, two, db_url):
    from click.testing import CliRunner

    from bot.cli import main

    a = two["A"]
    push(k.db, two["minami"], a["id"], 1)
    outbox.drain(k.db, k.line)
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
                            "KAIRAN_SECRET_KEY": k.settings.secret_key, "KAIRAN_ASSOCIATION": None})
    result = runner.invoke(main, ["channel", "rotate", "--bot-user-id", a["bot_user_id"], "--token", "rotated-token-A"])
    assert result.exit_code == 0, result.output
    k.channels.invalidate()  # (another process sees it within KAIRAN_CHANNEL_CHECK_SECONDS)
    fake.tokens["rotated-token-A"] = a["name"]
    del fake.tokens[a["token"]]  # LINE no longer takes the old one
    push(k.db, two["minami"], a["id"], 1, start=1)
    outbox.drain(k.db, k.line)
    assert [r.status for r in rows(k.db)] == ["sent", "sent"]
    assert [r.token for r in fake.sends_via(a["name"], "/push")] == [a["token"], "rotated-token-A"]


def test_a_circular_on_an_associations_own_channel_asks_its_quota_and_goes_out_there(app, k, fake, two):
    from handlers.messages import texts

    a = two["A"]
    chair = user_id("南町 会長")
    line = on(app, fake, a)
    preview = line.text(chair, "回覧 清掃のお知らせ\n本文です。")
    line.tap(chair, preview, texts.SEND)
    outbox.drain(k.db, k.line)
    assert {r.channel for r in fake.requests if "/quota" in r.path} == {a["name"]}
    with k.db.session() as s:
        assert {q.channel for q in s.scalars(select(LineQuota))} == {quota_key(a["id"])}
    sent = [r for r in rows(k.db) if r.purpose.startswith("circular")]
    assert sent and {(r.channel_id, r.association_id, r.status) for r in sent} == {(a["id"], two["minami"], "sent")}
    assert {r.channel for r in fake.sends("/reply")} == {a["name"]}

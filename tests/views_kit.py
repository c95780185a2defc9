"""What the pull-view tests share (a helper module, not a test module): the demo people, a fixed
clock, tapping a view as the rich menu does, and the proof that a view answered by reply only."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from handlers.messages.codec import pb
from handlers.messages.views import MAX_BUBBLES
from models import Circular, Household, Member, MemberStatus, OutboxMessage, utcnow
from models.roster import PRIVACY_POLICY_VERSION

CHAIR = demo_user_id("山田 太郎")  # 1班, 会長
SATO = demo_user_id("佐藤 花子")  # 1班
SUZUKI = demo_user_id("鈴木 一郎")  # 1班, another household
LEADER = demo_user_id("田中 実")  # 班長 (2班)
BOSAI = demo_user_id("小林 修")  # 防災担当 (3班)
JIRO = demo_user_id("佐藤 次郎")  # registered in 佐藤 花子's household by `family_member`
NEWCOMER = demo_user_id("新井 初")  # a LINE user who is not a member
T0 = dt.datetime(2026, 11, 22, 23, 40, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def family_member(db, household_name: str = "佐藤 花子", name: str = "佐藤 次郎", uid: str = JIRO) -> None:
    """A second registered member in a demo household."""
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == household_name))
        s.add(Member(association_id=h.association_id, line_user_id=uid, household_id=h.id, block_id=h.block_id,
                     name=name, status=MemberStatus.active, consent_at=utcnow(),
                     consent_policy_version=PRIVACY_POLICY_VERSION))


def outbox_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


def pushes(fake) -> int:
    return len([r for r in fake.sends() if r.path.endswith(("/push", "/multicast", "/narrowcast", "/broadcast"))])


@contextmanager
def replies_only(db, fake):
    """The block's taps are answered by reply: no outbox row is written, no push reaches LINE."""
    rows, sent = outbox_count(db), pushes(fake)
    yield
    assert outbox_count(db) == rows, "a view queued a push"
    assert pushes(fake) == sent, "a view pushed"


def view(line, who: str, v: str, **fields) -> list[dict]:
    """Tap a menu area: the postback `pb("view", v=…)` (with the fields a view's own buttons add)."""
    return line.postback(who, pb("view", v=v, **fields))


def carousel(replies: list[dict]) -> list[dict]:
    """The bubbles of the one carousel among the replies (LINE's limit held)."""
    found = [m["contents"]["contents"] for m in replies if m.get("type") == "flex"
             and m["contents"].get("type") == "carousel"]
    assert len(found) == 1, replies
    assert 1 <= len(found[0]) <= MAX_BUBBLES
    return found[0]


def bubble_texts(bubble: dict) -> list[str]:
    out = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "text":
                out.append(node.get("text", ""))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(bubble.get("body", {}))
    return out


def bubble_actions(bubble: dict) -> list[dict]:
    return [b["action"] for b in (bubble.get("footer") or {}).get("contents", []) if "action" in b] + [
        b["action"] for box in (bubble.get("footer") or {}).get("contents", []) if box.get("type") == "box"
        for b in box.get("contents", []) if "action" in b]


def quick_labels(message: dict) -> list[str]:
    return [i["action"]["label"] for i in (message.get("quickReply") or {}).get("items", [])]


def circular_id(title: str, db) -> int:
    with db.session() as s:
        return s.scalar(select(Circular.id).where(Circular.title == title))


def id_in(data: str, key: str) -> int:
    return int(re.search(rf"(?:^|&){key}=(\d+)", data).group(1))

"""What the people pages' tests share (a helper module, not a test module): an applicant waiting
for approval (registered through the chat), members by LINE user id, the outbox rows queued for
someone."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Member, OutboxMessage

from conftest import user_id

CHAIR = demo_user_id("山田 太郎")  # 会長, 1班
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
BOSAI = demo_user_id("小林 修")  # 防災担当, 3班
SATO = demo_user_id("佐藤 花子")  # a resident of 1班
ITO = demo_user_id("伊藤 美咲")  # a resident of 2班
KATO = demo_user_id("加藤 恵子")  # a resident of 3班


def apply(line, db, fake, k, name: str = "青木 次郎", block: str = "2班") -> tuple[str, list[dict]]:
    """A newcomer registers in chat under a name the roster does not have: (their LINE user id,
    the approval card the officers got)."""
    uid = user_id(name)
    card = line.follow(uid)
    q = line.tap(uid, card, texts.AGREE)
    line.tap(uid, q, block)
    line.text(uid, name)
    drain(db, k.line)
    return uid, fake.sends("/multicast")[-1].body["messages"]


def member(db, uid: str) -> SimpleNamespace | None:
    """The member's row as plain values (id, status, role, block_id, household: its name)."""
    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == uid))
        if m is None:
            return None
        return SimpleNamespace(id=m.id, status=m.status, role=m.role, block_id=m.block_id, name=m.name,
                               household=SimpleNamespace(name=m.household.name) if m.household else None)


def member_id(db, uid: str) -> int:
    m = member(db, uid)
    assert m is not None
    return m.id


def queued_texts(db, uid: str) -> list[str]:
    """The texts of the outbox rows (sent or not) addressed to this user, oldest first."""
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m.get("text", "") for r in rows if uid in (r.recipients or []) for m in r.messages]

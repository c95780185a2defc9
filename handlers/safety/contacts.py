"""The 連絡網 (each 班's households with how to reach them and their latest safety answer): the
printable page when LINE is down (bot/web/paper.py), and the pushes that bring it to the block
leaders as soon as LINE answers again (scheduler/outage.py)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from handlers.messages import cards, dates, texts
from handlers.safety.common import DISASTER, STARTERS
from models import Block, Delivery, Disaster, Household, Member, MemberStatus, Role
from models.households import contact_rows
from models.messaging import enqueue


def contact_status(r: Optional[Delivery], tz: str) -> str:
    """「無事 12/2 10:15」, 「回答なし」."""
    if r is None or not r.answer:
        return texts.CONTACTS_NO_STATUS
    label = texts.SAFETY_LABELS.get(r.answer, "")
    return f"{label} {dates.short(r.answered_at, tz)}" if r.answered_at else label


def contact_line(h: Household, on_line: bool, r: Optional[Delivery], tz: str) -> str:
    marks = [texts.CONTACTS_WAY_LINE if on_line else texts.CONTACTS_WAY_PAPER]
    if h.needs_support:
        marks.append(texts.VISIT_SUPPORT)
    return texts.CONTACTS_LINE.format(
        name=h.name, marks=texts.MARKS_SEPARATOR.join(marks),
        phone=texts.CONTACTS_PHONE.format(phone=h.phone) if h.phone else "",
        status=texts.CONTACTS_STATUS.format(status=contact_status(r, tz)))


def send_contact_lists(session, d: Disaster, tz: str, now: dt.datetime) -> int:
    """Each 班's 連絡網 to its block leaders (a 班 without one: to the chair and 防災担当), by push
    through the outbox (priority DISASTER: before anything ordinary, after the rescue alerts)."""
    members = session.scalars(select(Member).where(
        Member.association_id == d.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.role.in_((Role.block_leader,) + STARTERS))
        .order_by(Member.id)).all()
    leaders: dict[int, list[str]] = {}
    for m in members:
        if m.role == Role.block_leader and m.led_block_id is not None:
            leaders.setdefault(m.led_block_id, []).append(m.line_user_id)
    head = [texts.CONTACTS_PUSH_TITLE.format(kind=texts.DISASTER_KINDS.get(d.kind, "")), texts.CONTACTS_PUSH_ASK]
    written, unled = 0, []
    blocks = session.scalars(select(Block).where(Block.association_id == d.association_id)
                             .order_by(Block.position, Block.id)).all()
    for b in blocks:
        rows = contact_rows(session, d.association_id, b.id, d.id)
        if not rows:
            continue
        lines = [texts.CONTACTS_BLOCK.format(block=b.name)] + [contact_line(h, on, r, tz) for h, on, r in rows]
        if leaders.get(b.id):
            for messages in cards.packed(head, lines, []):
                written += enqueue(session, d.association_id, leaders[b.id], messages, f"contacts:{d.id}",
                                   priority=DISASTER, now=now)
        else:
            unled += lines
    starters = list(dict.fromkeys(m.line_user_id for m in members if m.role in STARTERS))
    if unled and starters:
        for messages in cards.packed(head + [texts.VISIT_NO_LEADER], unled, []):
            written += enqueue(session, d.association_id, starters, messages, f"contacts:{d.id}",
                               priority=DISASTER, now=now)
    return written

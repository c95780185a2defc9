"""Visit lists: the households still silent, per 班, to their block leaders (and the officers) —
at the start (paper households) and after the last re-ask; split into messages, never cut."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from handlers.messages import cards
from handlers.messages.limits import TEXT_MAX
from handlers.safety.common import DISASTER, STARTERS, marked
from models import Delivery, Disaster, Member, MemberStatus, Role
from models.messaging import enqueue

log = logging.getLogger(__name__)


def visit_label(r: Delivery) -> str:
    """「渡辺 健様（紙）」「高橋 和子様（紙・要支援）」: the visit lists and 「安否状況」 alike."""
    return cards.visit_label(r.household.name, r.via_line, r.household.needs_support)


def send_visit_lists(session, d: Disaster, rows: list[Delivery], final: bool, now: dt.datetime) -> int:
    """Each 班's households to visit go to its block leaders (a 班 without one: chair and 防災担当).

    At the start: paper households (nobody on LINE) and 要支援 ones; after the last re-ask
    (`final`): every household still silent. Returns the outbox rows written.
    """
    by_block: dict[int, list[Delivery]] = {}
    for r in sorted(rows, key=lambda r: (r.household.block.position, r.household.block_id, r.household_id)):
        by_block.setdefault(r.household.block_id, []).append(r)
    if not by_block:
        return 0
    members = session.scalars(select(Member).where(
        Member.association_id == d.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.role.in_((Role.block_leader,) + STARTERS))
        .order_by(Member.id)).all()
    leaders: dict[int, list[str]] = {}
    for m in members:
        if m.role == Role.block_leader and m.led_block_id is not None:
            leaders.setdefault(m.led_block_id, []).append(m.line_user_id)
    purpose = f"visit:{d.id}:{'final' if final else 'start'}"
    written, unled = 0, []
    for block_id, rs in by_block.items():
        lines = cards.block_lines(rs[0].household.block.name, [visit_label(r) for r in rs], TEXT_MAX)
        if leaders.get(block_id):  # a long list: several messages (and pushes), never a name dropped
            for messages in cards.visit_lists(d.id, d.kind, final, lines):
                written += enqueue(session, d.association_id, leaders[block_id], marked(d, *messages), purpose,
                                   priority=DISASTER, now=now)
        else:
            unled += lines
    if unled:  # one push each (not a multicast): the same cost, and each can tap [代理で記録]
        for uid in dict.fromkeys(m.line_user_id for m in members if m.role in STARTERS):
            for messages in cards.visit_lists(d.id, d.kind, final, unled, no_leader=True):
                written += enqueue(session, d.association_id, [uid], marked(d, *messages), purpose, priority=DISASTER,
                                   now=now)
    return written

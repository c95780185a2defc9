"""Visit lists: the households still silent, per 班, to their block leaders (and the officers) —
at the start (paper households) and after the last re-ask; split into messages, never cut."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from handlers.messages import builders as msg
from handlers.messages.limits import MAX_MESSAGES, TEXT_MAX, utf16_len
from handlers.messages import texts
from models import Delivery, Disaster, Member, MemberStatus, Role

from models.messaging import enqueue
from handlers.messages.codec import pb

from handlers.safety.common import DISASTER, STARTERS

log = logging.getLogger(__name__)


def visit_label(r: Delivery) -> str:
    """「渡辺 健様（紙）」「高橋 和子様（紙・要支援）」: the visit lists and 「安否状況」 alike."""
    marks = ([texts.VISIT_PAPER] if not r.via_line else []) + ([texts.VISIT_SUPPORT] if r.household.needs_support else [])
    return texts.HOUSEHOLD_NAME.format(name=r.household.name) + (
        texts.HOUSEHOLD_MARKS.format(marks=texts.MARKS_SEPARATOR.join(marks)) if marks else "")


def block_lines(block: str, labels: list[str], limit: int) -> list[str]:
    """「■2班：…」 lines of at most `limit` UTF-16 units: a long 班 takes several, no name is cut."""
    lines: list[str] = []
    names: list[str] = []
    for label in labels:
        if names and utf16_len(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names + [label]))) > limit:
            lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
            names = []
        names.append(label)
    if names:
        lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
    return lines


def packed(head: list[str], lines: list[str], quick: list, limit: int = TEXT_MAX) -> list[list[dict]]:
    """The head and lines as text messages within LINE's limit (lines never cut), grouped by
    the MAX_MESSAGES a push may carry; the last message has the quick replies."""
    bodies: list[str] = []
    for line in ["\n".join(head)] + lines:
        if bodies and utf16_len(bodies[-1]) + 1 + utf16_len(line) <= limit:
            bodies[-1] += "\n" + line
        else:
            bodies += msg.split_text(line, limit)  # a line longer than a message: only then cut
    messages = [msg.text(b, quick if i == len(bodies) - 1 else None) for i, b in enumerate(bodies)]
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]


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
    head = [texts.VISIT_TITLE.format(kind=texts.DISASTER_KINDS[d.kind])] + ([texts.VISIT_FINAL] if final else []) \
        + [texts.VISIT_ASK]
    quick = [msg.postback(texts.SAFETY_PROXY, pb("sfp", d=d.id))]
    purpose = f"visit:{d.id}:{'final' if final else 'start'}"
    written, unled = 0, []
    for block_id, rs in by_block.items():
        lines = block_lines(rs[0].household.block.name, [visit_label(r) for r in rs], TEXT_MAX)
        if leaders.get(block_id):  # a long list: several messages (and pushes), never a name dropped
            for messages in packed(head, lines, quick):
                written += enqueue(session, d.association_id, leaders[block_id], messages, purpose,
                                   priority=DISASTER, now=now)
        else:
            unled += lines
    if unled:  # one push each (not a multicast): the same cost, and each can tap [代理で記録]
        for uid in dict.fromkeys(m.line_user_id for m in members if m.role in STARTERS):
            for messages in packed(head + [texts.VISIT_NO_LEADER], unled, quick):
                written += enqueue(session, d.association_id, [uid], messages, purpose, priority=DISASTER, now=now)
    return written

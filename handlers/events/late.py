"""Events still open for someone approved late (handlers/framework/joined.py): those sent before
they joined, before their deadline, neither halted (中止・延期) nor answered by their household
(for a per-person event: by them); a receipt is written now for a household made after the send."""
from __future__ import annotations

from sqlalchemy import select

from handlers.events.common import resident_card
from handlers.framework import joined
from models import Event, EventState, Target
from models.corrections import event_halt
from models.delivery import write_receipts
from models.events import SUBJECT, delivery_of


@joined.provider
def open_for(session, settings, member, now) -> list[dict]:
    household = member.household
    if household is None:
        return []
    out = []
    for ev in session.scalars(select(Event).where(Event.association_id == member.association_id,
                                                  Event.state == EventState.sent, Event.deadline > now)
                              .order_by(Event.deadline, Event.id)):
        if ev.target == Target.officers and not member.is_officer:
            continue
        if ev.target == Target.blocks and household.block_id not in (ev.target_block_ids or []):
            continue
        if event_halt(session, member.association_id, ev.id) is not None:
            continue
        d = delivery_of(session, ev, member)
        if d is None:
            write_receipts(session, ev.association_id, SUBJECT, ev.id,
                           [(household.id, member.id if ev.per_person else 0, True)], now)
        elif d.answer is not None:
            continue
        out.append(resident_card(session, settings, ev))
    return out

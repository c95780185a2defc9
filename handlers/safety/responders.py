"""Who goes (訪問の割り当て, issue 14): an officer or block leader sends a member — usually the 班長
or a neighbour — to a silent, needy or rescue household from the live page (bot/web/safety_page.py,
one tap); the responder gets a push through the outbox with the household, the address if the
roster has one, its needs and the map link, and reports back with buttons 「訪問しました・無事」
「けが人あり」「救助要請」「不在でした」: the household's report is recorded for them (代理, with who
and when; 救助要請 alerts as a resident's own would), and whoever assigned them hears the outcome.
After a status, the thanks offers [この場所を地図に]: a location sent then is the household's place
on the live page's map (a silent household on paper has none of its own).

```mermaid
stateDiagram-v2
    [*] --> where
    where --> [*]
    [*] --> where: sfr
    [*] --> [*]: sfr
```
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.drills import responder_card
from handlers.safety.common import DISASTER, MAX_COMMENT, URGENT, marked
from handlers.safety.rescue import lock_report, rescue_alert
from models import Delivery, Disaster, Member, MemberStatus, SafetyLocation
from models.audit import record
from models.messaging import enqueue
from models.safety import OUTCOMES, STATUSES, SafetyAssignment, active_disaster, add_note, latest_location, needs_of

log = logging.getLogger(__name__)


def open_assignments(session: Session, delivery_id: int) -> list[SafetyAssignment]:
    """Who is on their way (assigned, not reported yet)."""
    return list(session.scalars(select(SafetyAssignment).where(SafetyAssignment.delivery_id == delivery_id,
                                                               SafetyAssignment.outcome.is_(None))
                                .order_by(SafetyAssignment.id)))


def assign(session: Session, d: Disaster, row: Delivery, responder: Member, by: Member, now: dt.datetime) -> SafetyAssignment:
    """Write the assignment and the responder's push (a rescue request: the most urgent row).
    The caller checks who may assign whom (same association, a block leader's own 班)."""
    a = SafetyAssignment(association_id=d.association_id, disaster_id=d.id, delivery_id=row.id,
                         responder_id=responder.id, assigned_by_id=by.id, assigned_at=now)
    session.add(a)
    session.flush()
    h = row.household
    loc = latest_location(session, row.id)
    card = responder_card(a.id, h.block.name, h.name, texts.SAFETY_LABELS.get(row.answer or "", texts.SAFETY_SILENT),
                          needs_of(row.answer_data), h.address, (loc.latitude, loc.longitude) if loc else None)
    enqueue(session, d.association_id, [responder.line_user_id], marked(d, card), f"visit-ask:{a.id}",
            priority=URGENT if row.answer == "rescue" else DISASTER, now=now)
    record(session, d.association_id, by.id, "safety.assign", f"household:{h.id}", at=now, responder=responder.id,
           disaster=d.id)
    return a


def on_report(ctx: Ctx) -> Next:
    """The responder's [訪問しました・無事] [けが人あり] [救助要請] [不在でした]: theirs only, while the
    disaster (or drill) they were sent in is active."""
    a = ctx.session.get(SafetyAssignment, ctx.num("i"))
    outcome = ctx.data.get("o")
    if (a is None or not ctx.is_member or a.association_id != ctx.association.id or a.responder_id != ctx.member.id
            or outcome not in OUTCOMES):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or d.id != a.disaster_id:
        ctx.reply(msg.text(texts.RESPONDER_CLOSED))
        return END
    row = lock_report(ctx.session, a.delivery_id)
    label = texts.RESPONDER_OUTCOMES[outcome]
    if outcome in STATUSES:
        was_rescue = row.answer == "rescue"
        row.record_answer(outcome, ctx.member, data=dict(row.answer_data or {}), proxy=True, at=ctx.now)
        ctx.session.flush()
        if outcome == "rescue" and not was_rescue:
            rescue_alert(ctx, row)
    else:  # 不在: the household stays silent; the note says someone knocked
        row.answer_data = add_note(row.answer_data, ctx.member.id, label, MAX_COMMENT)
    a.outcome, a.reported_at = outcome, ctx.now
    ctx.audit("safety.visit", f"household:{row.household_id}", outcome=outcome, assignment=a.id)
    assigner = ctx.session.get(Member, a.assigned_by_id) if a.assigned_by_id else None
    if assigner is not None and assigner.id != ctx.member.id and assigner.status == MemberStatus.active:
        h = row.household
        told = texts.RESPONDER_TOLD.format(block=h.block.name, household=h.name, outcome=label,
                                           who=texts.PERSON_NAME.format(name=ctx.member.name or texts.EV_FAMILY))
        ctx.push([assigner.line_user_id], marked(d, msg.text(told)), purpose=f"visit-told:{a.id}", priority=DISASTER)
    thanks = texts.RESPONDER_THANKS.format(outcome=label, household=row.household.name)
    if outcome not in STATUSES:
        ctx.reply(*marked(d, msg.text(thanks)))
        return END
    ctx.reply(*marked(d, msg.text(thanks + "\n" + texts.RESPONDER_PLACE_ASK, [msg.location(texts.RESPONDER_PLACE)])))
    return Go("where", a=a.id)


def on_where(ctx: Ctx) -> Next:
    """The place the responder sends after their report: the household's, on the map. Anything
    else ends the question and is heard as if it were not open."""
    if ctx.event.message.type != "location":
        ctx.end_dialog()
        router.fallback(ctx)
        return None
    a = ctx.session.get(SafetyAssignment, int(ctx.dialog.data.get("a") or 0))
    d = active_disaster(ctx.session, ctx.association.id)
    if a is None or a.association_id != ctx.association.id or d is None or d.id != a.disaster_id:
        ctx.reply(msg.text(texts.RESPONDER_CLOSED))
        return END
    m = ctx.event.message
    place = m.address or m.title or None
    ctx.session.add(SafetyLocation(association_id=a.association_id, disaster_id=d.id, delivery_id=a.delivery_id,
                                   member_id=ctx.member.id, latitude=m.latitude, longitude=m.longitude,
                                   address=place[:200] if place else None, at=ctx.now))
    ctx.audit("safety.visit_place", f"assignment:{a.id}")
    ctx.reply(*marked(d, msg.text(texts.RESPONDER_PLACE_RECORDED)))
    return END


VISIT = Dialog("visit", steps=[
    Step("where", take=on_where, to=(END,), takes_location=True),
], buttons=[Button("sfr", take=on_report, to=("where", END), opens=True)], timeout=dt.timedelta(minutes=30))

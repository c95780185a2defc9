"""「救助が必要」: the alert to the block leader and officers at once, then coalesced updates — one per
request, at most one every `rescue_update_minutes`, merging what arrives meanwhile."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.framework.ctx import Ctx
from handlers.messages import cards, texts
from handlers.messages.drills import needs_text
from handlers.safety.common import URGENT, marked
from models import Delivery, Disaster, Household, Member, MemberStatus, OutboxMessage, Role
from models.messaging import enqueue
from models.roster import officers_for_block
from models.safety import latest_location, needs_of

log = logging.getLogger(__name__)


def rescue_text(session: Session, delivery: Delivery, template: str) -> dict:
    h = delivery.household
    loc = latest_location(session, delivery.id)
    return marked(session.get(Disaster, delivery.disaster_id),  # a drill's alert says 【訓練】
                  cards.rescue_text(template, h.block.name, h.name, (delivery.answer_data or {}).get("comment"),
                                    (loc.latitude, loc.longitude) if loc else None,
                                    needs_text(needs_of(delivery.answer_data))))[0]


def rescue_recipients(session: Session, association_id: int, h: Household) -> list[str]:
    """Disaster officers, the chair and the 班's block leader."""
    to = session.scalars(select(Member.line_user_id).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.role.in_([Role.chair, Role.disaster_officer]))).all()
    to += [m.line_user_id for m in officers_for_block(session, association_id, h.block_id)
           if m.role == Role.block_leader]
    return list(dict.fromkeys(u for u in to if u))


def lock_report(session: Session, delivery_id: int) -> Delivery | None:
    """The household's report, locked until the transaction ends (SELECT … FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises): two members answering at once take turns, so the
    second sees the first one's answer and outbox rows."""
    return session.scalars(select(Delivery).where(Delivery.id == delivery_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def rescue_alert(ctx: Ctx, delivery: Delivery) -> None:
    """A new rescue request: the most urgent row in the outbox, once per request.

    救助 → 無事 → 救助 within `rescue_update_minutes` of the last alert is the same request: an
    update (coalesced), not a new full alert.
    """
    alert = f"rescue:{delivery.id}"
    last = ctx.session.execute(select(OutboxMessage.sent_at, OutboxMessage.next_attempt_at, OutboxMessage.status)
                               .where(OutboxMessage.association_id == ctx.association.id,
                                      OutboxMessage.purpose == alert)
                               .order_by(OutboxMessage.id.desc()).limit(1)).first()
    window = dt.timedelta(minutes=ctx.settings.rescue_update_minutes)
    if last is not None and (last.status in ("pending", "held", "sending")
                             or (last.sent_at or last.next_attempt_at) > ctx.now - window):
        return rescue_update(ctx.session, ctx.settings, delivery, ctx.now)
    ctx.push(rescue_recipients(ctx.session, ctx.association.id, delivery.household),
             [rescue_text(ctx.session, delivery, texts.RESCUE_ALERT)], purpose=alert, priority=URGENT)


def rescue_update(session: Session, settings, delivery: Delivery, now: dt.datetime) -> None:
    """A location, 連絡事項 or photo from a household that asked for rescue: coalesced.

    While the alert or an update of this household still waits in the outbox (never tried, so
    LINE cannot have it yet), that row gets the latest location and 連絡事項 instead of a new
    row. Otherwise one update row is written, due `rescue_update_minutes` after the last update
    went out (at once if none did). A flood of locations costs a few pushes, not the quota.
    The caller holds the report's lock (`lock_report`): two members of the household at the
    same moment write one row, not two.
    """
    association_id = delivery.association_id
    alert, upd = f"rescue:{delivery.id}", f"rescue:{delivery.id}:update"
    for purpose, template in ((upd, texts.RESCUE_UPDATE), (alert, texts.RESCUE_ALERT)):
        waiting = session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.association_id == association_id, OutboxMessage.purpose == purpose,
            OutboxMessage.status == "pending", OutboxMessage.attempts == 0)
            .order_by(OutboxMessage.id.desc()).limit(1)).first()
        if waiting is None:
            continue
        # conditional: a dispatcher that claimed the row meanwhile wins, and we write a new one
        done = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == waiting, OutboxMessage.status == "pending",
                                        OutboxMessage.attempts == 0)
            .values(messages=[rescue_text(session, delivery, template)]).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            return
    went = session.execute(select(OutboxMessage.sent_at, OutboxMessage.next_attempt_at).where(
        OutboxMessage.association_id == association_id, OutboxMessage.purpose == upd)).all()
    last = max((sent or tried for sent, tried in went), default=None)
    due = now if last is None else max(now, last + dt.timedelta(minutes=settings.rescue_update_minutes))
    to = rescue_recipients(session, association_id, delivery.household)
    enqueue(session, association_id, to, [rescue_text(session, delivery, texts.RESCUE_UPDATE)], upd,
            priority=URGENT, now=due)

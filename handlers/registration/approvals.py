"""Approval by block leaders and officers of someone whose name the roster does not settle:
[承認] → which household (or a new one) → linked; [却下] → nothing of the applicant is kept. Two
officers tapping at the same moment: exactly one acts (one conditional UPDATE)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from models import OFFICER_ROLES, Household, Member, MemberStatus, utcnow
from models.audit import record
from models.messaging import enqueue
from models.roster import link_member, new_join_code
from models.richmenus import enqueue_relink


def pending_target(ctx: Ctx) -> Member | None:
    """The applicant of an approval button, if it may still be acted on by this officer."""
    target = ctx.session.get(Member, ctx.num("m"))
    if target is None or target.association_id != ctx.association.id or target.status != MemberStatus.pending:
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return None
    led = ctx.member.led_block_id
    if led is not None and led != target.block_id:
        ctx.reply(msg.text(texts.OFFICERS_ONLY))
        return None
    return target


@router.postback("approve", roles=OFFICER_ROLES)
def on_approve(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    households = list(target.block.households) if target.block else []
    actions = paged(households, ctx.num("o"), 1,
                    lambda h: msg.postback(h.name, pb("approve_to", m=target.id, h=h.id),
                                           texts.HOUSEHOLD_OF.format(household=h.name)),
                    lambda o: pb("approve", m=target.id, o=o))
    actions.append(msg.postback(texts.NEW_HOUSEHOLD, pb("approve_to", m=target.id, h=0)))
    ctx.reply(msg.text(texts.APPROVE_PICK_HOUSEHOLD.format(name=target.name), actions))


@router.postback("approve_to", roles=OFFICER_ROLES)
def on_approve_to(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    hid = ctx.num("h")
    household = ctx.session.get(Household, hid) if hid else None
    if hid and (household is None or household.block_id != target.block_id):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    household = approve(ctx.session, target, household, ctx.member, ctx.now)
    if household is None:
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return
    ctx.reply(msg.text(texts.APPROVED_DONE.format(name=target.name, household=household.name)))


@router.postback("reject", roles=OFFICER_ROLES)
def on_reject(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    name = target.name
    if not reject(ctx.session, target, ctx.member, ctx.now):
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return
    ctx.reply(msg.text(texts.REJECTED_DONE.format(name=name)))


# --- the decision itself: the chat buttons above and the web page (bot/web/people.py) ----------


def claim_pending(session: Session, target: Member) -> bool:
    """Take the applicant out of 'pending' with one conditional UPDATE: of two officers deciding
    at the same moment (in chat or on the web), exactly one gets the row (the other's UPDATE
    matches nothing)."""
    res = session.execute(update(Member).where(Member.id == target.id, Member.status == MemberStatus.pending)
                          .values(status=MemberStatus.active).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        return False
    session.refresh(target)
    return True


def approve(session: Session, target: Member, household: Household | None, actor: Member | None,
            now: dt.datetime | None = None) -> Household | None:
    """Link the applicant to `household` of their 班 (None: a new household in their name), tell
    them (through the outbox) and audit it. None: someone decided already (nothing changed)."""
    now = now or utcnow()
    if not claim_pending(session, target):
        return None
    new = household is None
    if household is None:
        household = Household(association_id=target.association_id, block_id=target.block_id, name=target.name,
                              join_code=new_join_code(session), origin="approval")
        session.add(household)
    link_member(target, household)
    session.flush()
    record(session, target.association_id, actor.id if actor else None, "member.approve", f"member:{target.id}",
           at=now, household=household.id, new_household=new)
    enqueue(session, target.association_id, [target.line_user_id], [msg.text(texts.APPROVED_NOTICE)],
            purpose=f"approved:{target.id}", now=now)
    enqueue_relink(session, target.association_id, [target.id], now=now)  # a member now: their role's menu
    return household


def reject(session: Session, target: Member, actor: Member | None, now: dt.datetime | None = None) -> bool:
    """Refuse the applicant: they are told (through the outbox), nothing of them is kept. False:
    someone decided already (nothing changed)."""
    now = now or utcnow()
    if not claim_pending(session, target):
        return False
    enqueue(session, target.association_id, [target.line_user_id], [msg.text(texts.REJECTED_NOTICE)],
            purpose=f"rejected:{target.id}", now=now)
    record(session, target.association_id, actor.id if actor else None, "member.reject", f"member:{target.id}",
           at=now)
    session.delete(target)  # nothing of the applicant is kept
    session.flush()
    return True

"""Approval by block leaders and officers of someone whose name the roster does not settle:
[承認] → which household (or a new one) → linked; [却下] → nothing of the applicant is kept. Two
officers tapping at the same moment: exactly one acts (one conditional UPDATE)."""
from __future__ import annotations

from sqlalchemy import update

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from models import OFFICER_ROLES, Household, Member, MemberStatus
from models.roster import link_member, new_join_code


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


def claim_pending(ctx: Ctx, target: Member) -> bool:
    """Take the applicant out of 'pending' with one conditional UPDATE: of two officers tapping
    at the same moment, exactly one gets the row (the other's UPDATE matches nothing)."""
    res = ctx.session.execute(update(Member).where(Member.id == target.id, Member.status == MemberStatus.pending)
                              .values(status=MemberStatus.active).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        return False
    ctx.session.refresh(target)
    return True


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
    if not claim_pending(ctx, target):
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return
    if household is None:
        household = Household(association_id=ctx.association.id, block_id=target.block_id, name=target.name,
                              join_code=new_join_code(ctx.session), origin="approval")
        ctx.session.add(household)
    link_member(target, household)
    ctx.session.flush()
    ctx.audit("member.approve", f"member:{target.id}", household=household.id, new_household=not hid)
    ctx.push([target.line_user_id], [msg.text(texts.APPROVED_NOTICE)], purpose=f"approved:{target.id}")
    ctx.reply(msg.text(texts.APPROVED_DONE.format(name=target.name, household=household.name)))


@router.postback("reject", roles=OFFICER_ROLES)
def on_reject(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    name = target.name
    if not claim_pending(ctx, target):
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return
    ctx.push([target.line_user_id], [msg.text(texts.REJECTED_NOTICE)], purpose=f"rejected:{target.id}")
    ctx.audit("member.reject", f"member:{target.id}")
    ctx.session.delete(target)  # nothing of the applicant is kept
    ctx.reply(msg.text(texts.REJECTED_DONE.format(name=name)))

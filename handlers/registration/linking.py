"""A household linked without approval (a name match or a 登録コード): the 班's block leader and
the officers are told at once, with [取り消す], which undoes the link and erases what the member
did in the household's name."""
from __future__ import annotations

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from models import OFFICER_ROLES, AuditLog, Household, Member, MemberStatus
from models.erasure import erase_traces, undo_answers
from models.richmenus import enqueue_relink
from models.roster import erase_member, link_member, new_join_code, officers_for_block

from .approvals import send_open_items
from .common import display_name


def link_and_notify(ctx: Ctx, m: Member, household: Household, how: str) -> None:
    """Link `m` and tell the 班's block leader and the officers, with a [取り消す] that undoes it.

    One path for a name match and a join code. The notice says so when the household's paper
    delivery stops: it never stops without an officer seeing it.
    """
    was_paper = not household.active_members  # a household without anyone on LINE gets paper
    roster_on_line = household.on_line
    link_member(m, household)
    ctx.session.flush()
    enqueue_relink(ctx.session, m.association_id, [m.id])  # a member now: their role's menu
    body = texts.LINKED_NOTICE.format(block=household.block.name, household=household.name, name=m.name, how=how)
    shown = display_name(ctx)
    if shown:
        body += texts.LINKED_DISPLAY_NAME.format(display=shown)
    if was_paper:
        body += "\n" + texts.LINKED_PAPER_STOPS
    body += "\n" + texts.LINKED_UNDO_HINT
    card = msg.card(texts.LINKED_TITLE, body,
                    [msg.postback(texts.UNDO_LINK, pb("unlink", m=m.id, h=household.id, o=int(roster_on_line))),
                     msg.postback(texts.REISSUE_CODE, pb("reissue", h=household.id))])
    approvers = [a.line_user_id for a in officers_for_block(ctx.session, ctx.association.id, household.block_id)
                 if a.id != m.id]
    ctx.push(approvers, [card], purpose=f"linked:{m.id}")
    send_open_items(ctx.session, ctx.settings, m, ctx.now)  # what was sent before they joined


@router.postback("unlink", roles=OFFICER_ROLES)
def on_unlink(ctx: Ctx) -> None:
    target = ctx.session.get(Member, ctx.num("m"))
    household = ctx.session.get(Household, ctx.num("h"))
    if household is None or household.association_id != ctx.association.id:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    led = ctx.member.led_block_id
    if led is not None and led != household.block_id:
        return ctx.reply(msg.text(texts.OFFICERS_ONLY))
    if target is None or target.household_id != household.id or target.status not in (
            MemberStatus.active, MemberStatus.unfollowed):
        return ctx.reply(msg.text(texts.UNLINK_ALREADY))
    name, line_id = target.name, target.line_user_id
    undo_answers(ctx.session, target, household.id)
    erase_traces(ctx.session, target, ctx.now, redacted=texts.WITHDRAWN_NAME)
    enqueue_relink(ctx.session, target.association_id, [target.id])  # back to the default menu
    erase_member(target)
    ctx.session.flush()
    back_to_paper = not household.active_members  # nobody else on LINE: paper again
    if back_to_paper:
        household.on_line = ctx.data.get("o") != "0"  # LINE 有/無 as the roster had it before
    ctx.audit("member.unlink", f"household:{household.id}", member=target.id)
    ctx.push([line_id], [msg.text(texts.UNLINKED_NOTICE)], purpose=f"unlinked:{target.id}")
    done = texts.UNLINKED_DONE.format(name=name, household=household.name)
    ctx.reply(msg.text(done + (texts.UNLINKED_PAPER_AGAIN if back_to_paper else "")))


@router.postback("reissue", roles=OFFICER_ROLES)
def on_reissue(ctx: Ctx) -> None:
    """[コードを再発行] on a link notice: the household gets a new 登録コード, the old one stops
    working (as the dashboard's join-sheet page does). A block leader: their own 班 only."""
    household = ctx.session.get(Household, ctx.num("h"))
    if household is None or household.association_id != ctx.association.id:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    led = ctx.member.led_block_id
    if led is not None and led != household.block_id:
        return ctx.reply(msg.text(texts.OFFICERS_ONLY))
    old, household.join_code = household.join_code, new_join_code(ctx.session)
    ctx.audit("household.join_code", f"household:{household.id}", via="chat",
              before={"join_code": "…" + old[-4:]}, after={"join_code": "…" + household.join_code[-4:]})
    ctx.reply(msg.text(texts.REISSUED_CODE.format(household=household.name, code=household.join_code)))


def was_undone(ctx: Ctx, household: Household) -> bool:
    return ctx.session.scalar(select(AuditLog.id).where(
        AuditLog.association_id == ctx.association.id, AuditLog.action == "member.unlink",
        AuditLog.target == f"household:{household.id}").limit(1)) is not None

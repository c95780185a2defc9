"""Residents join: consent → 班 → name (matched against the roster) or a join code; approval
of unknown names by block leaders and officers; unfollow; 退会 (withdrawal erases personal data)."""
from __future__ import annotations

from bot import messages as msg
from bot import texts
from bot.config import PRIVACY_POLICY_VERSION
from models import Block, Household, Member, MemberStatus, OFFICER_ROLES, Role
from models.roster import (
    erase_member, household_by_code, link_member, match_household, new_join_code, officers_for_block,
)

from .pickers import paged
from .router import Ctx, pb, router

MAX_NAME = 30


# --- helpers ---------------------------------------------------------------------------------
def consent_card(ctx: Ctx, note: str | None = None) -> list[dict]:
    card = msg.consent(ctx.association.name, f"{ctx.settings.base_url}/privacy",
                       pb("consent", v=1, p=PRIVACY_POLICY_VERSION), pb("consent", v=0))
    return ([msg.text(note)] if note else []) + [card]


def block_question(ctx: Ctx, offset: int = 0) -> dict:
    """班 as quick replies: 13 fit; a larger association gets pages of 12 and [次へ]."""
    blocks = ctx.association.blocks
    if not blocks:
        return msg.text(texts.NO_BLOCKS)
    actions = paged(blocks, offset, 0, lambda b: msg.postback(b.name, pb("reg_block", b=b.id)),
                    lambda o: pb("reg_blocks", o=o))
    return msg.text(texts.ASK_BLOCK_OR_CODE if offset == 0 else texts.ASK_BLOCK, actions)


@router.postback("reg_blocks")
def on_block_page(ctx: Ctx) -> None:
    if ctx.dialog is None or ctx.dialog.flow != "register":
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    ctx.reply(block_question(ctx, ctx.num("o")))


def registered_text(member: Member) -> str:
    return texts.REGISTERED.format(name=member.name, block=member.household.block.name,
                                   household=member.household.name)


def consented(ctx: Ctx) -> bool:
    m = ctx.member
    return m is not None and m.consent_at is not None and m.status in (
        MemberStatus.registering, MemberStatus.pending, MemberStatus.active)


def join_by_code(ctx: Ctx, text: str) -> None:
    if not consented(ctx):
        ctx.reply(*consent_card(ctx, texts.CONSENT_FIRST))
        return
    if ctx.member.status == MemberStatus.active:
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=ctx.member.household.block.name,
                                                          household=ctx.member.household.name)))
        return
    household = household_by_code(ctx.session, ctx.association.id, text)
    if household is None:
        ctx.reply(msg.text(texts.JOIN_CODE_UNKNOWN))
        return
    m = ctx.member
    m.name = m.name or household.name
    link_member(m, household)
    ctx.end_dialog()
    ctx.audit("member.join_code", f"household:{household.id}")
    ctx.reply(msg.text(registered_text(m)))


# --- follow / unfollow -----------------------------------------------------------------------
@router.follow()
def on_follow(ctx: Ctx) -> None:
    m = ctx.member
    if m is not None and m.status == MemberStatus.unfollowed:
        m.status = MemberStatus.active if m.household_id else MemberStatus.pending
    if m is not None and m.status == MemberStatus.active:
        ctx.reply(msg.text(texts.WELCOME_BACK))
    elif m is not None and m.status == MemberStatus.pending:
        ctx.reply(msg.text(texts.WAITING_APPROVAL))
    else:
        ctx.reply(*consent_card(ctx))


@router.unfollow()
def on_unfollow(ctx: Ctx) -> None:
    # Blocking is not withdrawal: the member stays on the roster but gets no more pushes.
    if ctx.member is not None and ctx.member.status in (MemberStatus.active, MemberStatus.pending):
        ctx.member.status = MemberStatus.unfollowed
    ctx.end_dialog()


# --- consent, 班, name ---------------------------------------------------------------------
@router.postback("consent")
def on_consent(ctx: Ctx) -> None:
    m = ctx.member
    if m is not None and m.status in (MemberStatus.active, MemberStatus.pending):
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=m.household.block.name, household=m.household.name)
                           if m.household else texts.WAITING_APPROVAL))
        return
    if m is None:
        m = Member(association_id=ctx.association.id, line_user_id=ctx.user_id)
        ctx.session.add(m)
        ctx.member = m
    if ctx.data.get("v") != "1":
        # Refusing stores nothing but the refusal.
        m.status, m.name, m.block_id, m.declined_at = MemberStatus.declined, None, None, ctx.now
        m.consent_at = m.consent_policy_version = None
        ctx.end_dialog()
        ctx.reply(msg.text(texts.DECLINED))
        return
    m.status = MemberStatus.registering
    m.consent_at, m.consent_policy_version, m.declined_at = ctx.now, ctx.data.get("p") or PRIVACY_POLICY_VERSION, None
    ctx.start_dialog("register", "block")
    ctx.audit("member.consent", None, policy=m.consent_policy_version)
    ctx.reply(block_question(ctx))


@router.postback("reg_block")
def on_block(ctx: Ctx) -> None:
    d = ctx.dialog
    block = ctx.session.get(Block, ctx.num("b"))
    if d is None or d.flow != "register" or not consented(ctx) or block is None \
            or block.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    ctx.goto("name", block_id=block.id)
    ctx.reply(msg.text(texts.ASK_NAME.format(block=block.name)))


def looks_like_code(ctx: Ctx) -> bool:
    return bool(ctx.text) and (ctx.text.startswith(texts.CMD_JOIN_CODE)
                               or household_by_code(ctx.session, ctx.association.id, ctx.text) is not None)


@router.dialog("register", "block")
def on_block_text(ctx: Ctx) -> None:
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    ctx.reply(block_question(ctx))


@router.dialog("register", "name")
def on_name(ctx: Ctx) -> None:
    name = ctx.text
    if not name:
        ctx.reply(msg.text(texts.ASK_NAME.format(block=ctx.session.get(Block, ctx.dialog.data["block_id"]).name)))
        return
    if looks_like_code(ctx):
        return join_by_code(ctx, name)
    if len(name) > MAX_NAME:
        ctx.reply(msg.text(texts.NAME_TOO_LONG))
        return
    block = ctx.session.get(Block, ctx.dialog.data["block_id"])
    m = ctx.member
    m.name, m.block_id = name, block.id
    ctx.end_dialog()
    household = match_household(ctx.session, block, name)
    if household is not None and not household.active_members:
        # a roster household nobody has claimed yet: linked at once. Someone typing the name of
        # a household that already has members on LINE goes to approval like everyone else.
        link_member(m, household)
        ctx.audit("member.matched", f"household:{household.id}")
        ctx.reply(msg.text(registered_text(m)))
        return
    m.status, m.role = MemberStatus.pending, Role.prospective
    ctx.session.flush()
    approvers = officers_for_block(ctx.session, ctx.association.id, block.id)
    request = texts.APPROVAL_REQUEST_CLAIMED if household is not None else texts.APPROVAL_REQUEST
    card = msg.card(texts.APPROVAL_REQUEST_TITLE, request.format(block=block.name, name=name),
                    [msg.postback(texts.APPROVE, pb("approve", m=m.id)), msg.postback(texts.REJECT, pb("reject", m=m.id))])
    ctx.push([a.line_user_id for a in approvers], [card], purpose=f"approval:{m.id}")
    ctx.audit("member.pending", f"member:{m.id}")
    ctx.reply(msg.text(texts.PENDING))


@router.command(texts.CMD_JOIN_CODE)
def on_join_code(ctx: Ctx) -> None:
    join_by_code(ctx, ctx.text)


# --- approval by block leaders and officers -------------------------------------------------
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
                    lambda h: msg.postback(h.name, pb("approve_to", m=target.id, h=h.id), f"{h.name}様の世帯"),
                    lambda o: pb("approve", m=target.id, o=o))
    actions.append(msg.postback(texts.NEW_HOUSEHOLD, pb("approve_to", m=target.id, h=0)))
    ctx.reply(msg.text(texts.APPROVE_PICK_HOUSEHOLD.format(name=target.name), actions))


@router.postback("approve_to", roles=OFFICER_ROLES)
def on_approve_to(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    hid = ctx.num("h")
    if hid:
        household = ctx.session.get(Household, hid)
        if household is None or household.block_id != target.block_id:
            ctx.reply(msg.text(texts.STALE_BUTTON))
            return
    else:
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
    ctx.push([target.line_user_id], [msg.text(texts.REJECTED_NOTICE)], purpose=f"rejected:{target.id}")
    ctx.audit("member.reject", f"member:{target.id}")
    ctx.session.delete(target)  # nothing of the applicant is kept
    ctx.reply(msg.text(texts.REJECTED_DONE.format(name=name)))


# --- 退会 ---------------------------------------------------------------------------------
@router.command(texts.CMD_WITHDRAW)
def on_withdraw(ctx: Ctx) -> None:
    if ctx.member is None or ctx.member.status not in (MemberStatus.active, MemberStatus.pending, MemberStatus.registering):
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return
    ctx.reply(msg.card(texts.CMD_WITHDRAW, texts.WITHDRAW_CONFIRM,
                       [msg.postback(texts.WITHDRAW_YES, pb("withdraw", v=1)),
                        msg.postback(texts.WITHDRAW_NO, pb("withdraw", v=0))]))


@router.postback("withdraw")
def on_withdraw_confirm(ctx: Ctx) -> None:
    m = ctx.member
    if m is None or m.status in (MemberStatus.withdrawn, MemberStatus.declined):
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return
    if ctx.data.get("v") != "1":
        ctx.reply(msg.text(texts.WITHDRAW_KEPT))
        return
    ctx.end_dialog()
    ctx.audit("member.withdraw", f"member:{m.id}")
    own_household = erase_member(m)
    if own_household is not None:  # it only ever held this member's name
        ctx.session.delete(own_household)
    ctx.reply(msg.text(texts.WITHDRAWN))


# --- anything else from someone not (yet) a member -----------------------------------------
@router.message("text")
def fallback(ctx: Ctx) -> None:
    m = ctx.member
    if m is None or m.status in (MemberStatus.declined, MemberStatus.withdrawn):
        ctx.reply(*consent_card(ctx))
    elif m.status == MemberStatus.registering:
        ctx.start_dialog("register", "block")
        ctx.reply(block_question(ctx))
    elif m.status == MemberStatus.pending:
        ctx.reply(msg.text(texts.WAITING_APPROVAL))
    elif m.is_officer:
        ctx.reply(msg.text(texts.HELP_OFFICER))
    else:
        ctx.reply(msg.text(texts.HELP_MEMBER))

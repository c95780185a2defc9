"""Residents join: consent → 班 → name (matched against the roster) or a join code; approval
of unknown names by block leaders and officers; unfollow; 退会 (withdrawal erases personal data)."""
from __future__ import annotations


from sqlalchemy import select, update

from handlers.messages import builders as msg
from handlers.messages import dates
from handlers.messages import texts
from models.roster import PRIVACY_POLICY_VERSION
from models import AuditLog, BOARD_ROLES, Block, Household, Member, MemberStatus, OFFICER_ROLES, Role
from models.erasure import erase_traces, undo_answers
from models.roster import (
    clear_join_failures,
    could_be_code,
    erase_member,
    household_by_code,
    join_code_pause,
    link_member,
    looks_like_code as code_only,
    match_household,
    new_join_code,
    officers_for_block,
    record_join_failure,
)

from handlers.messages.pickers import paged
from handlers.framework.ctx import Ctx
from handlers.messages.codec import pb
from handlers.framework.router import router

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


def local_time(ctx: Ctx, when) -> str:
    return dates.clock(when, ctx.settings.timezone, ctx.now)


def join_by_code(ctx: Ctx, text: str) -> None:
    """A 登録コード: limited per LINE user and per channel; the joiner then gives their own name.

    A typo (wrong check digit or number of digits) cannot hit any household: it is answered as a
    typo and counts for the user only. The channel's pause holds back only users who already
    have failures, so an honest newcomer with the right code still joins while someone guesses;
    the officers are told once when it starts."""
    if not consented(ctx):
        ctx.reply(*consent_card(ctx, texts.CONSENT_FIRST))
        return
    if ctx.member.status == MemberStatus.active:
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=ctx.member.household.block.name,
                                                          household=ctx.member.household.name)))
        return
    aid = ctx.association.id
    guess = could_be_code(text)
    paused = join_code_pause(ctx.session, aid, ctx.user_id, ctx.now, guess=guess)
    if paused is not None:  # refused unread: even the right code gives no answer now
        ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(until=local_time(ctx, paused))))
        return
    household = household_by_code(ctx.session, aid, text) if guess else None
    if household is None:
        failure = record_join_failure(ctx.session, aid, ctx.user_id, ctx.now, guess=guess)
        ctx.audit("member.join_code_wrong" if guess else "member.join_code_typo", None)
        if failure.channel_paused_until is not None:
            tell_officers_channel_paused(ctx, failure.channel_paused_until)
        ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(until=local_time(ctx, failure.until)) if failure.until
                           else texts.JOIN_CODE_UNKNOWN if guess else texts.JOIN_CODE_TYPO))
        return
    clear_join_failures(ctx.session, aid, ctx.user_id)
    m = ctx.member
    if not m.name:  # never the representative's name: the joiner says who they are
        ctx.start_dialog("register", "code_name", household_id=household.id)
        ctx.reply(msg.text(texts.ASK_OWN_NAME.format(block=household.block.name, household=household.name)))
        return
    finish_code_join(ctx, household)


def tell_officers_channel_paused(ctx: Ctx, until) -> None:
    """Once per pause of the channel (the failure that starts it): the chair and officers, who
    handle registration for the whole association. No names, no LINE ids, no codes."""
    officers = [m.line_user_id for m in officers_for_block(ctx.session, ctx.association.id, None)
                if m.role in BOARD_ROLES]
    ctx.audit("join_code.channel_paused", None, until=until.isoformat())
    ctx.push(officers, [msg.text(texts.JOIN_CODE_CHANNEL_PAUSED.format(until=local_time(ctx, until)))],
             purpose="join_code.channel_paused")


def finish_code_join(ctx: Ctx, household: Household) -> None:
    m = ctx.member
    ctx.end_dialog()
    link_and_notify(ctx, m, household, texts.LINKED_BY_CODE)
    ctx.audit("member.join_code", f"household:{household.id}")
    ctx.reply(msg.text(registered_text(m)))


@router.dialog("register", "code_name")
def on_code_name(ctx: Ctx) -> None:
    household = ctx.session.get(Household, ctx.dialog.data.get("household_id") or 0)
    if household is None or household.association_id != ctx.association.id or not consented(ctx) \
            or ctx.member.status == MemberStatus.active:
        ctx.end_dialog()
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    if not ctx.text:
        ctx.reply(msg.text(texts.ASK_OWN_NAME.format(block=household.block.name, household=household.name)))
        return
    if len(ctx.text) > MAX_NAME:
        ctx.reply(msg.text(texts.NAME_TOO_LONG))
        return
    ctx.member.name = ctx.text
    finish_code_join(ctx, household)


# --- a household linked without approval: officers are told at once, with [取り消す] ----------
def link_and_notify(ctx: Ctx, m: Member, household: Household, how: str) -> None:
    """Link `m` and tell the 班's block leader and the officers, with a [取り消す] that undoes it.

    One path for a name match and a join code. The notice says so when the household's paper
    delivery stops: it never stops without an officer seeing it.
    """
    was_paper = not household.active_members  # a household without anyone on LINE gets paper
    roster_on_line = household.on_line
    link_member(m, household)
    ctx.session.flush()
    body = texts.LINKED_NOTICE.format(block=household.block.name, household=household.name, name=m.name, how=how)
    if was_paper:
        body += "\n" + texts.LINKED_PAPER_STOPS
    body += "\n" + texts.LINKED_UNDO_HINT
    card = msg.card(texts.LINKED_TITLE, body,
                    [msg.postback(texts.UNDO_LINK, pb("unlink", m=m.id, h=household.id, o=int(roster_on_line)))])
    approvers = [a.line_user_id for a in officers_for_block(ctx.session, ctx.association.id, household.block_id)
                 if a.id != m.id]
    ctx.push(approvers, [card], purpose=f"linked:{m.id}")


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
    erase_member(target)
    ctx.session.flush()
    back_to_paper = not household.active_members  # nobody else on LINE: paper again
    if back_to_paper:
        household.on_line = ctx.data.get("o") != "0"  # LINE 有/無 as the roster had it before
    ctx.audit("member.unlink", f"household:{household.id}", member=target.id)
    ctx.push([line_id], [msg.text(texts.UNLINKED_NOTICE)], purpose=f"unlinked:{target.id}")
    done = texts.UNLINKED_DONE.format(name=name, household=household.name)
    ctx.reply(msg.text(done + (texts.UNLINKED_PAPER_AGAIN if back_to_paper else "")))


def was_undone(ctx: Ctx, household: Household) -> bool:
    return ctx.session.scalar(select(AuditLog.id).where(
        AuditLog.association_id == ctx.association.id, AuditLog.action == "member.unlink",
        AuditLog.target == f"household:{household.id}").limit(1)) is not None


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
    """「登録コード …」 or digits alone; never a look-up (every look-up counts as an attempt)."""
    return bool(ctx.text) and (ctx.text.startswith(texts.CMD_JOIN_CODE) or code_only(ctx.text))


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
    why = None
    if household is not None:
        why = (texts.WHY_PAPER if not household.on_line else texts.WHY_SUPPORT if household.needs_support
               else texts.WHY_UNDONE if was_undone(ctx, household) else None)
    if household is not None and not household.active_members and why is None:
        # a roster household on LINE that nobody has claimed yet: the first member is linked at
        # once, and the block leader and officers are told, with [取り消す]. A paper-only or
        # 要支援 household, or one that already has members on LINE, goes to approval.
        link_and_notify(ctx, m, household, texts.LINKED_BY_NAME)
        ctx.audit("member.matched", f"household:{household.id}")
        ctx.reply(msg.text(registered_text(m)))
        return
    m.status, m.role = MemberStatus.pending, Role.prospective
    ctx.session.flush()
    approvers = officers_for_block(ctx.session, ctx.association.id, block.id)
    if household is None:
        request = texts.APPROVAL_REQUEST.format(block=block.name, name=name)
    elif household.active_members:
        request = texts.APPROVAL_REQUEST_CLAIMED.format(block=block.name, name=name)
    else:
        request = texts.APPROVAL_REQUEST_CAREFUL.format(block=block.name, name=name, why=why)
    card = msg.card(texts.APPROVAL_REQUEST_TITLE, request,
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
    erase_traces(ctx.session, m, ctx.now, current_event_id=getattr(ctx.event, "webhook_event_id", None),
                 redacted=texts.WITHDRAWN_NAME)
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

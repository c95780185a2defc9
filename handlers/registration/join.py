"""Residents join: consent → 班 → name (matched against the roster), or a 登録コード → own name.

A name that matches a roster household nobody has claimed links at once (linking.py tells the
officers, with [取り消す]); anything else waits for an officer's approval (approvals.py).

```mermaid
stateDiagram-v2
    [*] --> block
    [*] --> code_name
    block --> code_name
    block --> [*]
    name --> code_name
    name --> [*]
    code_name --> code_name
    code_name --> [*]
    [*] --> block: consent
    [*] --> [*]: consent
    block --> name: reg_block
    name --> name: reg_block
    code_name --> name: reg_block
```
"""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from models import BOARD_ROLES, Block, Household, Member, MemberStatus, Role
from models.roster import (
    PRIVACY_POLICY_VERSION,
    clear_join_failures,
    could_be_code,
    household_by_code,
    join_code_pause,
    looks_like_code as code_only,
    match_household,
    officers_for_block,
    record_join_failure,
)

from .linking import link_and_notify, was_undone

MAX_NAME = 30


# --- what is said ----------------------------------------------------------------------------
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


def registered_text(member: Member) -> str:
    return texts.REGISTERED.format(name=member.name, block=member.household.block.name,
                                   household=member.household.name)


def ask_block(ctx: Ctx) -> None:
    ctx.reply(block_question(ctx))


def ask_name(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.ASK_NAME.format(block=ctx.session.get(Block, ctx.dialog.data["block_id"]).name)))


def ask_own_name(ctx: Ctx) -> None:
    household = ctx.session.get(Household, ctx.dialog.data["household_id"])
    ctx.reply(msg.text(texts.ASK_OWN_NAME.format(block=household.block.name, household=household.name)))


# --- rules -----------------------------------------------------------------------------------
def consented(ctx: Ctx) -> bool:
    m = ctx.member
    return m is not None and m.consent_at is not None and m.status in (
        MemberStatus.registering, MemberStatus.pending, MemberStatus.active)


def looks_like_code(ctx: Ctx) -> bool:
    """「登録コード …」 or digits alone; never a look-up (every look-up counts as an attempt)."""
    return bool(ctx.text) and (ctx.text.startswith(texts.CMD_JOIN_CODE) or code_only(ctx.text))


# --- a 登録コード ---------------------------------------------------------------------------------
def join_by_code(ctx: Ctx, text: str) -> Next:
    """A 登録コード: limited per LINE user and per channel; the joiner then gives their own name.

    A typo (wrong check digit or number of digits) cannot hit any household: it is answered as a
    typo and counts for the user only. The channel's pause holds back only users who already
    have failures, so an honest newcomer with the right code still joins while someone guesses;
    the officers are told once when it starts."""
    if not consented(ctx):
        ctx.reply(*consent_card(ctx, texts.CONSENT_FIRST))
        return None
    if ctx.member.status == MemberStatus.active:
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=ctx.member.household.block.name,
                                                          household=ctx.member.household.name)))
        return None
    aid = ctx.association.id
    guess = could_be_code(text)
    paused = join_code_pause(ctx.session, aid, ctx.user_id, ctx.now, guess=guess)
    if paused is not None:  # refused unread: even the right code gives no answer now
        ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(until=dates.clock(paused, ctx.settings.timezone, ctx.now))))
        return None
    household = household_by_code(ctx.session, aid, text) if guess else None
    if household is None:
        failure = record_join_failure(ctx.session, aid, ctx.user_id, ctx.now, guess=guess)
        ctx.audit("member.join_code_wrong" if guess else "member.join_code_typo", None)
        if failure.channel_paused_until is not None:
            tell_officers_channel_paused(ctx, failure.channel_paused_until)
        ctx.reply(msg.text(
            texts.JOIN_CODE_PAUSED.format(until=dates.clock(failure.until, ctx.settings.timezone, ctx.now))
            if failure.until else texts.JOIN_CODE_UNKNOWN if guess else texts.JOIN_CODE_TYPO))
        return None
    clear_join_failures(ctx.session, aid, ctx.user_id)
    if not ctx.member.name:  # never the representative's name: the joiner says who they are
        return Go("code_name", household_id=household.id)
    return finish_code_join(ctx, household)


def tell_officers_channel_paused(ctx: Ctx, until) -> None:
    """Once per pause of the channel (the failure that starts it): the chair and officers, who
    handle registration for the whole association. No names, no LINE ids, no codes."""
    officers = [m.line_user_id for m in officers_for_block(ctx.session, ctx.association.id, None)
                if m.role in BOARD_ROLES]
    ctx.audit("join_code.channel_paused", None, until=until.isoformat())
    when = dates.clock(until, ctx.settings.timezone, ctx.now)
    ctx.push(officers, [msg.text(texts.JOIN_CODE_CHANNEL_PAUSED.format(until=when))], purpose="join_code.channel_paused")


def finish_code_join(ctx: Ctx, household: Household) -> Next:
    m = ctx.member
    ctx.end_dialog()
    link_and_notify(ctx, m, household, texts.LINKED_BY_CODE)
    ctx.audit("member.join_code", f"household:{household.id}")
    ctx.reply(msg.text(registered_text(m)))
    return END


@router.command(texts.CMD_JOIN_CODE)
def on_join_code(ctx: Ctx) -> None:
    REGISTER.go(ctx, join_by_code(ctx, ctx.text))


# --- the steps -------------------------------------------------------------------------------
def on_code_name(ctx: Ctx) -> Next:
    household = ctx.session.get(Household, ctx.dialog.data.get("household_id") or 0)
    if household is None or household.association_id != ctx.association.id or not consented(ctx) \
            or ctx.member.status == MemberStatus.active:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    if not ctx.text:
        ask_own_name(ctx)
        return None
    if len(ctx.text) > MAX_NAME:
        ctx.reply(msg.text(texts.NAME_TOO_LONG))
        return None
    ctx.member.name = ctx.text
    return finish_code_join(ctx, household)


def on_block_text(ctx: Ctx) -> Next:
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    ctx.reply(block_question(ctx))
    return None


def on_name(ctx: Ctx) -> Next:
    name = ctx.text
    if not name:
        ask_name(ctx)
        return None
    if looks_like_code(ctx):
        return join_by_code(ctx, name)
    if len(name) > MAX_NAME:
        ctx.reply(msg.text(texts.NAME_TOO_LONG))
        return None
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
        return END
    ask_approval(ctx, m, block, household, why)
    return END


def ask_approval(ctx: Ctx, m: Member, block: Block, household: Household | None, why: str | None) -> None:
    m.status, m.role = MemberStatus.pending, Role.prospective
    ctx.session.flush()
    approvers = officers_for_block(ctx.session, ctx.association.id, block.id)
    if household is None:
        request = texts.APPROVAL_REQUEST.format(block=block.name, name=m.name)
    elif household.active_members:
        request = texts.APPROVAL_REQUEST_CLAIMED.format(block=block.name, name=m.name)
    else:
        request = texts.APPROVAL_REQUEST_CAREFUL.format(block=block.name, name=m.name, why=why)
    card = msg.card(texts.APPROVAL_REQUEST_TITLE, request,
                    [msg.postback(texts.APPROVE, pb("approve", m=m.id)), msg.postback(texts.REJECT, pb("reject", m=m.id))])
    ctx.push([a.line_user_id for a in approvers], [card], purpose=f"approval:{m.id}")
    ctx.audit("member.pending", f"member:{m.id}")
    ctx.reply(msg.text(texts.PENDING))


# --- the buttons -----------------------------------------------------------------------------
def on_consent(ctx: Ctx) -> Next:
    m = ctx.member
    if m is not None and m.status in (MemberStatus.active, MemberStatus.pending):
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=m.household.block.name, household=m.household.name)
                           if m.household else texts.WAITING_APPROVAL))
        return None
    if m is None:
        m = Member(association_id=ctx.association.id, line_user_id=ctx.user_id)
        ctx.session.add(m)
        ctx.member = m
    if ctx.data.get("v") != "1":
        # Refusing stores nothing but the refusal.
        m.status, m.name, m.block_id, m.declined_at = MemberStatus.declined, None, None, ctx.now
        m.consent_at = m.consent_policy_version = None
        ctx.end_dialog()  # whatever was open
        ctx.reply(msg.text(texts.DECLINED))
        return END
    m.status = MemberStatus.registering
    m.consent_at, m.consent_policy_version, m.declined_at = ctx.now, ctx.data.get("p") or PRIVACY_POLICY_VERSION, None
    ctx.audit("member.consent", None, policy=m.consent_policy_version)
    return "block"


def on_block(ctx: Ctx) -> Next:
    block = ctx.session.get(Block, ctx.num("b"))
    if not consented(ctx) or block is None or block.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    return Go("name", block_id=block.id)


def on_block_page(ctx: Ctx) -> Next:
    ctx.reply(block_question(ctx, ctx.num("o")))
    return None


REGISTER = Dialog("register", entries=("block", "code_name"), steps=[
    Step("block", take=on_block_text, ask=ask_block, to=("code_name", END)),
    Step("name", take=on_name, ask=ask_name, to=("code_name", END)),
    Step("code_name", take=on_code_name, ask=ask_own_name, to=("code_name", END)),
], buttons=[
    Button("consent", take=on_consent, to=("block", END), opens=True),
    Button("reg_block", take=on_block, to=("name",)),
    Button("reg_blocks", take=on_block_page),
])

"""Residents join: consent → 班 → name (matched against the roster), or a 登録コード → own name
(codes.py). On a city channel, before an association is known, the consent is followed by the
association picker (city.py: 地区 → 自治会, or a 登録コード), then the same 班 → name.

A name that matches a household already on LINE is followed by the member's own name
(「あなたのお名前」, step family_name) and goes to approval: a household never has two members
under the representative's name. A name that matches a roster household nobody has claimed links at once (linking.py tells the
officers, with [取り消す]); anything else waits for an officer's approval (approvals.py): the
officers of the association the resident registers in, and no other.

```mermaid
stateDiagram-v2
    [*] --> block
    [*] --> code_name
    district --> code_name
    district --> [*]
    assoc --> code_name
    assoc --> [*]
    block --> code_name
    block --> [*]
    name --> code_name
    name --> family_name
    name --> [*]
    family_name --> code_name
    family_name --> [*]
    code_name --> code_name
    code_name --> [*]
    [*] --> block: consent
    [*] --> district: consent
    [*] --> assoc: consent
    [*] --> [*]: consent
    district --> assoc: reg_district
    district --> block: reg_district
    assoc --> block: reg_assoc
    assoc --> district: reg_redistrict
    block --> district: reg_repick
    block --> assoc: reg_repick
    block --> [*]: reg_repick
    district --> name: reg_block
    assoc --> name: reg_block
    block --> name: reg_block
    name --> name: reg_block
    family_name --> name: reg_block
    code_name --> name: reg_block
```
"""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from models import Block, Household, Member, MemberStatus, Role
from models.roster import PRIVACY_POLICY_VERSION, match_household, officers_for_block

from .city import (
    ask_association,
    ask_district,
    first_step,
    on_association,
    on_association_page,
    on_district,
    on_district_page,
    on_picker_text,
    on_redistrict,
    on_repick,
)
from .codes import finish_code_join, join_by_code
from .common import (
    FLOW,
    MAX_NAME,
    POLICY_MAX,
    ask_block,
    ask_name,
    ask_own_name,
    block_question,
    consent_card,
    consent_data,
    consented,
    display_name,
    looks_like_code,
    registered_text,
    scoped,
)
from .linking import link_and_notify, was_undone

__all__ = ["REGISTER", "consent_card"]


@router.command(texts.CMD_JOIN_CODE)
def on_join_code(ctx: Ctx) -> None:
    REGISTER.go(ctx, join_by_code(ctx, ctx.text))


# --- the steps -------------------------------------------------------------------------------
@scoped
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


@scoped
def on_block_text(ctx: Ctx) -> Next:
    """A code-shaped text is a 登録コード (「6566-7981」 too, without the word); a typed 班
    (「2班です」「3」) taps its button, anything else hears 「下のボタンから選んでください」 (Step.pick)."""
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    return None


@scoped
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
    if block is None or m is None or block.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    m.block_id = block.id
    household = match_household(ctx.session, block, name)
    if household is None or not household.active_members:
        m.name = name
        ctx.end_dialog()
    why = None
    if household is not None:
        why = (texts.WHY_PAPER if not household.on_line else texts.WHY_SUPPORT if household.needs_support
               else texts.WHY_UNDONE if was_undone(ctx, household) else None)
    if household is not None and household.active_members:
        # the representative's name of a household already on LINE: a family member (or someone
        # pretending): they say their own name, and an officer approves (never a second member
        # under the representative's name)
        return Go("family_name", block_id=block.id, household_id=household.id)
    if household is not None and why is None:
        # a roster household on LINE that nobody has claimed yet: the first member is linked at
        # once, and the block leader and officers are told, with [取り消す]. A paper-only or
        # 要支援 household, or one that already has members on LINE, goes to approval.
        link_and_notify(ctx, m, household, texts.LINKED_BY_NAME)
        ctx.audit("member.matched", f"household:{household.id}")
        ctx.reply(msg.text(registered_text(m)))
        return END
    ask_approval(ctx, m, block, household, why)
    return END


@scoped
def on_family_name(ctx: Ctx) -> Next:
    """After the name of a household already on LINE: the member's own name, then approval."""
    data = ctx.dialog.data
    block = ctx.session.get(Block, data.get("block_id") or 0)
    household = ctx.session.get(Household, data.get("household_id") or 0)
    m = ctx.member
    if block is None or household is None or m is None or household.association_id != ctx.association.id \
            or household.block_id != block.id or m.status != MemberStatus.registering:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    if not ctx.text:
        ask_family_name(ctx)
        return None
    if len(ctx.text) > MAX_NAME:
        ctx.reply(msg.text(texts.NAME_TOO_LONG))
        return None
    m.name, m.block_id = ctx.text, block.id
    ctx.end_dialog()
    ask_approval(ctx, m, block, household, None, family=True)
    return END


def ask_family_name(ctx: Ctx) -> None:
    household = ctx.session.get(Household, ctx.dialog.data["household_id"])
    ctx.reply(msg.text(texts.ASK_FAMILY_NAME.format(household=household.name)))


def ask_approval(ctx: Ctx, m: Member, block: Block, household: Household | None, why: str | None,
                 family: bool = False) -> None:
    m.status, m.role = MemberStatus.pending, Role.prospective
    ctx.session.flush()
    approvers = officers_for_block(ctx.session, ctx.association.id, block.id)
    if household is None:
        request = texts.APPROVAL_REQUEST.format(block=block.name, name=m.name)
    elif family:
        request = texts.APPROVAL_REQUEST_FAMILY.format(block=block.name, household=household.name, name=m.name)
    elif household.active_members:
        request = texts.APPROVAL_REQUEST_CLAIMED.format(block=block.name, name=m.name)
    else:
        request = texts.APPROVAL_REQUEST_CAREFUL.format(block=block.name, name=m.name, why=why)
    shown = display_name(ctx)
    if shown:
        request += "\n" + texts.APPROVAL_DISPLAY_NAME.format(display=shown[:40])
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
    agreed = ctx.data.get("v") == "1"
    if ctx.association is None:  # a city channel, no association picked: the consent waits in the dialog
        if not agreed:  # nothing is stored, not even the refusal (there is no association to keep it)
            ctx.end_dialog()
            ctx.reply(msg.text(texts.CITY_DECLINED))
            return END
        return first_step(ctx, **consent_data(ctx, ctx.data.get("p")))
    if m is None:
        m = Member(association_id=ctx.association.id, line_user_id=ctx.user_id)
        ctx.session.add(m)
        ctx.member = m
    if not agreed:
        # Refusing stores nothing but the refusal.
        m.status, m.name, m.block_id, m.declined_at = MemberStatus.declined, None, None, ctx.now
        m.consent_at = m.consent_policy_version = None
        ctx.end_dialog()  # whatever was open
        ctx.reply(msg.text(texts.DECLINED))
        return END
    m.status = MemberStatus.registering
    m.consent_at, m.declined_at = ctx.now, None
    m.consent_policy_version = (ctx.data.get("p") or PRIVACY_POLICY_VERSION)[:POLICY_MAX]
    ctx.audit("member.consent", None, policy=m.consent_policy_version)
    return "block"


@scoped
def on_block(ctx: Ctx) -> Next:
    block = ctx.session.get(Block, ctx.num("b"))
    if not consented(ctx) or block is None or block.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    return Go("name", block_id=block.id)


@scoped
def on_block_page(ctx: Ctx) -> Next:
    ctx.reply(block_question(ctx, ctx.num("o")))
    return None


REGISTER = Dialog(FLOW, entries=("block", "code_name"), steps=[
    Step("district", take=on_picker_text, ask=ask_district, to=("code_name", END), pick=True),
    Step("assoc", take=on_picker_text, ask=ask_association, to=("code_name", END), pick=True),
    Step("block", take=on_block_text, ask=ask_block, to=("code_name", END), pick=True),
    Step("name", take=on_name, ask=ask_name, to=("code_name", "family_name", END)),
    Step("family_name", take=on_family_name, ask=ask_family_name, to=("code_name", END)),
    Step("code_name", take=on_code_name, ask=ask_own_name, to=("code_name", END)),
], buttons=[
    Button("consent", take=on_consent, to=("block", "district", "assoc", END), opens=True),
    Button("reg_district", take=on_district, to=("assoc", "block"), at=("district",)),
    Button("reg_districts", take=on_district_page, at=("district",)),
    Button("reg_assoc", take=on_association, to=("block",), at=("assoc",)),
    Button("reg_assocs", take=on_association_page, at=("assoc",)),
    Button("reg_redistrict", take=on_redistrict, to=("district",), at=("assoc",)),
    Button("reg_repick", take=on_repick, to=("district", "assoc", END), at=("block",)),
    Button("reg_block", take=on_block, to=("name",)),
    Button("reg_blocks", take=on_block_page),
])
# a newcomer on a city channel has no association yet: the dialog, its buttons and 登録コード run anyway
router.serve_unscoped(flows=[FLOW], postbacks=[b.action for b in REGISTER.buttons], commands=[texts.CMD_JOIN_CODE])

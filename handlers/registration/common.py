"""What registration says and the rules it keeps (shared by join.py, codes.py and city.py), and, on
a city channel, which association the resident registers in.

On a city channel a newcomer has no association yet (`ctx.association` None): their consent is
kept in the registration dialog's data until they pick one (city.py) or a 登録コード names one
(codes.py); then `enter_association` writes their member row there and keeps the choice with the
dialog (DialogState.association_id), so the next event resolves to it (models/tenancy.py).
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Optional

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import Next, Take
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from models import Association, Block, Household, Member, MemberStatus, Municipality
from models.roster import PRIVACY_POLICY_VERSION, looks_like_code as code_only
from models.tenancy import served_association_ids

FLOW = "register"  # the registration dialog (join.py)
PICKER_STEPS = ("district", "assoc")  # city.py's questions
MAX_NAME = 30
POLICY_MAX = 20  # members.consent_policy_version


# --- what is said ----------------------------------------------------------------------------
def welcome_name(ctx: Ctx) -> str:
    """Whose 電子回覧板 the consent card names: the association's, or on a city channel before one
    is picked, the municipality's."""
    if ctx.association is not None:
        return ctx.association.name
    city = ctx.session.get(Municipality, ctx.channel.municipality_id or 0)
    return city.name if city is not None else ""


def privacy_url(ctx: Ctx) -> str:
    """The privacy notice of the association the card is about (on a city channel before the
    pick: of the city's associations)."""
    base = f"{ctx.settings.base_url}/privacy"
    if ctx.association is not None:
        return f"{base}?a={ctx.association.slug}"
    return f"{base}?m={ctx.channel.municipality_id}" if ctx.channel.municipality_id else base


def consent_card(ctx: Ctx, note: str | None = None) -> list[dict]:
    card = msg.consent(welcome_name(ctx), privacy_url(ctx),
                       pb("consent", v=1, p=PRIVACY_POLICY_VERSION), pb("consent", v=0))
    return ([msg.text(note)] if note else []) + [card]


def may_repick(ctx: Ctx) -> bool:
    """On a city channel serving several associations, a resident who has only consented in one
    may go back and pick another."""
    m = ctx.member
    return (ctx.channel.is_city and m is not None and m.status == MemberStatus.registering
            and m.household_id is None and len(served_association_ids(ctx.session, ctx.channel)) > 1)


def block_question(ctx: Ctx, offset: int = 0) -> dict:
    """班 as quick replies: 13 fit; a larger association gets pages of 12 and [次へ]. On a city
    channel the association picked is named, with [自治会を選び直す]."""
    repick = [msg.postback(texts.REPICK_ASSOCIATION, pb("reg_repick"))] if may_repick(ctx) else []
    head = texts.ASSOCIATION_CHOSEN.format(association=ctx.association.name) + "\n" \
        if ctx.channel.is_city and offset == 0 else ""
    blocks = ctx.association.blocks
    if not blocks:
        return msg.text(head + texts.NO_BLOCKS, repick)
    actions = paged(blocks, offset, len(repick), lambda b: msg.postback(b.name, pb("reg_block", b=b.id)),
                    lambda o: pb("reg_blocks", o=o))
    return msg.text(head + (texts.ASK_BLOCK_OR_CODE if offset == 0 else texts.ASK_BLOCK), actions + repick)


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


def display_name(ctx: Ctx) -> str | None:
    """The user's LINE display name (their profile), for the officers who approve or are told of
    a link: None if LINE does not give it. Never stored (a message to officers carries it)."""
    lookup = getattr(ctx.line, "display_name", None)
    name = lookup(ctx.user_id) if lookup is not None else None
    return name[:40] if name else None


# --- rules -----------------------------------------------------------------------------------
def consent_of(ctx: Ctx) -> Optional[tuple[dt.datetime, str]]:
    """When the user consented, and to which version: from their member row, or on a city channel
    before an association is picked, from the registration dialog."""
    m = ctx.member
    if m is not None and m.consent_at is not None and m.status in (
            MemberStatus.registering, MemberStatus.pending, MemberStatus.active):
        return m.consent_at, m.consent_policy_version or PRIVACY_POLICY_VERSION
    d = ctx.dialog
    if ctx.association is None and d is not None and d.flow == FLOW and d.data.get("consent_at"):
        try:
            at = dt.datetime.fromisoformat(d.data["consent_at"])
        except (TypeError, ValueError):
            return None
        return at, str(d.data.get("policy") or PRIVACY_POLICY_VERSION)[:POLICY_MAX]
    return None


def consented(ctx: Ctx) -> bool:
    return consent_of(ctx) is not None


def consent_data(ctx: Ctx, policy: str | None = None) -> dict[str, str]:
    """The consent as the dialog keeps it before there is a member row to hold it."""
    return {"consent_at": ctx.now.isoformat(), "policy": (policy or PRIVACY_POLICY_VERSION)[:POLICY_MAX]}


def looks_like_code(ctx: Ctx) -> bool:
    """「登録コード …」 or digits alone; never a look-up (every look-up counts as an attempt)."""
    return bool(ctx.text) and (ctx.text.startswith(texts.CMD_JOIN_CODE) or code_only(ctx.text))


def scoped(take: Take) -> Take:
    """A step or button of registration inside an association (班, name, own name). Without one
    (a dialog left from an association this channel no longer serves) it starts over from the
    consent card; while the association is being picked, a button of these steps is stale."""
    @functools.wraps(take)
    def run(ctx: Ctx) -> Next:
        if ctx.association is None:
            d = ctx.dialog
            if d is not None and d.flow == FLOW and d.step in PICKER_STEPS:
                ctx.reply(msg.text(texts.STALE_BUTTON))
                return None
            ctx.end_dialog()
            ctx.reply(*consent_card(ctx))
            return None
        return take(ctx)
    return run


# --- on a city channel: the association registered in --------------------------------------
def enter_association(ctx: Ctx, association: Association) -> Member:
    """The resident registers in `association` now (picked, or named by a 登録コード), with the
    consent they gave. A registration begun in another association of the channel (consent only,
    or a name waiting for approval: nothing linked) is dropped."""
    at, policy = consent_of(ctx)
    old = ctx.member
    if old is not None and old.association_id != association.id:
        assert old.household_id is None and old.status in (MemberStatus.registering, MemberStatus.pending)
        ctx.session.delete(old)
        ctx.session.flush()
    m = ctx.session.scalar(select(Member).where(Member.association_id == association.id,
                                                Member.line_user_id == ctx.user_id))
    if m is None:  # (a refusal given there earlier is the row reused)
        m = Member(association_id=association.id, line_user_id=ctx.user_id)
        ctx.session.add(m)
    m.status, m.name, m.block_id = MemberStatus.registering, None, None
    m.consent_at, m.consent_policy_version, m.declined_at = at, policy, None
    ctx.session.flush()
    ctx.enter(association, m)
    ctx.audit("member.consent", None, policy=policy)
    return m

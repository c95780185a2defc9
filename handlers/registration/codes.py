"""A 登録コード: the household's code registers the joiner directly (they then give their own name).

Wrong codes are limited per LINE user and per channel (models/roster.py JoinAttempt). On a city
channel a code is looked up among every association the channel serves, and wrong codes count
for the whole channel, whatever association the user has picked so far (models/tenancy.py
`attempt_scope`): the code names the association the resident registers in.
"""
from __future__ import annotations

import logging

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Go, Next
from handlers.messages import builders as msg, dates, texts
from models import BOARD_ROLES, Association, Household, MemberStatus
from models.roster import (
    clear_join_failures,
    could_be_code,
    household_by_code,
    join_code_pause,
    officers_for_block,
    record_join_failure,
)
from models.tenancy import attempt_scope

from .common import consent_card, consented, enter_association, registered_text
from .linking import link_and_notify

log = logging.getLogger(__name__)


def join_by_code(ctx: Ctx, text: str) -> Next:
    """A 登録コード: limited per LINE user and per channel; the joiner then gives their own name.

    A typo (wrong check digit or number of digits) cannot hit any household: it is answered as a
    typo and counts for the user only. The channel's pause holds back only users who already
    have failures, so an honest newcomer with the right code still joins while someone guesses;
    the officers are told once when it starts."""
    if not consented(ctx):
        ctx.reply(*consent_card(ctx, texts.CONSENT_FIRST))
        return None
    m = ctx.member
    if m is not None and (m.status == MemberStatus.active or m.household_id is not None):
        ctx.reply(msg.text(texts.ALREADY_REGISTERED.format(block=m.household.block.name,
                                                          household=m.household.name)))
        return None
    scope, among = attempt_scope(ctx.session, ctx.channel, ctx.association.id if ctx.association else None)
    if scope is None:  # a city channel that serves no association yet
        ctx.reply(msg.text(texts.NO_ASSOCIATIONS))
        return None
    guess = could_be_code(text)
    paused = join_code_pause(ctx.session, scope, ctx.user_id, ctx.now, guess=guess)
    if paused is not None:  # refused unread: even the right code gives no answer now
        ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(until=dates.clock(paused, ctx.settings.timezone, ctx.now))))
        return None
    household = household_by_code(ctx.session, among, text) if guess else None
    if household is None:
        failure = record_join_failure(ctx.session, scope, ctx.user_id, ctx.now, guess=guess)
        if ctx.association is not None:
            ctx.audit("member.join_code_wrong" if guess else "member.join_code_typo", None)
        if failure.channel_paused_until is not None:
            tell_officers_channel_paused(ctx, failure.channel_paused_until)
        ctx.reply(msg.text(
            texts.JOIN_CODE_PAUSED.format(until=dates.clock(failure.until, ctx.settings.timezone, ctx.now))
            if failure.until else texts.JOIN_CODE_UNKNOWN if guess else texts.JOIN_CODE_TYPO))
        return None
    clear_join_failures(ctx.session, scope, ctx.user_id)
    if ctx.association is None or household.association_id != ctx.association.id:
        enter_association(ctx, ctx.session.get(Association, household.association_id))  # a city channel
    if not ctx.member.name:  # never the representative's name: the joiner says who they are
        return Go("code_name", household_id=household.id)
    return finish_code_join(ctx, household)


def tell_officers_channel_paused(ctx: Ctx, until) -> None:
    """Once per pause of the channel (the failure that starts it): the chair and officers, who
    handle registration for the whole association. No names, no LINE ids, no codes.

    A city channel's pause is the whole channel's, not one association's: its officers are not
    told (the guesser may have picked any association, or none); it is logged for the operator."""
    if ctx.channel.is_city:
        log.warning("join codes paused on city channel %s until %s", ctx.channel.id, until.isoformat())
        return
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

"""What the pull views share: who did something, worded for the member who asks, and the answer a
newcomer gets instead of a view (the registration's own)."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import texts
from handlers.registration.join import REGISTER
from models import Delivery


def who_answered(ctx: Ctx, d: Delivery) -> str:
    """「ご自身」, 「山田 花子さん」, 「ご家族」 (a withdrawn member), or the proxy officers."""
    if d.answered_by_proxy:
        return texts.VIEW_BY_PROXY
    if d.answered_by_id == ctx.member.id:
        return texts.EV_SELF
    by = d.answered_by
    return texts.PERSON_NAME.format(name=by.name) if by is not None and by.name else texts.EV_FAMILY


def registration(ctx: Ctx) -> None:
    """Someone who is not an active member: what registration says to any message (the consent
    card, the wait for approval); in the middle of registering, its question again (not a restart)."""
    if REGISTER.is_open(ctx):
        REGISTER.ask(ctx, ctx.dialog.step)
    else:
        router.help(ctx)

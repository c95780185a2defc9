"""A sticker (スタンプ) outside any dialog. Residents send them as a greeting or a thank-you: an active
member is thanked in one short line that says where things are (the menu), never the help text of
someone who typed something wrong; anyone else gets what a text would get (the consent card, the
wait for approval). In disaster mode the safety check sees it first (router.fallback's modes), and
inside a dialog the dialog's step does (handlers/framework/draft.py: a sticker is no attachment)."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from models import MemberStatus


@router.message("sticker")
def on_sticker(ctx: Ctx) -> None:
    m = ctx.member
    if m is not None and m.status == MemberStatus.active:
        ctx.reply(msg.text(texts.STICKER_THANKS))
    else:
        router.help(ctx)

"""「管理画面」 typed by a city staff member: a one-time sign-in link to the city's pages (/city)."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts


@router.command(texts.CMD_ADMIN, staff=True)
def on_admin(ctx: Ctx) -> None:
    if ctx.staff is None:  # the router runs this for staff only; a forged path is refused all the same
        ctx.reply(msg.text(texts.CITY_STAFF_ONLY))
        return
    url = ctx.links.staff_sign_in(ctx.session, ctx.staff, ctx.now)
    ctx.reply(msg.link(texts.CITY_TITLE, texts.CITY_ADMIN_LINK, texts.CITY_ADMIN_OPEN, url))

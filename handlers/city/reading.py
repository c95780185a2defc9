"""A city notice's [読みました] and [全文を見る], tapped by a chair or a resident: their own receipt
(a chair's, per person) or their household's; a notice that did not go to them is refused."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.full_text import reply_full_text
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from models import CityNotice, SendState
from models.city import receipt_for


def notice_and_receipt(ctx: Ctx):
    n = ctx.session.get(CityNotice, ctx.num("n"))
    if n is None or n.state != SendState.sent:
        ctx.reply(msg.text(texts.NOTICE_GONE))
        return None, None
    if not ctx.is_member:
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None, None
    d = receipt_for(ctx.session, n, ctx.member)  # only a receipt of the member's own association
    if d is None:
        ctx.reply(msg.text(texts.NOTICE_NOT_FOR_YOU))
        return None, None
    return n, d


@router.postback("nread")
def on_read(ctx: Ctx) -> None:
    n, d = notice_and_receipt(ctx)
    if d is None:
        return
    if d.mark_read(ctx.member, "button", ctx.now):
        ctx.reply(msg.text(texts.READ_THANKS.format(title=n.title)))
    else:
        ctx.reply(msg.text(texts.NOTICE_READ_ALREADY.format(title=n.title,
                                                            when=dates.month_day(d.read_at, ctx.settings.timezone))))


@router.postback("nfull")
def on_full(ctx: Ctx) -> None:
    """The whole text as free replies, and the page with the attachments (it counts as read)."""
    n, d = notice_and_receipt(ctx)
    if d is None:
        return
    reply_full_text(ctx, d, n.title, n.body, len(n.attachments), f"{ctx.settings.base_url}/city/n/{d.page_token}")

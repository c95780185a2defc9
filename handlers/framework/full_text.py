"""[全文を見る] of anything sent with a page (a circular, a city notice): the whole text as free
replies (split by LINE's own count: a body of emoji is twice as long as it looks), with the
household's or person's page. It counts as read only when the text goes out; otherwise the page
link alone is sent, and opening the page counts."""
from __future__ import annotations

from typing import Any

from handlers.messages import builders as msg, texts
from handlers.messages.limits import MAX_MESSAGES, check_message

from .ctx import Ctx


def reply_full_text(ctx: Ctx, receipt: Any, title: str, body: str, attachments: int, page_url: str) -> None:
    what = texts.ATTACHMENT_COUNT.format(n=attachments) if attachments else texts.FULL_READ_ON_PAGE
    page = msg.link(title, what, texts.OPEN_PAGE, page_url)
    text = msg.long_text(texts.CIRCULAR_FULL_TEXT.format(title=title, body=body), MAX_MESSAGES - 1)
    if any(check_message(m) for m in text):
        ctx.reply(page)
        return
    receipt.mark_read(ctx.member, "button", ctx.now)
    ctx.reply(*text, page)

"""[全文を見る] of anything sent with a page (a circular, a city notice): the whole text as free
replies (split by LINE's own count: a body of emoji is twice as long as it looks), with the
household's or person's page. A body longer than CHAT_BODY is cut for the chat at the last sentence
end before it, saying 「続きはページで読めます」 (the page link follows): never mid-word. It counts as read only when the text goes out; otherwise the page
link alone is sent, and opening the page counts."""
from __future__ import annotations

from typing import Any

from handlers.messages import builders as msg, texts
from handlers.messages.limits import MAX_MESSAGES, check_message

from .ctx import Ctx

CHAT_BODY = 4500  # characters of a body sent in chat; the page has the rest


def chat_body(body: str) -> str:
    """The body as sent in chat: whole, or cut at the last sentence end within CHAT_BODY."""
    if len(body) <= CHAT_BODY:
        return body
    head = body[:CHAT_BODY]
    cut = max(head.rfind(ch) for ch in texts.SENTENCE_ENDS)
    if cut < 0:  # no sentence end at all: at a space, else at the limit
        cut = max(head.rfind(ch) for ch in " \t")
    if cut < 0:
        cut = CHAT_BODY - 1
    return body[:cut + 1].rstrip() + "\n\n" + texts.FULL_CONTINUES


def reply_full_text(ctx: Ctx, receipt: Any, title: str, body: str, attachments: int, page_url: str) -> None:
    what = texts.ATTACHMENT_COUNT.format(n=attachments) if attachments else texts.FULL_READ_ON_PAGE
    page = msg.link(title, what, texts.OPEN_PAGE, page_url)
    text = msg.long_text(texts.CIRCULAR_FULL_TEXT.format(title=title, body=chat_body(body)), MAX_MESSAGES - 1)
    if any(check_message(m) for m in text):
        ctx.reply(page)
        return
    receipt.mark_read(ctx.member, "button", ctx.now)
    ctx.reply(*text, page)

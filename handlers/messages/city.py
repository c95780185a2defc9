"""The city notice (市からのお知らせ) as chairs and residents get it: a card like a circular's,
headed by the municipality, with [読みました] (and [全文を見る] when there is more to see)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from linebot.v3.messaging import FlexBox, FlexBubble, FlexMessage, FlexSeparator, FlexText

from handlers.messages import dates, texts
from handlers.messages.builders import GREY, _button, postback, shorten


def notice(*, municipality_name: str, title: str, body: str, when: dt.datetime, tz: str, read_data: str,
           full_data: str | None, attachments: int = 0) -> dict:
    short, cut = shorten(body)
    contents: list[Any] = [
        FlexText(text=texts.NOTICE_CARD_HEADER.format(municipality=municipality_name), size="sm", color=GREY),
        FlexText(text=title or " ", weight="bold", size="xl", wrap=True, margin="sm"),
        FlexText(text=dates.date(when, tz), size="sm", color=GREY, margin="sm"),
        FlexSeparator(margin="md"),
        FlexText(text=short or " ", size="md", wrap=True, margin="md"),
    ]
    if attachments:
        contents.append(FlexText(text=texts.ATTACHMENT_COUNT.format(n=attachments), size="sm", color=GREY,
                                 margin="md"))
    buttons = [_button(postback(texts.READ, read_data), primary=True)]
    if full_data and (cut or attachments):
        buttons.append(_button(postback(texts.FULL_TEXT, full_data)))
    bubble = FlexBubble(body=FlexBox(layout="vertical", contents=contents),
                        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons))
    return FlexMessage(alt_text=texts.NOTICE_ALT.format(title=title)[:400], contents=bubble).to_dict()

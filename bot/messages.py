"""Message builders: line-bot-sdk models in, LINE JSON (camelCase dicts) out.

Every builder returns the dict LINE receives, so the outbox can store it and tests can validate
it against LINE's OpenAPI spec and documented limits (tests/test_messages.py does, for each one).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from linebot.v3.messaging import (
    FlexBox, FlexBubble, FlexButton, FlexMessage, FlexSeparator, FlexText, LocationAction,
    MessageAction, PostbackAction, QuickReply, QuickReplyItem, TextMessage, URIAction,
)

from . import texts

BODY_PREVIEW_CHARS = 280  # a bubble shows this much of a circular; the rest is behind 全文を見る
QUICK_REPLY_MAX = 13
LABEL_MAX = 20
GREEN = "#06C755"  # LINE green, high contrast with white text
GREY = "#666666"


# --- actions -------------------------------------------------------------------------------
def label(s: str) -> str:
    """Labels work in quick replies (20) and buttons (40): keep every one within 20."""
    return s if len(s) <= LABEL_MAX else s[: LABEL_MAX - 1] + "…"


def postback(text: str, data: str, display: str | None = None) -> PostbackAction:
    # displayText makes the tap visible in the chat, as if the user had typed the label.
    return PostbackAction(label=label(text), data=data, display_text=(display or text)[:300])


def say(text: str, message: str | None = None) -> MessageAction:
    return MessageAction(label=label(text), text=(message or text)[:300])


def location(label: str = "現在地を送る") -> LocationAction:
    return LocationAction(label=label)


def _quick(actions: Sequence[Any] | None) -> QuickReply | None:
    if not actions:
        return None
    if len(actions) > QUICK_REPLY_MAX:
        raise ValueError(f"{len(actions)} quick replies; LINE shows at most {QUICK_REPLY_MAX}")
    return QuickReply(items=[QuickReplyItem(action=a) for a in actions])


# --- messages ------------------------------------------------------------------------------
def text(body: str, quick: Sequence[Any] | None = None) -> dict:
    return TextMessage(text=body, quick_reply=_quick(quick)).to_dict()


def _button(action: Any, primary: bool = False) -> FlexButton:
    return FlexButton(action=action, style="primary" if primary else "secondary",
                      color=GREEN if primary else None, height="md", margin="md")


def card(title: str, body: str, actions: Sequence[Any], *, alt: str | None = None,
         quick: Sequence[Any] | None = None, note: str | None = None) -> dict:
    """A plain card: bold title, text, big buttons stacked (the first one green)."""
    contents: list[Any] = [FlexText(text=title, weight="bold", size="lg", wrap=True),
                           FlexText(text=body, size="md", wrap=True, margin="md")]
    if note:
        contents.append(FlexText(text=note, size="sm", color=GREY, wrap=True, margin="md"))
    bubble = FlexBubble(
        body=FlexBox(layout="vertical", contents=contents),
        footer=FlexBox(layout="vertical", spacing="sm",
                       contents=[_button(a, primary=i == 0) for i, a in enumerate(actions)]) if actions else None,
    )
    return FlexMessage(alt_text=(alt or title)[:400], contents=bubble, quick_reply=_quick(quick)).to_dict()


def consent(association_name: str, privacy_url: str, agree_data: str, decline_data: str) -> dict:
    return card(
        texts.WELCOME_TITLE.format(association=association_name),
        texts.WELCOME,
        [postback(texts.AGREE, agree_data), postback(texts.DISAGREE, decline_data),
         URIAction(label=texts.PRIVACY, uri=privacy_url)],
        note=texts.CONSENT_QUESTION,
        alt=texts.WELCOME_TITLE.format(association=association_name),
    )


def link(title: str, body: str, label: str, uri: str) -> dict:
    return card(title, body, [URIAction(label=label, uri=uri)])


def local_date(when: dt.datetime, tz: str) -> str:
    d = when.astimezone(ZoneInfo(tz))
    return f"{d.year}年{d.month}月{d.day}日"


def shorten(body: str, limit: int = BODY_PREVIEW_CHARS) -> tuple[str, bool]:
    body = body.strip()
    if len(body) <= limit:
        return body, False
    return body[: limit - 1].rstrip() + "…", True


def circular(*, association_name: str, title: str, body: str, when: dt.datetime, tz: str,
             read_data: str, full_data: str | None, attachments: int = 0) -> dict:
    """The circular as residents get it: association, title, date, body, [読みました]."""
    short, cut = shorten(body)
    contents: list[Any] = [
        FlexText(text=association_name + " 回覧板", size="sm", color=GREY),
        FlexText(text=title, weight="bold", size="xl", wrap=True, margin="sm"),
        FlexText(text=local_date(when, tz), size="sm", color=GREY, margin="sm"),
        FlexSeparator(margin="md"),
        FlexText(text=short or " ", size="md", wrap=True, margin="md"),
    ]
    if attachments:
        contents.append(FlexText(text=f"添付 {attachments}件", size="sm", color=GREY, margin="md"))
    buttons = [_button(postback(texts.READ, read_data), primary=True)]
    if full_data and (cut or attachments):
        buttons.append(_button(postback(texts.FULL_TEXT, full_data)))
    bubble = FlexBubble(
        body=FlexBox(layout="vertical", contents=contents),
        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons),
    )
    return FlexMessage(alt_text=title[:400], contents=bubble).to_dict()  # altText is the title

"""Message builders: line-bot-sdk models in, LINE JSON (camelCase dicts) out.

Every builder returns the dict LINE receives, so the outbox can store it and tests can validate
it against LINE's OpenAPI spec and documented limits (tests/test_builder_coverage.py finds every builder
in handlers/messages/ and fails for one that no case runs).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, Sequence

from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexImage,
    FlexMessage,
    FlexSeparator,
    FlexText,
    LocationAction,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    URIAction,
)

from handlers.messages import dates, texts
from handlers.messages.limits import ACTION_TEXT_MAX, QUICK_REPLY_LABEL_MAX, QUICK_REPLY_MAX_ITEMS, TEXT_MAX, utf16_len

BODY_PREVIEW_CHARS = 280  # a bubble shows this much of a circular; the rest is behind 全文を見る
EVENT_NOTE_CHARS = 160  # an event card shows this much of the note; the rest is behind 詳細を見る
GREEN = "#06C755"  # LINE green, high contrast with white text
GREY = "#666666"


# --- actions -------------------------------------------------------------------------------
def label(s: str) -> str:
    """Labels work in quick replies (20) and buttons (40): keep every one within 20."""
    return s if len(s) <= QUICK_REPLY_LABEL_MAX else s[: QUICK_REPLY_LABEL_MAX - 1] + "…"


def postback(text: str, data: str, display: str | None = None) -> PostbackAction:
    # displayText makes the tap visible in the chat, as if the user had typed the label.
    return PostbackAction(label=label(text), data=data, display_text=(display or text)[:ACTION_TEXT_MAX])


def say(text: str, message: str | None = None) -> MessageAction:
    return MessageAction(label=label(text), text=(message or text)[:ACTION_TEXT_MAX])


def location(label: str = texts.SAFETY_LOCATION) -> LocationAction:
    return LocationAction(label=label)


def picker(text: str, data: str, mode: str = "datetime", *, low: str | None = None,
           high: str | None = None) -> DatetimePickerAction:
    """LINE's date/time picker; the postback brings params {mode: "2026-12-05T10:00"} (local, no zone)."""
    return DatetimePickerAction(label=label(text), data=data, mode=mode, min=low, max=high)


def _quick_count(actions: Sequence[Any]) -> None:
    if len(actions) > QUICK_REPLY_MAX_ITEMS:
        raise ValueError(f"{len(actions)} quick replies; LINE shows at most {QUICK_REPLY_MAX_ITEMS}")


def _quick(actions: Sequence[Any] | None) -> QuickReply | None:
    if not actions:
        return None
    _quick_count(actions)
    return QuickReply(items=[QuickReplyItem(action=a) for a in actions])


# --- messages ------------------------------------------------------------------------------
def text(body: str, quick: Sequence[Any] | None = None) -> dict:
    """A text message, as `TextMessage(text=…, quick_reply=…).to_dict()` gives it (the test
    tests/test_builders_text.py holds them equal), without building the message, quick-reply and
    item models only to turn them back into this dict: the reply to every tap is one of these,
    and those models cost more than the rest of a read tap's handler (issue 15). The actions
    are the SDK's models, each serialised by the SDK, or such a serialisation made once and kept
    (`serialised`: a dict, copied here)."""
    if not isinstance(body, str):
        raise TypeError("a text message's text must be a str")
    message: dict[str, Any] = {"type": "text", "text": body}
    if quick:
        _quick_count(quick)
        message["quickReply"] = {"items": [{"type": "action", "action": dict(a) if isinstance(a, dict) else a.to_dict()}
                                           for a in quick]}
    return message


def serialised(actions: Sequence[Any]) -> tuple[dict, ...]:
    """Actions as LINE JSON, for quick replies that are the same for many replies (kept, and
    given to `text` again and again; each use copies them)."""
    return tuple(a.to_dict() for a in actions)


def _joins_previous(ch: str) -> bool:
    """A character that belongs to the one before it (cutting before it would break a glyph)."""
    o = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d" or 0xFE00 <= o <= 0xFE0F
            or 0xE0100 <= o <= 0xE01EF or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F)


def split_text(body: str, limit: int = TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` UTF-16 code units (LINE counts an emoji as 2), cut at a line
    break where one is near, never inside a character, an emoji sequence or a combining mark."""
    pieces: list[str] = []
    while utf16_len(body) > limit:
        units, cut = 0, 0
        for i, ch in enumerate(body):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            cut = i + 1
        while cut > 1 and (_joins_previous(body[cut]) or body[cut - 1] == "\u200d"):
            cut -= 1
        newline = body.rfind("\n", 0, cut)
        if newline >= cut * 3 // 4:
            cut = newline + 1
        pieces.append(body[:cut])
        body = body[cut:]
    if body:
        pieces.append(body)
    return pieces


def long_text(body: str, max_messages: int) -> list[dict]:
    """A long text as up to `max_messages` text messages within LINE's limit; "…" if cut short."""
    pieces = split_text(body)
    if len(pieces) > max_messages:
        pieces = pieces[:max_messages]
        pieces[-1] = split_text(pieces[-1], TEXT_MAX - 1)[0] + "…"
    return [text(p) for p in pieces]


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


def link(title: str, body: str, label: str, uri: str, quick: Sequence[Any] | None = None) -> dict:
    return card(title, body, [URIAction(label=label, uri=uri)], quick=quick)


def shorten(body: str, limit: int = BODY_PREVIEW_CHARS) -> tuple[str, bool]:
    body = body.strip()
    if len(body) <= limit:
        return body, False
    return body[: limit - 1].rstrip() + "…", True


def circular(*, association_name: str, title: str, body: str, when: dt.datetime, tz: str,
             read_data: str, full_data: str | None, attachments: int = 0, hero: str | None = None) -> dict:
    """The circular as residents get it: association, title, date, body, [読みました]. With `hero` (an
    https URL of its first photo, cards.hero_url) the photo tops the card; the other attachments are
    counted and reached by [全文を見る]."""
    short, cut = shorten(body)
    others = attachments - 1 if hero else attachments
    contents: list[Any] = [
        FlexText(text=texts.CIRCULAR_CARD_HEADER.format(association=association_name), size="sm", color=GREY),
        FlexText(text=title, weight="bold", size="xl", wrap=True, margin="sm"),
        FlexText(text=dates.date(when, tz), size="sm", color=GREY, margin="sm"),
        FlexSeparator(margin="md"),
        FlexText(text=short or " ", size="md", wrap=True, margin="md"),
    ]
    if others:
        contents.append(FlexText(text=(texts.HERO_OTHERS if hero else texts.ATTACHMENT_COUNT).format(n=others, total=attachments),
                                 size="sm", color=GREY, wrap=True, margin="md"))
    buttons = [_button(postback(texts.READ, read_data), primary=True)]
    if full_data and (cut or others):
        buttons.append(_button(postback(texts.FULL_TEXT, full_data)))
    bubble = FlexBubble(
        hero=FlexImage(url=hero, size="full", aspect_ratio="20:13", aspect_mode="cover",
                       action=URIAction(label=texts.HERO_OPEN, uri=hero)) if hero else None,
        body=FlexBox(layout="vertical", contents=contents),
        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons),
    )
    return FlexMessage(alt_text=texts.ALT_CIRCULAR.format(title=title)[:400], contents=bubble).to_dict()  # 【回覧】title


def event(*, association_name: str, name: str, when: str, place: str, deadline: str, note: str,
          per_person: bool, answers: Sequence[Any], details: Any) -> dict:
    """An event as residents get it: name, date, place, deadline, [参加][不参加][未定] as buttons and
    as quick replies, and [詳細を見る]. altText is 【出欠】 and the event name."""
    def row(key: str, value: str) -> FlexBox:
        return FlexBox(layout="baseline", spacing="sm", margin="sm", contents=[
            FlexText(text=key, size="sm", color=GREY, flex=2),
            FlexText(text=value or " ", size="md", wrap=True, flex=7)])

    short, _ = shorten(note, EVENT_NOTE_CHARS)
    contents: list[Any] = [
        FlexText(text=texts.EV_CARD_HEADER.format(association=association_name), size="sm", color=GREY),
        FlexText(text=name, weight="bold", size="xl", wrap=True, margin="sm"),
        FlexSeparator(margin="md"),
        row(texts.EV_WHEN, when), row(texts.EV_PLACE, place),
        row(texts.EV_DEADLINE, texts.EV_UNTIL.format(deadline=deadline)),
    ]
    if short:
        contents.append(FlexText(text=short, size="md", wrap=True, margin="md"))
    contents.append(FlexText(text=texts.EV_PER_PERSON if per_person else texts.EV_PER_HOUSEHOLD,
                             size="sm", color=GREY, wrap=True, margin="md"))
    bubble = FlexBubble(
        body=FlexBox(layout="vertical", contents=contents),
        footer=FlexBox(layout="vertical", spacing="sm", contents=[
            FlexBox(layout="horizontal", spacing="sm",
                    contents=[_button(a, primary=i == 0) for i, a in enumerate(answers)]),
            _button(details),
        ]),
    )
    return FlexMessage(alt_text=texts.ALT_EVENT.format(name=name)[:400], contents=bubble,
                       quick_reply=_quick(answers)).to_dict()

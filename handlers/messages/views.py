"""What the pull views answer with (handlers/views): the 回覧板 archive and the open events as Flex
carousels, each bubble the card residents already know (builders.circular, cards.resident_card) with
this household's state on it. Pure functions of plain values; tests/test_messages.py validates them.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from linebot.v3.messaging import FlexBox, FlexBubble, FlexButton, FlexText, QuickReply, QuickReplyItem

from handlers.messages import builders as msg, cards, texts
from handlers.messages.codec import pb
from handlers.messages.limits import QUICK_REPLY_MAX_ITEMS

MAX_BUBBLES = 12  # LINE's carousel holds at most 12 bubbles
ALERT = "#C62828"  # unread / unanswered: dark red on white (high contrast)
DONE = "#1B5E20"  # read / answered: dark green


@dataclass(frozen=True)
class ArchiveItem:
    """One circular of the archive: `read` is who read it and when, already worded (None: unread)."""

    id: int
    title: str
    body: str
    sent_at: dt.datetime
    attachments: int = 0
    read: Optional[str] = None
    hero: Optional[str] = None  # the https URL of its first photo (cards.hero_url)


@dataclass(frozen=True)
class EventItem:
    """One open event with this household's (or person's) answer, worded (None: not answered)."""

    event: cards.EventFacts
    answer: Optional[str] = None


def _bubble(message: dict) -> dict:
    return copy.deepcopy(message["contents"])


def _status(bubble: dict, line: str, color: str, at: int) -> dict:
    """The state line, bold and coloured, at position `at` of the bubble's body."""
    text = FlexText(text=line, weight="bold", size="md", color=color, wrap=True, margin="md").to_dict()
    bubble["body"]["contents"].insert(at, text)
    return bubble


def _without_action(bubble: dict, action: str) -> dict:
    """The bubble without its footer buttons of postback `action` (a read circular: no [読みました])."""
    footer = bubble.get("footer")
    if footer:
        footer["contents"] = [b for b in footer["contents"]
                              if not str(b.get("action", {}).get("data", "")).startswith(pb(action) + "&")]
        if not footer["contents"]:
            bubble.pop("footer")
    return bubble


def _carousel(alt: str, bubbles: list[dict], quick: Sequence[Any] | None) -> dict:
    if not 1 <= len(bubbles) <= MAX_BUBBLES:
        raise ValueError(f"{len(bubbles)} bubbles; a carousel holds 1 to {MAX_BUBBLES}")
    if len({b.get("size") for b in bubbles}) > 1:  # LINE: every bubble of a carousel has the same width
        raise ValueError("bubbles of different sizes in one carousel")
    out = {"type": "flex", "altText": alt[:400], "contents": {"type": "carousel", "contents": bubbles}}
    if quick:
        if len(quick) > QUICK_REPLY_MAX_ITEMS:
            raise ValueError(f"{len(quick)} quick replies; LINE shows at most {QUICK_REPLY_MAX_ITEMS}")
        out["quickReply"] = QuickReply(items=[QuickReplyItem(action=a) for a in quick]).to_dict()
    return out


def _more(data: str) -> dict:
    return FlexBubble(body=FlexBox(layout="vertical", contents=[
        FlexText(text=texts.VIEW_CIRCULARS_MORE_TITLE, weight="bold", size="lg", wrap=True),
        FlexText(text=texts.VIEW_CIRCULARS_MORE_BODY, size="md", wrap=True, margin="md")]),
        footer=FlexBox(layout="vertical", contents=[
            FlexButton(action=msg.postback(texts.VIEW_MORE, data), style="primary", color=msg.GREEN, height="md")]),
    ).to_dict()


def archive(association_name: str, items: Sequence[ArchiveItem], tz: str, more_data: Optional[str] = None,
            quick: Sequence[Any] | None = None) -> dict:
    """回覧板: the circulars newest first as the cards residents got them, each with its read state
    and [読みました] while unread; with `more_data` a last bubble [もっと見る] (older ones)."""
    bubbles = []
    for it in items:
        card = msg.circular(association_name=association_name, title=it.title, body=it.body, when=it.sent_at, tz=tz,
                            read_data=pb("read", c=it.id), full_data=pb("full", c=it.id), attachments=it.attachments,
                            hero=it.hero)
        bubble = _status(_bubble(card), texts.VIEW_UNREAD if it.read is None else it.read,
                         ALERT if it.read is None else DONE, 3)  # under the date
        bubbles.append(bubble if it.read is None else _without_action(bubble, "read"))
    if more_data:
        bubbles.append(_more(more_data))
    return _carousel(texts.VIEW_CIRCULARS_ALT, bubbles, quick)


def events(association_name: str, items: Sequence[EventItem], tz: str, quick: Sequence[Any] | None = None) -> dict:
    """行事・出欠: the open events as their answer cards, each with this household's answer."""
    bubbles = []
    for it in items:
        card = cards.resident_card(association_name, it.event, tz)
        bubbles.append(_status(_bubble(card), texts.VIEW_EVENT_UNANSWERED if it.answer is None else it.answer,
                               ALERT if it.answer is None else DONE, 2))  # under the name
    return _carousel(texts.VIEW_EVENTS_ALT, bubbles, quick)

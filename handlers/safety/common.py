"""Disaster mode's shared parts: its priorities and limits, the safety-check card and its buttons."""
from __future__ import annotations

import datetime as dt
import logging

from handlers.messages import cards
from handlers.messages.drills import mark_drill
from models import Disaster, Role

log = logging.getLogger(__name__)


STARTERS = (Role.chair, Role.disaster_officer)
URGENT = 100  # rescue alerts: the first row the dispatcher claims
DISASTER = 50  # safety checks and re-asks: before everything ordinary
PEOPLE_CHOICES = (1, 2, 3, 4, 5)
COMMENT_WINDOW = dt.timedelta(minutes=30)
MAX_COMMENT = 500
SHORT_ANSWER = 12  # a typed status this short (「大丈夫です」) is only the status, not a 連絡事項 too
MAX_PHOTO = 10 * 1024 * 1024
SAFETY_PAGE = "/admin/safety/"  # 「安否状況」 links it for whoever may open it (models.safety.may_see_safety)


# --- messages (built in handlers/messages/cards.py from plain values) -------------------------
def marked(d: Disaster | None, *messages: dict) -> list[dict]:
    """A drill's messages carry 【訓練】 (every one of them: checks, replies, alerts, lists)."""
    return mark_drill(messages) if d is not None and d.drill else list(messages)


def status_actions(d: Disaster) -> list:
    return cards.status_actions(d.id)


def check_card(d: Disaster, reask: bool = False) -> dict:
    return marked(d, cards.check_card(d.id, d.kind, d.message, reask))[0]


def buttons_card(d: Disaster, body: str) -> dict:
    return marked(d, cards.buttons_card(d.id, d.kind, body))[0]


def counts_text(b) -> str:
    return cards.counts_text(b.counts)

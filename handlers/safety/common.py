"""Disaster mode's shared parts: its priorities and limits, the safety-check card and its buttons."""
from __future__ import annotations

import datetime as dt
import logging


from handlers.messages import builders as msg
from handlers.messages import texts
from models import Disaster, Role
from models.safety import STATUSES

from handlers.messages.codec import pb

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


# --- messages -----------------------------------------------------------------------------
def status_actions(d: Disaster) -> list:
    return [msg.postback(texts.SAFETY_LABELS[s], pb("sf", d=d.id, s=s)) for s in ("safe", "injured", "rescue", "evacuated")]


def check_card(d: Disaster, reask: bool = False) -> dict:
    kind = texts.DISASTER_KINDS[d.kind]
    title = (texts.SAFETY_REASK_TITLE if reask else texts.SAFETY_CHECK_TITLE).format(kind=kind)
    body = texts.SAFETY_REASK_BODY if reask else (d.message + "\n\n" if d.message else "") + texts.SAFETY_CHECK_BODY
    return msg.card(title, body, status_actions(d), quick=status_actions(d) + [msg.location(texts.SAFETY_LOCATION)])


def map_url(lat: float, lng: float) -> str:
    return f"https://maps.google.com/?q={lat:.6f},{lng:.6f}"


def buttons_card(d: Disaster, body: str) -> dict:
    kind = texts.DISASTER_KINDS[d.kind]
    return msg.card(texts.SAFETY_CHECK_TITLE.format(kind=kind), body, status_actions(d),
                    quick=status_actions(d) + [msg.location(texts.SAFETY_LOCATION)])


def counts_text(b) -> str:
    return texts.MARKS_SEPARATOR.join(texts.SAFETY_COUNT.format(label=texts.SAFETY_LABELS[s], n=b.counts[s])
                                      for s in STATUSES)

"""Today's state of a watched resident, and the last 30 days as marks: the same words in the chat
(the 「見守り」 view) and on the watchers' page (bot/web/mimamori_page.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from handlers.messages import dates, texts
from models.mimamori import (
    ANSWERED,
    CONTACT,
    ESCALATED,
    OPEN,
    UNREACHABLE,
    VISITING,
    WAITING,
    MimamoriCheck,
    MimamoriEnrolment,
    local_day,
)

from .common import LABELS

DAYS_SHOWN = 30


def _time(when: Optional[dt.datetime], tz: str) -> str:
    return dates.fmt(when, tz, texts.MM_TIME) if when else ""


def today_words(e: MimamoriEnrolment, c: Optional[MimamoriCheck], now: dt.datetime, tz: str) -> str:
    """「元気（9:12）」, 「お返事待ち」, 「連絡中：班長」, 「連絡がとれました（13:40）」…"""
    if c is None:
        return texts.MM_STATE_NOT_YET if e.checks_on(local_day(now, tz)) else texts.MM_STATE_NO_CHECK
    if c.status == ANSWERED:
        if c.answer == "trouble":
            return texts.MM_STATE_TROUBLE.format(need=texts.MM_NEEDS.get(c.need or "", ""), time=_time(c.answered_at, tz))
        return texts.MM_STATE_FINE.format(time=_time(c.answered_at, tz))
    if c.status == CONTACT:
        return texts.MM_STATE_CONTACT.format(time=_time(c.outcome_at, tz))
    if c.status == VISITING:
        return texts.MM_STATE_VISITING
    if c.status == UNREACHABLE:
        return texts.MM_STATE_UNREACHABLE
    if c.status == ESCALATED:
        return texts.MM_STATE_ESCALATED.format(who=LABELS.get(c.escalated_to or "", ""))
    return texts.MM_STATE_WAITING


def mark(e: MimamoriEnrolment, day: dt.date, c: Optional[MimamoriCheck]) -> str:
    if c is None:
        return texts.MM_MARKS["off" if not e.checks_on(day) else "none"]
    if c.status == ANSWERED:
        return texts.MM_MARKS["trouble" if c.answer == "trouble" else "fine"]
    if c.status == CONTACT:
        return texts.MM_MARKS["contact"]
    return texts.MM_MARKS["none"]


@dataclass(frozen=True)
class Day:
    label: str  # 「12/3」
    mark: str


def marks(e: MimamoriEnrolment, checks: list[MimamoriCheck], today: dt.date) -> list[Day]:
    """The last DAYS_SHOWN days (not before the enrolment), oldest first."""
    by_day = {c.day: c for c in checks}
    first = max(today - dt.timedelta(days=DAYS_SHOWN - 1), min([today] + list(by_day)))
    out = []
    day = first
    while day <= today:
        out.append(Day(texts.MM_DAY.format(month=day.month, day=day.day), mark(e, day, by_day.get(day))))
        day += dt.timedelta(days=1)
    return out


def is_open(c: Optional[MimamoriCheck]) -> bool:
    return c is not None and c.status in OPEN and c.status != WAITING

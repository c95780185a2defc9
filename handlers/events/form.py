"""出欠 (events): reading what an officer types while drafting — a date and time (「12/5 10:00」),
and the one-shot form's lines (「日時 12/5 10:00」「場所 公民館」…)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from handlers.framework.ctx import Ctx
from handlers.messages import texts

DATE = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
TIME = re.compile(r"(\d{1,2})\s*(?::\s*(\d{2})|時\s*(?:(\d{1,2})\s*分|(半))?)")
FORM_LINE = re.compile(rf"^({'|'.join(texts.EV_FORM_KEYS)})\s*[:：]?\s*(.*)$")


# A month/day without a year (「12/5」) means this year's day, unless that day is long past: a day more
# than RECENT_PAST ago (「1/10」 typed in December) means next year's, silently. A day within the last
# RECENT_PAST (「12/1」 typed on 12/2) stays in the past, and the setters say so: the deadline is refused
# with the reason, the event's date is asked about (「来年の12月1日ですか？」). Never a silent move to a
# year the officer did not mean.
RECENT_PAST = dt.timedelta(days=61)  # about two months


def parse_when(text: str, now: dt.datetime, tz: str) -> tuple[dt.datetime, bool] | None:
    """「12/5 10:00」「12月5日 午後2時」「2026-12-05T10:00」 → (aware datetime, whether a time was given)."""
    t = unicodedata.normalize("NFKC", text or "")
    m = DATE.search(t)
    if m is None:
        return None
    tm = TIME.search(t, m.end())
    hour, minute = (int(tm[1]), int(tm[2] or tm[3] or (30 if tm[4] else 0))) if tm else (0, 0)
    if tm and hour < 12 and re.search(r"午後|PM", t, re.I):
        hour += 12
    today = now.astimezone(ZoneInfo(tz)).date()
    year = int(m[1]) if m[1] else today.year
    try:
        at = dt.datetime(year, int(m[2]), int(m[3]), hour, minute, tzinfo=ZoneInfo(tz))
        if not m[1] and at.date() < today - RECENT_PAST:  # 「1/10」 in December: next January
            at = at.replace(year=year + 1)
    except ValueError:
        return None
    return at, tm is not None


def year_given(text: str) -> bool:
    m = DATE.search(unicodedata.normalize("NFKC", text or ""))
    return bool(m and m[1])


def past_day(ctx: Ctx, at: dt.datetime) -> bool:
    """Whether `at` falls on a day before today (in the association's time zone)."""
    tz = ZoneInfo(ctx.settings.timezone)
    return at.astimezone(tz).date() < ctx.now.astimezone(tz).date()

"""Dates and times as people read them: every format in one place (the templates are in texts).

    dates.date(t, tz)        2026年12月2日         (a circular's date)
    dates.month_day(t, tz)   12月2日
    dates.weekday(t, tz)     12月5日(土) 10:00      (an event's time; 2027年1月10日(日) 10:00 in another year)
    dates.short(t, tz)       12月2日 9:00          (a send time, a reminder)
    dates.clock(t, tz, now)  10時05分 today, else 12月2日9時30分
    dates.numeric(t, tz)     2026-12-02 09:00      (pages and CSV: sortable)
    dates.numeric_short(t, tz) 12/02 09:00         (the live safety table)
    dates.iso_date(t, tz)    2026-12-02            (LINE's date picker: its limits)
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from models import utcnow

from . import texts


def local(when: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
    return when.astimezone(tz if isinstance(tz, dt.tzinfo) else ZoneInfo(tz))


def fmt(when: dt.datetime, tz: str, template: str) -> str:
    d = local(when, tz)
    return template.format(year=d.year, month=d.month, day=d.day, hour=d.hour, minute=d.minute,
                           weekday=texts.WEEKDAYS[d.weekday()])


def date(when: dt.datetime, tz: str) -> str:
    return fmt(when, tz, texts.DATE_FULL)


def month_day(when: dt.datetime, tz: str) -> str:
    return fmt(when, tz, texts.DATE_MONTH_DAY)


def weekday(when: dt.datetime, tz: str, now: dt.datetime | None = None) -> str:
    """With the year when it falls in another year than `now` (default: the present)."""
    other_year = local(when, tz).year != local(now or utcnow(), tz).year
    return fmt(when, tz, texts.DATETIME_WEEKDAY_YEAR if other_year else texts.DATETIME_WEEKDAY)


def short(when: dt.datetime, tz: str) -> str:
    return fmt(when, tz, texts.DATETIME_SHORT)


def clock(when: dt.datetime, tz: str, now: dt.datetime) -> str:
    same_day = local(when, tz).date() == local(now, tz).date()
    return fmt(when, tz, texts.CLOCK_TODAY if same_day else texts.CLOCK_OTHER_DAY)


def numeric(when: dt.datetime | None, tz: str) -> str:
    return fmt(when, tz, texts.DATETIME_NUMERIC) if when else ""


def numeric_short(when: dt.datetime | None, tz: str) -> str:
    return fmt(when, tz, texts.DATETIME_NUMERIC_SHORT) if when else ""


def iso_date(when: dt.datetime, tz: str | dt.tzinfo) -> str:
    """The local day as LINE's datetime picker takes it (its `min`/`max`): not for people to read."""
    return local(when, tz).date().isoformat()


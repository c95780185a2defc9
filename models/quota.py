"""The monthly message quota as every process sees it: one figure per channel in the database.

LINE's own consumption figure is read at most every TTL (or at once when a send needs it fresh),
stored in `line_quota` with the time it was read, and what kairan itself sent or queued since
then is added from the outbox. So a preview in one gunicorn worker and the [送信] in another, and
the dispatcher in the scheduler process, all decide on the same number.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import LineQuota, OutboxMessage
from models.tenancy import quota_key

log = logging.getLogger(__name__)
CHANNEL = quota_key(None)  # the environment's channel; a channel row's key is quota_key(channel.id)
TTL = dt.timedelta(seconds=60)
FRESH = dt.timedelta(0)  # ask LINE again whatever the stored figure's age


@dataclass(frozen=True)
class Figure:
    limit: int | None  # None: no monthly cap
    line_usage: int  # LINE's consumption figure at read_at
    read_at: dt.datetime
    sent_since: int  # messages kairan sent since read_at (not yet in LINE's figure)
    queued: int  # messages waiting in the outbox (pending or being sent)

    @property
    def used(self) -> int:
        """What this month has used, counting what kairan has already queued."""
        return self.line_usage + self.sent_since + self.queued

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def remaining_now(self) -> int | None:
        """Left before the next send, not counting the queue (the dispatcher's view)."""
        return None if self.limit is None else max(0, self.limit - self.line_usage - self.sent_since)


def _recipients():
    return func.coalesce(func.sum(func.json_array_length(OutboxMessage.recipients)), 0)


def _same_month(a: dt.datetime, b: dt.datetime, tz: str) -> bool:
    za, zb = a.astimezone(ZoneInfo(tz)), b.astimezone(ZoneInfo(tz))
    return (za.year, za.month) == (zb.year, zb.month)


def is_fresh(row: LineQuota | None, now: dt.datetime, max_age: dt.timedelta, tz: str = "Asia/Tokyo") -> bool:
    """Young enough, and of this month (LINE's quota resets on the 1st, Japan time)."""
    return (row is not None and now - row.read_at <= max_age and now >= row.read_at
            and _same_month(row.read_at, now, tz))


def store(session: Session, limit: int | None, usage: int, now: dt.datetime,
          association_id: int | None = None, channel: str = CHANNEL) -> None:
    """Write LINE's figure (update, or insert the first time; a concurrent insert wins)."""
    done = session.execute(update(LineQuota).where(LineQuota.channel == channel)
                           .values(monthly_limit=limit, usage=usage, read_at=now)).rowcount
    if done:
        return
    try:
        with session.begin_nested():
            session.add(LineQuota(channel=channel, association_id=association_id, monthly_limit=limit,
                                  usage=usage, read_at=now))
    except IntegrityError:  # another process stored it first: ours is as new, write it over
        session.execute(update(LineQuota).where(LineQuota.channel == channel)
                        .values(monthly_limit=limit, usage=usage, read_at=now))


def refresh(session: Session, line, now: dt.datetime, association_id: int | None = None,
            channel: str = CHANNEL) -> bool:
    """Ask LINE now and store the answer. False when LINE did not answer (the old figure stays)."""
    limit, usage = line.quota() if line is not None else (None, None)
    if usage is None:
        return False
    store(session, limit, usage, now, association_id, channel)
    return True


def figure(session: Session, line, now: dt.datetime, max_age: dt.timedelta = TTL,
           association_id: int | None = None, tz: str = "Asia/Tokyo", channel: str = CHANNEL) -> Figure | None:
    """The shared figure, asking LINE first when the stored one is older than `max_age`.
    None when LINE was never reached (then nobody can tell, and nothing is refused for it)."""
    row = session.get(LineQuota, channel)
    if not is_fresh(row, now, max_age, tz) and refresh(session, line, now, association_id, channel):
        row = session.get(LineQuota, channel, populate_existing=True)
    if row is None:
        return None
    if not _same_month(row.read_at, now, tz):
        return None  # last month's figure says nothing about this month, and LINE does not answer
    return stored_figure(session, row)


def _channel_of(key: str):
    """The outbox rows of the channel whose quota row has this key."""
    if key == CHANNEL:
        return OutboxMessage.channel_id.is_(None)
    return OutboxMessage.channel_id == int(key.removeprefix("channel:"))


def stored_figure(session: Session, row: LineQuota) -> Figure:
    mine = _channel_of(row.channel)
    mine = mine & (OutboxMessage.kind != "richmenu")  # rich-menu links (models/richmenus.py) are not messages
    sent_since = session.scalar(select(_recipients()).where(
        mine, OutboxMessage.status == "sent", OutboxMessage.sent_at >= row.read_at))
    queued = session.scalar(select(_recipients()).where(mine, OutboxMessage.status.in_(("pending", "sending"))))
    return Figure(row.monthly_limit, row.usage, row.read_at, int(sent_since or 0), int(queued or 0))

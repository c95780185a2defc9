"""Outbox dispatcher: the only road out for pushes and multicasts.

Rows are claimed (SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises claims on SQLite), sent
with their own `X-Line-Retry-Key`, and marked. A crash after LINE accepted but before the mark
leaves the row `sending` with an expiring lease; the next claim resends it with the same key and
LINE's 409 ("already accepted") marks it sent. Nothing is dropped: a row ends `sent`, `failed`
(with LINE's error, shown to officers) or `held` (monthly quota reached).
"""
from __future__ import annotations

import datetime as dt
import logging
import random
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from models import Database, OutboxMessage, utcnow

from .line import LineClient, SendResult

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=120)
URGENT_PRIORITY = 50  # disaster-mode rows (safety checks, re-asks, rescue alerts) and above
KEY_LIFETIME = dt.timedelta(hours=23)  # LINE keeps a retry key 24 h; stay inside it
MAX_BACKOFF = 600.0


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds until the next try: exponential with full jitter, or LINE's Retry-After."""
    if retry_after:
        return retry_after
    cap = min(MAX_BACKOFF, 2.0 ** attempts)
    return cap / 2 + random.uniform(0, cap / 2)


def next_month_start(now: dt.datetime, tz: str = "Asia/Tokyo") -> dt.datetime:
    """When LINE's monthly quota resets (the 1st, Japan time): held rows are tried again then."""
    local = now.astimezone(ZoneInfo(tz))
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return dt.datetime(year, month, 1, 0, 5, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def due_filter(now: dt.datetime):
    return or_((OutboxMessage.status.in_(("pending", "held"))) & (OutboxMessage.next_attempt_at <= now),
               (OutboxMessage.status == "sending") & (OutboxMessage.locked_until < now))


def claim(db: Database, limit: int = 20, now: dt.datetime | None = None) -> list[OutboxMessage]:
    now = now or utcnow()
    with db.session() as s:
        q = (
            select(OutboxMessage)
            .where(due_filter(now))
            .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(s.scalars(q))
        for r in rows:
            r.status, r.locked_until, r.attempts = "sending", now + LEASE, r.attempts + 1
        return rows


def _send(line: LineClient, row: OutboxMessage) -> SendResult:
    if row.kind == "push":
        return line.push(row.recipients[0], row.messages, row.retry_key)
    return line.multicast(row.recipients, row.messages, row.retry_key)


def settle(db: Database, row_id: int, result: SendResult, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        row.last_status = result.status
        row.locked_until = None
        if result.ok or result.already_accepted:
            row.status, row.sent_at, row.request_id = "sent", now, result.request_id
            row.last_error = None
        elif result.monthly_limit and row.priority >= URGENT_PRIORITY:
            # a safety check or rescue alert delivered next month is worse than useless: fail it
            # now, visibly (「状況」), so officers phone or knock instead
            row.status, row.last_error = "failed", result.error
            log.error("outbox %s failed: monthly message limit reached for an urgent message", row.id)
        elif result.monthly_limit:
            # not retried now: held until the quota resets; 「状況」 tells the officers
            row.status, row.last_error, row.next_attempt_at = "held", result.error, next_month_start(now)
            log.error("outbox %s held: monthly message limit reached", row.id)
        elif result.retryable and now - row.created_at < KEY_LIFETIME:
            row.status = "pending"
            row.next_attempt_at = now + dt.timedelta(seconds=backoff(row.attempts, result.retry_after))
            row.last_error = result.error
        else:
            row.status, row.last_error = "failed", result.error or "retry window passed"
            log.error("outbox %s failed: HTTP %s", row.id, result.status)
        return row.status


def dispatch_once(db: Database, line: LineClient, limit: int = 20) -> int:
    """Send what is due now. Returns how many rows ended sent."""
    sent = 0
    for row in claim(db, limit):
        status = settle(db, row.id, _send(line, row))
        sent += status == "sent"
    return sent


def drain(db: Database, line: LineClient, rounds: int = 50) -> int:
    """Dispatch until nothing is due (tests, the simulator's "send now")."""
    total = 0
    for _ in range(rounds):
        with db.session() as s:
            if s.scalar(select(OutboxMessage.id).where(due_filter(utcnow())).limit(1)) is None:
                break
        total += dispatch_once(db, line, limit=100)
    return total

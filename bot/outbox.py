"""Outbox dispatcher: the only road out for pushes and multicasts.

Rows are claimed one at a time (SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises claims on
SQLite), highest priority first, sent with their own `X-Line-Retry-Key`, and marked. A row's lease
is just above the LINE client's own timeout for that send, so a crash after LINE accepted but
before the mark leaves one row `sending` for seconds; the next claim resends it with the same key
and LINE's 409 ("already accepted") marks it sent. A graceful stop (SIGTERM) finishes the send in
flight and claims nothing more. Nothing is dropped: a row ends `sent`, `failed` (with LINE's error,
shown to officers) or `held` (monthly quota reached, or only the reserve for urgent rows is left).

Each row leaves through its own channel's LINE client (`row.channel_id`: its token, its rate
limiter; None: the environment's channel), and the quota is that channel's: the reserve decides
on the channel's own figure, and a channel at its monthly limit holds its own ordinary rows at
once (no call to LINE for each), so one channel's held quota never delays another channel's rows.
A row whose channel is gone (deleted, or its secret unreadable) fails with that said.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from bot.line.client import LineClient, SendResult
from bot.richmenus import send_relink
from models import Database, LineQuota, OutboxMessage, quota, utcnow
from models.richmenus import KIND as RICHMENU_KIND
from models.tenancy import quota_key

log = logging.getLogger(__name__)
LEASE_MARGIN = dt.timedelta(seconds=3)  # above the client's own timeout: DB round trips, pacing
LEASE = dt.timedelta(seconds=3 + 10) + LEASE_MARGIN  # with the default 10-s timeout, for callers without a client
URGENT_PRIORITY = 50  # disaster-mode rows (safety checks, re-asks, rescue alerts) and above
KEY_LIFETIME = dt.timedelta(hours=23)  # LINE keeps a retry key 24 h; stay inside it
MAX_BACKOFF = 600.0
RESERVE_RECHECK = dt.timedelta(hours=1)  # rows held for the urgent reserve look again this often
HELD_FOR_RESERVE = "kairan held: only the monthly quota kept for urgent messages is left"
CHANNEL_GONE = "kairan: channel {id} no longer exists (deleted, or its secret cannot be decrypted)"
RESERVE_LOOK = dt.timedelta(seconds=5)  # how often the reserve looks which channels' figures are stale
RESERVE_CHANNELS = 200  # channels with ordinary rows due whose figure one look may refresh


def client_for(line, channel_id: int | None):
    """The LINE client a row of that channel leaves through: the one given for the environment's
    channel (when the environment names one), else that channel's from the process's clients
    (`line.clients`); a client without them (a test's own) serves the environment's channel only."""
    if channel_id is None:
        return line if getattr(getattr(line, "settings", None), "env_channel", True) else None
    clients = getattr(line, "clients", None)
    return clients.get(channel_id) if clients is not None else None


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


def previous_timeouts(row: OutboxMessage) -> int:
    """Attempts before the current one that got no answer at all (timeouts): each doubles the
    read timeout of the next, so a LINE slower than our timeout still gets to answer the 409."""
    return row.attempts - 1 if row.attempts > 1 and row.last_status is None else 0


def lease_for(line: LineClient | None, row: OutboxMessage) -> dt.timedelta:
    """Just above the longest this send can take before the LINE client gives up."""
    if line is None or not hasattr(line, "call_seconds"):
        return LEASE
    return dt.timedelta(seconds=line.call_seconds(previous_timeouts(row))) + LEASE_MARGIN


def claim(db: Database, limit: int = 1, now: dt.datetime | None = None,
          line: LineClient | None = None) -> list[OutboxMessage]:
    """Take the highest-priority due rows (rows another process holds are skipped, not waited for)."""
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
            r.status, r.attempts = "sending", r.attempts + 1
            r.locked_until = now + lease_for(line, r)
        return rows


def release(db: Database, row: OutboxMessage) -> bool:
    """Give a claimed row back untouched (a stop between claim and send): pending again at once."""
    with db.session() as s:
        return bool(s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == "sending",
                   OutboxMessage.locked_until == row.locked_until)
            .values(status="pending", locked_until=None, attempts=OutboxMessage.attempts - 1)
        ).rowcount)


def _send(line: LineClient, row: OutboxMessage, db: Database | None = None) -> SendResult:
    kw = {"read_timeout": line.read_timeout(previous_timeouts(row))} if hasattr(line, "read_timeout") else {}
    if row.kind == RICHMENU_KIND:  # a relink (models/richmenus.py): the menus decided now, from the database
        return send_relink(db, line, row, **kw)
    if row.kind == "push":
        return line.push(row.recipients[0], row.messages, row.retry_key, **kw)
    return line.multicast(row.recipients, row.messages, row.retry_key, **kw)


def settle(db: Database, row_id: int, result: SendResult, now: dt.datetime | None = None,
           lease: dt.datetime | None = None, final: bool = False) -> str:
    """Record how the send went. `final`: failed whatever the result says (nothing to retry with)."""
    now = now or utcnow()
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        if lease is not None and (row.status != "sending" or row.locked_until != lease):
            # our lease ran out and another dispatcher took the row over: only news of a
            # delivery is ours to write; a failure is for the process that holds it now
            log.warning("outbox %s: lease lost while sending", row.id)
            if (result.ok or result.already_accepted) and row.status != "sent":
                row.status, row.sent_at, row.request_id, row.locked_until = "sent", now, result.request_id, None
            return row.status
        row.last_status = result.status
        row.locked_until = None
        if result.ok or result.already_accepted:
            row.status, row.sent_at, row.request_id = "sent", now, result.request_id
            row.last_error = None
        elif final:
            row.status, row.last_error = "failed", result.error
            log.error("outbox %s failed: %s", row.id, result.error)
        elif result.monthly_limit and row.priority >= URGENT_PRIORITY:
            # a safety check or rescue alert delivered next month is worse than useless: fail it
            # now, visibly (「状況」), so officers phone or knock instead
            row.status, row.last_error = "failed", result.error
            log.error("outbox %s failed: monthly message limit reached for an urgent message", row.id)
        elif result.monthly_limit:
            # not retried now: held until the quota resets; 「状況」 tells the officers. The
            # channel's other ordinary rows due now would get the same answer: held with it
            row.status, row.last_error, row.next_attempt_at = "held", result.error, next_month_start(now)
            same_channel = (OutboxMessage.channel_id.is_(None) if row.channel_id is None
                            else OutboxMessage.channel_id == row.channel_id)
            others = s.execute(update(OutboxMessage).where(
                same_channel, OutboxMessage.id != row.id, OutboxMessage.status == "pending",
                OutboxMessage.priority < URGENT_PRIORITY, OutboxMessage.next_attempt_at <= now)
                .values(status="held", last_error=result.error, next_attempt_at=next_month_start(now))
                .execution_options(synchronize_session=False)).rowcount
            log.error("outbox %s held: monthly message limit reached (channel %s; %d more of its rows held)",
                      row.id, row.channel_id, others)
        elif result.retryable and now - row.created_at < KEY_LIFETIME:
            row.status = "pending"
            row.next_attempt_at = now + dt.timedelta(seconds=backoff(row.attempts, result.retry_after))
            row.last_error = result.error
        else:
            row.status, row.last_error = "failed", result.error or "retry window passed"
            log.error("outbox %s failed: HTTP %s", row.id, result.status)
        return row.status


class Reserve:
    """Keeps `settings.urgent_quota_reserve` messages of the month for urgent rows: an ordinary row
    waits (held) rather than leave less than that on its channel. Decides on the figure every
    process shares, one per channel (models/quota.py, `quota_key`)."""

    def __init__(self, db: Database, line: LineClient):
        settings = getattr(line, "settings", None)
        self.db, self.line = db, line
        self.amount = getattr(settings, "urgent_quota_reserve", 0) or 0
        self.tz = getattr(settings, "timezone", "Asia/Tokyo")
        self.next_look: dt.datetime | None = None
        self.asked: dict[int | None, dt.datetime] = {}  # channel -> asked LINE until (also when it did not answer)

    def refresh_if_stale(self, now: dt.datetime) -> None:
        """Before a claim (never while holding one): for each channel with an ordinary row due
        whose shared figure is too old, ask LINE through that channel's client. The HTTP calls
        are made outside any transaction; channels with only urgent rows due are not asked."""
        if self.amount <= 0 or (self.next_look is not None and now < self.next_look):
            return
        self.next_look = now + RESERVE_LOOK
        with self.db.session() as s:
            channels = list(s.scalars(select(OutboxMessage.channel_id).where(
                due_filter(now), OutboxMessage.priority < URGENT_PRIORITY).distinct().limit(RESERVE_CHANNELS)))
            if not channels:
                return
            rows = {r.channel: r for r in s.scalars(select(LineQuota).where(
                LineQuota.channel.in_([quota_key(c) for c in channels])))}
            stale = []
            for c in channels:
                row = rows.get(quota_key(c))
                if not quota.is_fresh(row, now, quota.TTL, self.tz) and now >= self.asked.get(c, now):
                    stale.append((c, row.association_id if row else None))
        for channel_id, association_id in stale:
            client = client_for(self.line, channel_id)
            if client is None:
                continue  # the channel is gone: its rows fail when claimed
            limit, usage = client.quota()
            self.asked[channel_id] = now + quota.TTL  # also when LINE did not answer: not again at every look
            if usage is not None:
                with self.db.session() as s:
                    quota.store(s, limit, usage, now, association_id, channel=quota_key(channel_id))

    def allows(self, row: OutboxMessage, now: dt.datetime) -> bool:
        if self.amount <= 0 or row.priority >= URGENT_PRIORITY or row.kind == RICHMENU_KIND:
            return True  # (a rich-menu link is not a message: no quota)
        with self.db.session() as s:
            fig = quota.figure(s, None, now, max_age=dt.timedelta.max, tz=self.tz, channel=quota_key(row.channel_id))
        if fig is None or fig.remaining_now is None:
            return True  # unknown or unlimited: LINE decides
        return fig.remaining_now - len(row.recipients) >= self.amount

    def hold(self, row: OutboxMessage, now: dt.datetime) -> None:
        with self.db.session() as s:
            s.execute(update(OutboxMessage)
                      .where(OutboxMessage.id == row.id, OutboxMessage.locked_until == row.locked_until)
                      .values(status="held", locked_until=None, attempts=OutboxMessage.attempts - 1,
                              last_error=HELD_FOR_RESERVE,
                              next_attempt_at=min(now + RESERVE_RECHECK, next_month_start(now, self.tz))))
        log.warning("outbox %s held: only the reserve for urgent messages is left this month (channel %s)",
                    row.id, row.channel_id)


def dispatch_once(db: Database, line: LineClient, limit: int = 20, stop: threading.Event | None = None) -> int:
    """Send what is due now, one row per claim (so each send starts with the most urgent row due,
    and a crash strands one row for one lease). Returns how many rows ended sent. With `stop` set
    (SIGTERM), the send in flight finishes and settles; nothing more is claimed."""
    sent = 0
    reserve = Reserve(db, line)
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        reserve.refresh_if_stale(utcnow())
        rows = claim(db, 1, line=line)
        if not rows:
            break
        row = rows[0]
        if stop is not None and stop.is_set():
            release(db, row)
            break
        client = client_for(line, row.channel_id)
        if client is None:
            status = settle(db, row.id, SendResult(ok=False, status=None, error=CHANNEL_GONE.format(id=row.channel_id)),
                            lease=row.locked_until, final=True)
            continue
        if not reserve.allows(row, utcnow()):
            reserve.hold(row, utcnow())
            continue
        status = settle(db, row.id, _send(client, row, db), lease=row.locked_until)
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

"""Webhook inbox: check and store each event once, answer LINE, then handle it; a sweep retries leftovers.

Lifecycle of a row: received → processing (leased) → done (payload and sender erased) or back to
received after an error (failed after MAX_ATTEMPTS, for a person to look at).

Only events that can be handled are stored: every field is checked first (`check_event`), a bad
event is skipped alone. One user's events are handled one at a time, in the order of LINE's
timestamp, then arrival: an event is claimed only when its sender has no earlier event waiting
for its first attempt or being handled, and whoever finishes one goes on to that user's next
(`Processor.handle`). An event that failed does not hold up the later ones: the sweep retries it.
Different users' events are handled side by side.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import threading
from collections import OrderedDict
from typing import Any

from linebot.v3.webhooks import Event
from sqlalchemy import bindparam, or_, select, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.config import Settings
from bot.outbox import URGENT_PRIORITY
from bot.web.signin import Links
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import texts
from models import Database, WebhookEvent, quota, utcnow
from models.messaging import enqueue
from models.roster import current_association
from models.tenancy import ChannelRef, quota_key, resolve

log = logging.getLogger(__name__)
HANDLED_TYPES = {"follow", "unfollow", "message", "postback"}
HANDLED_CLASSES = {"FollowEvent", "UnfollowEvent", "MessageEvent", "PostbackEvent"}
LEASE = dt.timedelta(seconds=60)
REPLY_WINDOW = dt.timedelta(seconds=50)  # reply tokens last about a minute; after that, push
SWEEP_AFTER = dt.timedelta(seconds=15)
MAX_ATTEMPTS = 5


class MalformedWebhook(ValueError):
    """The body as a whole is unusable: answered 400."""


class MalformedEvent(ValueError):
    """One event of a signed body is unusable: skipped, the others are kept."""


class UnparsedEvent(MalformedEvent):
    """Well-formed, but the SDK cannot read it (say a field value newer than our SDK): skipped,
    and not held against the body (LINE did send it)."""


class ChannelGone(RuntimeError):
    """The event's channel was deleted (or its secret can no longer be decrypted): failed at once."""


class LeaseLost(RuntimeError):
    """Handling took longer than the lease: roll back, the process that took over applies it."""


# LINE's ids: webhookEventId is a ULID (26 characters; we allow up to the column's 40), a user
# id is U + 32 hex digits. Anything else was never sent by LINE and would not fit our columns.
EVENT_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")
USER_ID = re.compile(r"U[0-9a-f]{32}")
MAX_DEPTH = 16  # LINE's events nest about 6 deep (a mention in a text); deeper is an attack
MAX_INT = 2**63 - 1  # what a BIGINT column takes
SURROGATE = re.compile(r"[\ud800-\udfff]")  # a lone "\ud800" in JSON: UTF-8 cannot encode it


class ParsedEvents:
    """The SDK's model of each event checked by this process, kept for its handling on this
    process's pool (no second parse of the stored JSON); bounded, the oldest go first. A miss
    (the sweep, another process, an event evicted) parses the stored payload as before."""

    def __init__(self, size: int = 4096):
        self.size, self._lock, self._events = size, threading.Lock(), OrderedDict()

    def put(self, event_id: str, event: Event) -> None:
        with self._lock:
            self._events[event_id] = event
            while len(self._events) > self.size:
                self._events.popitem(last=False)

    def pop(self, event_id: str) -> Event | None:
        with self._lock:
            return self._events.pop(event_id, None)


PARSED = ParsedEvents()
_UNREAD = object()  # Processor: the next event of that user was not read in the handling transaction
_NOT_CLAIMED = object()  # Processor: someone else has the event, or an earlier one of its user waits


def _clean(value: Any, depth: int = 0) -> Any:
    """A copy with NUL removed from every string (PostgreSQL refuses U+0000 in text) and lone
    surrogates replaced; refuses nesting deeper than LINE's and numbers no column could take."""
    if depth > MAX_DEPTH:
        raise MalformedEvent("nested too deep")
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k, depth): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise MalformedEvent("number out of range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MalformedEvent("NaN or infinity")
        return value
    raise MalformedEvent(f"unexpected {type(value).__name__}")


def check_event(raw: Any) -> dict | None:
    """The event cleaned and checked field by field; None for an event we do not handle (a type
    we have no handler for, standby, a group chat). Raises MalformedEvent for one LINE would never
    send: stored, it could only fail its retries and hold up that user's later events."""
    if not isinstance(raw, dict):
        raise MalformedEvent("event is not an object")
    event_id = raw.get("webhookEventId")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise MalformedEvent("bad webhookEventId")
    etype = raw.get("type")
    if not isinstance(etype, str):
        raise MalformedEvent("bad type")
    if etype not in HANDLED_TYPES:
        log.debug("ignoring event type %s", etype[:30])
        return None
    raw = _clean(raw)
    if raw.get("mode") == "standby":
        return None
    source = raw.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("type"), str):
        raise MalformedEvent("bad source")
    if source["type"] != "user":
        log.debug("ignoring %s event (not a 1:1 chat)", etype)
        return None
    user = source.get("userId")
    if not isinstance(user, str) or not USER_ID.fullmatch(user):
        raise MalformedEvent("bad source.userId")
    ts = raw.get("timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts < 2**53:
        raise MalformedEvent("bad timestamp")
    token = raw.get("replyToken")
    if token is not None and not (isinstance(token, str) and 0 < len(token) <= 255):
        raise MalformedEvent("bad replyToken")
    try:
        event = Event.from_dict(raw)
    except ValueError as e:  # pydantic's ValidationError: a value it does not know (newer than our SDK?)
        raise UnparsedEvent(f"the SDK cannot parse a {etype} event ({type(e).__name__})") from None
    except Exception as e:  # noqa: BLE001 - KeyError, TypeError …: a part LINE always sends is missing
        raise MalformedEvent(f"the SDK cannot parse a {etype} event ({type(e).__name__})") from None
    if type(event).__name__ not in HANDLED_CLASSES:
        raise MalformedEvent("parsed as another event class")
    PARSED.put(event_id, event)  # for its handling here (store() drops it again for a redelivery)
    return raw


def parse_body(body: bytes, payload: Any = None) -> list[dict]:
    """The events worth storing, each checked. Raises MalformedWebhook for a body that is not a
    JSON object with an events list, or whose every event is malformed; a malformed event among
    good ones is skipped alone. `payload`: the body already parsed (bot/webhook.py read its
    destination)."""
    if payload is None:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise MalformedWebhook("body is not JSON") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedWebhook("no events list")
    keep, bad = [], 0
    for raw in payload["events"]:
        try:
            event = check_event(raw)
        except UnparsedEvent as e:
            log.warning("skipping a webhook event: %s", e)
            continue
        except MalformedEvent as e:
            bad += 1
            log.warning("skipping a malformed webhook event: %s", e)
            continue
        except RecursionError:
            bad += 1
            log.warning("skipping a malformed webhook event: nested too deep")
            continue
        if event is not None:
            keep.append(event)
    if bad and bad == len(payload["events"]):
        raise MalformedWebhook(f"all {bad} event(s) malformed")
    return keep


_STATEMENTS: dict[tuple[str, str], Any] = {}  # built once per dialect: building one costs more than running it


def _store_statement(db: Database):
    key = ("store", db.engine.dialect.name)
    if key not in _STATEMENTS:
        t = WebhookEvent.__table__
        ins = pg_insert if key[1] == "postgresql" else sqlite_insert
        _STATEMENTS[key] = ins(t).on_conflict_do_nothing(index_elements=["id"]).returning(t.c.id)
    return _STATEMENTS[key]


def store(db: Database, events: list[dict], channel_id: int | None = None) -> list[str]:
    """Insert events not seen before; returns the ids that are new (a redelivery adds nothing).

    The events of one body get increasing `received_at` (a microsecond apart): their arrival order.
    `channel_id`: the channel they came in on (None: the environment's).
    """
    if not events:
        return []
    now = utcnow()
    rows = [{"id": e["webhookEventId"], "received_at": now + dt.timedelta(microseconds=i), "event_type": e["type"],
             "payload": json.dumps(e, ensure_ascii=False), "status": "received", "attempts": 0,
             "user_id": e["source"]["userId"], "event_ts": e["timestamp"], "channel_id": channel_id}
            for i, e in enumerate(events)]
    # one INSERT … ON CONFLICT DO NOTHING RETURNING id for the whole body (SQLAlchemy's
    # insertmanyvalues): the ids it returns are the new ones, a redelivery returns none
    for attempt in (1, 2):
        try:
            with db.one_statement() as conn:  # PostgreSQL: autocommit, one round trip
                new_set = set(conn.execute(_store_statement(db), rows).scalars())
            break
        except DBAPIError as e:
            # a connection the server dropped (a restart, a fail-over) while it sat in the pool
            # less than models.db.PING_AFTER: SQLAlchemy has invalidated the pool, so the insert
            # goes again on a fresh connection rather than answering LINE 500 (redelivery may be
            # off). Idempotent: an insert that did commit before the drop returns no new id now,
            # and the sweep handles that event.
            if attempt == 2 or not e.connection_invalidated:
                raise
            log.warning("inbox insert met a dropped database connection: retried on a new one")
    new = [r["id"] for r in rows if r["id"] in new_set]
    for r in rows:
        if r["id"] not in new_set:  # a redelivery: the stored event is handled, parsed from its row
            PARSED.pop(r["id"])
    if len(new) < len(rows):
        log.info("ignored %d duplicate webhook event(s)", len(rows) - len(new))
    return new


def _order(t):
    """A user's events are handled by LINE's timestamp, then by arrival."""
    return tuple_(t.c.event_ts, t.c.received_at, t.c.id)


def _blocking(t, now: dt.datetime):
    """Rows that hold up their user's later events: waiting for their first attempt, or being
    handled under a live lease. A row that failed and waits for the sweep's retry does not (nor
    one whose handler died, once its lease ran out): a resident whose one event failed is not
    left unheard for minutes, even if that event is then applied after the later ones."""
    return (((t.c.status == "received") & (t.c.attempts == 0))
            | ((t.c.status == "processing") & (t.c.locked_until >= now)))


def _claim_statement():
    """UPDATE … RETURNING the claimed row's payload, channel and arrival (no second read)."""
    if "claim" not in _STATEMENTS:
        t = WebhookEvent.__table__
        prior = t.alias("prior")
        now = bindparam("now", type_=t.c.locked_until.type)
        earlier = (select(prior.c.id)
                   .where(prior.c.user_id == t.c.user_id, _blocking(prior, now), _order(prior) < _order(t))
                   .exists())
        _STATEMENTS["claim"] = (
            update(t)
            .where(t.c.id == bindparam("event_id"))
            .where(or_(t.c.status == "received", (t.c.status == "processing") & (t.c.locked_until < now)))
            .where(~earlier)
            .values(status="processing", locked_until=bindparam("lease", type_=t.c.locked_until.type),
                    attempts=t.c.attempts + 1)
            .returning(t.c.payload, t.c.channel_id, t.c.received_at))
    return _STATEMENTS["claim"]


def _claim_row(db: Database, event_id: str, now: dt.datetime):
    """Lease the event for LEASE; returns (lease's end, payload, channel id, received_at), or None
    if someone else has it or the same user has an earlier event not yet handled (whoever handles
    that one goes on to this)."""
    lease = now + LEASE
    with db.engine.begin() as conn:
        row = conn.execute(_claim_statement(), {"event_id": event_id, "now": now, "lease": lease}).first()
    return None if row is None else (lease, *row)


def _claim(db: Database, event_id: str, now: dt.datetime) -> dt.datetime | None:
    """Lease the event for LEASE; returns the lease's end, or None (see _claim_row)."""
    claimed = _claim_row(db, event_id, now)
    return claimed[0] if claimed else None


def _next_statement():
    if "next" not in _STATEMENTS:
        t = WebhookEvent.__table__
        _STATEMENTS["next"] = (select(t.c.id).where(t.c.user_id == bindparam("user_id"), t.c.status == "received",
                                                    t.c.attempts == 0)
                               .order_by(*_order(t)).limit(1))
    return _STATEMENTS["next"]


def _next_for_user(db: Database, user_id: str) -> str | None:
    """That user's earliest event waiting for its first attempt, if any (one that failed waits
    for the sweep: retried at once it would likely fail again)."""
    # on SQLite a plain BEGIN (models/db.py): a snapshot, no write lock; PostgreSQL: autocommit
    with db.one_statement(read_only=True) as conn:
        return conn.execute(_next_statement(), {"user_id": user_id}).scalar()


# Replies that must reach the person even at the cost of saying it twice: when LINE's answer to
# the reply did not come (it may or may not have been delivered), they are pushed as well.
MUST_ARRIVE = (texts.RESCUE_TOLD,)  # the 119 instruction to a resident who asked for rescue


def must_arrive(replies: list[dict]) -> bool:
    return any(m.get("type") == "text" and any(t in (m.get("text") or "") for t in MUST_ARRIVE) for m in replies)


def _done_statement():
    if "done" not in _STATEMENTS:
        t = WebhookEvent.__table__
        _STATEMENTS["done"] = (update(t).where(t.c.id == bindparam("event_id"),
                                               t.c.locked_until == bindparam("lease", type_=t.c.locked_until.type))
                               .values(status="done", payload=None, processed_at=bindparam("processed_at", type_=t.c.processed_at.type),
                                       locked_until=None, user_id=None))
    return _STATEMENTS["done"]


DB_SLOTS = {"sqlite": 4, "postgresql": 8}  # handling transactions at once per process, by database


def db_slots(settings: Settings, db: Database) -> int:
    """KAIRAN_INBOX_DB_SLOTS, or the database's default (DB_SLOTS)."""
    if settings.inbox_db_slots > 0:
        return settings.inbox_db_slots
    return DB_SLOTS.get(db.engine.dialect.name, 4)


class Processor:
    """Handles stored events: one transaction per event, replies sent after the commit.

    Nothing in a handling transaction waits on LINE: replies go out after the commit, and a
    postback that decides on the quota ([送信], a Button with `needs_quota=True`, or `router.postback(..., needs_quota=True)`) gets the
    shared quota figure refreshed from LINE after its claim and before its transaction opens."""

    def __init__(self, db: Database, settings: Settings, line, channels=None):
        self.db, self.settings, self.line = db, settings, line
        # the channels (bot/channels.py Directory) and each channel's LINE client (`line.clients`);
        # without them (a Processor built by hand) only the environment's channel is served
        self.channels = channels
        self.clients = getattr(line, "clients", None)
        self.links = Links(settings)  # signed links to the web pages, for handlers (ports.Links)
        # handling threads mostly wait on LINE; only this many hold a transaction at once, so
        # the request threads' inserts are not queued behind dozens of writers (SQLite has one)
        self.slots = threading.BoundedSemaphore(db_slots(settings, db))
        # replies wait on a short timeout (a reply token lasts about a minute, and a handling
        # thread held by a slow LINE is capacity lost); past it the answer goes out as a push.
        # Passed per call: one LINE client (one connection pool, one rate limiter) per process.
        self.reply_timeout = (settings.reply_timeout_seconds
                              if settings.reply_timeout_seconds < settings.line_timeout_seconds else None)

    def handle(self, event_id: str, chain: int = 100) -> int:
        """Handle the event, then that user's later events waiting behind it, in order (the
        claim refused them while this one was unhandled). Returns the number handled. An event
        that fails is left for the sweep's retry, and the chain goes on to the next."""
        handled = 0
        for _ in range(chain):
            outcome, user_id, following = self._process(event_id)
            if outcome is None:
                break  # not ours to handle (someone else has it, or an earlier event waits)
            handled += outcome
            if not user_id:
                break
            event_id = _next_for_user(self.db, user_id) if following is _UNREAD else following
            if event_id is None:
                break
        return handled

    def process(self, event_id: str) -> tuple[bool | None, str | None]:
        """(True: handled, False: failed and left for a retry, None: not claimed; the sender)."""
        return self._process(event_id)[:2]

    def _process(self, event_id: str) -> tuple[bool | None, str | None, Any]:
        """process(), and that user's next waiting event when the handling transaction read it
        (_UNREAD: not read; handle() asks after the commit)."""
        self.slots.acquire()  # a few transactions at a time; LINE calls wait outside
        try:
            now = utcnow()
            # claimed and handled in one transaction; an event that needs LINE's quota figure
            # first has its claim committed alone, and is handled after LINE answered
            outcome, user_id, waiting = self._claim_and_apply(event_id, now)
            if outcome is _NOT_CLAIMED:
                return None, None, _UNREAD
            if waiting is not None:
                lease, payload, channel_id, received_at = waiting
                self.slots.release()  # LINE's answer may take up to the client's timeout
                try:
                    line = self.line_for(channel_id)
                    limit, usage = line.quota() if line is not None else (None, None)
                finally:
                    self.slots.acquire()
                if usage is not None:
                    self._store_quota(limit, usage, channel_id)
                outcome = self._apply(event_id, lease, now, (payload, channel_id, received_at))
        finally:
            self.slots.release()
        if outcome is None:
            return False, user_id, _UNREAD
        if outcome is LeaseLost:
            return None, None, _UNREAD
        reply_token, replies, critical, channel, following = outcome
        if replies and reply_token:
            self._reply(reply_token, replies, user_id, critical, channel)
        return True, user_id, following

    def _claim_and_apply(self, event_id: str, now: dt.datetime):
        """Claim the event and handle it in the same transaction: (outcome as _apply's or
        _NOT_CLAIMED, the sender, None), or (None, the sender, (lease, payload, channel id,
        received_at)) for an event that needs LINE's quota figure first, its claim committed.

        One transaction where there were two (claim, then handle): the claim's lease guarded the
        gap between them, and there is none now. What it changes when handling fails: the claim
        is rolled back with the effects, so the attempt is counted by the failure's own
        transaction (_failed), as the claim counted it; a process that dies mid-handling leaves
        the row as it found it (received: the sweep retries it after SWEEP_AFTER; or processing
        under a lease run out) and its attempt is not counted. Another process's claim of the
        same row waits for this transaction (PostgreSQL: the row lock; SQLite: the write lock)
        and then finds it done; the user's later events see it waiting (received, attempts 0)
        until the commit, which holds them back as a live lease did."""
        claimed, user_id = False, None
        try:
            with self.db.session() as s:
                lease = now + LEASE
                row = s.connection().execute(_claim_statement(), {"event_id": event_id, "now": now,
                                                                  "lease": lease}).first()
                if row is None:
                    return _NOT_CLAIMED, None, None
                claimed = True
                payload, channel_id, received_at = row
                raw = json.loads(payload or "{}")
                user_id = (raw.get("source") or {}).get("userId") if isinstance(raw, dict) else None
                if user_id and router.needs_quota(raw):
                    return None, user_id, (lease, payload, channel_id, received_at)  # the claim commits
                result = self._handle_in(s, event_id, lease, now, raw, channel_id, received_at)
        except LeaseLost:
            log.warning("webhook event %s: lease lost, left to the process that took over", event_id)
            return LeaseLost, user_id, None
        except Exception as e:  # noqa: BLE001 - any failure once claimed is retried by the sweep
            if not claimed:
                raise  # the claim itself failed: nothing changed, as when it had its own transaction
            self._failed(event_id, e, count_attempt=True)
            return None, user_id, None
        return result, user_id, None

    # --- the channel an event came in on -------------------------------------------------
    def line_for(self, channel_id: int | None):
        """That channel's LINE client (its own token, rate limiter); None when the channel is gone."""
        if self.clients is None:
            return self.line if channel_id is None else None
        return self.clients.get(channel_id)

    def channel_ref(self, s, channel_id: int | None) -> ChannelRef | None:
        """The ChannelRef of a stored event's channel, from the cache (None: no such channel now).
        The environment's channel serves current_association (RuntimeError while there is none)."""
        if channel_id is None:
            assoc_id = self.channels.env_association_id() if self.channels is not None else None
            if assoc_id is None:
                assoc_id = current_association(s, self.settings.association_slug).id
            return ChannelRef.env(assoc_id)
        entry = self.channels.by_id(channel_id) if self.channels is not None else None
        return entry.ref if entry is not None else None

    def _store_quota(self, limit: int | None, usage: int, channel_id: int | None = None) -> None:
        """LINE's quota figure of that channel, just asked with no transaction open and no DB slot
        held, stored for every process; the handler that follows reads it (LINE not answering:
        the old one stays)."""
        try:
            with self.db.session() as s:
                ref = self.channel_ref(s, channel_id)
                quota.store(s, limit, usage, utcnow(), ref.association_id if ref else None,
                            channel=quota_key(channel_id))
        except Exception as e:  # noqa: BLE001 - the handler decides on the figure stored before
            log.warning("storing LINE's quota figure failed (%s)", type(e).__name__)

    def _apply(self, event_id: str, lease: dt.datetime, now: dt.datetime, claimed: tuple | None = None):
        """Handle the claimed event in one transaction; (reply token, what to reply, whether the
        reply is safety-critical, (channel id, association id), the user's next event or
        _UNREAD), None when it failed, LeaseLost when another process has it. `claimed`:
        (payload, channel id, received_at) as the claim returned them (None: read here)."""
        try:
            with self.db.session() as s:
                if claimed is None:
                    row = s.get(WebhookEvent, event_id)
                    claimed = (row.payload, row.channel_id, row.received_at)
                payload, channel_id, received_at = claimed
                return self._handle_in(s, event_id, lease, now, json.loads(payload or "{}"), channel_id, received_at)
        except LeaseLost:
            log.warning("webhook event %s: lease lost, left to the process that took over", event_id)
            return LeaseLost
        except Exception as e:  # noqa: BLE001 - any failure is retried by the sweep
            self._failed(event_id, e)
            return None

    def _handle_in(self, s, event_id: str, lease: dt.datetime, now: dt.datetime, raw: dict,
                   channel_id: int | None, received_at: dt.datetime):
        """The handling, in the session `s` (its caller commits): see _apply."""
        following: Any = _UNREAD
        event = PARSED.pop(event_id) or Event.from_dict(raw)
        user_id = raw["source"]["userId"]
        channel = self.channel_ref(s, channel_id)
        if channel is None:
            raise ChannelGone(f"channel {channel_id} no longer exists (or its secret cannot be read)")
        who = resolve(s, channel, user_id)
        ctx = Ctx(session=s, settings=self.settings, association=who.association, event=event, user_id=user_id,
                  member=who.member, now=now, line=self.line_for(channel.id), links=self.links, channel=channel,
                  staff=who.staff, watched=who.watched)
        router.dispatch(ctx)
        where = (channel.id, ctx.association.id if ctx.association else None)
        replies = ctx.replies[:5]
        critical = must_arrive(replies)
        reply_token = raw.get("replyToken")
        fresh = now - received_at < REPLY_WINDOW
        if replies and not (reply_token and fresh):
            # too late for a reply token: the answer goes out as a push, with the change
            enqueue(s, where[1], [user_id], replies, purpose="late-reply", channel_id=channel.id,
                    priority=URGENT_PRIORITY if critical else 0)
            replies = []
        s.flush()
        # done, in the handler's transaction, only while the lease is still ours (another
        # process that took over after it ran out applies the event instead); the payload
        # and the person's LINE id are not kept once handled
        conn = s.connection()
        if conn.execute(_done_statement(), {"event_id": event_id, "lease": lease,
                                            "processed_at": utcnow()}).rowcount != 1:
            raise LeaseLost(event_id)
        if self.db.is_sqlite:
            # that user's next event, read here and not in a transaction of its own after the
            # commit: on SQLite this transaction holds the one write lock (BEGIN IMMEDIATE) from
            # its start, so no event can be stored or claimed until it commits, and this read
            # sees what a read right after the commit would (an event stored later finds this
            # one done and claims itself). Not on PostgreSQL: an event stored meanwhile would
            # have its claim refused while this one is still uncommitted, and be found by nobody
            # until the sweep.
            following = conn.execute(_next_statement(), {"user_id": user_id}).scalar()
        return reply_token, replies, critical, where, following

    def _failed(self, event_id: str, e: Exception, count_attempt: bool = False) -> None:
        """Record a failed handling (its transaction rolled back): back to received for the
        sweep's retry, failed after MAX_ATTEMPTS or for a channel that is gone. `count_attempt`:
        the claim was rolled back with the handling (_claim_and_apply), so the attempt is
        counted here."""
        gone = isinstance(e, ChannelGone)
        if gone:
            log.error("webhook event %s: %s", event_id, e)
        else:
            log.exception("handling webhook event failed (%s)", type(e).__name__)
        with self.db.session() as s:
            row = s.get(WebhookEvent, event_id)
            if count_attempt:
                row.attempts += 1
            # a channel that is gone will not come back for a retry
            row.status = "failed" if gone or row.attempts >= MAX_ATTEMPTS else "received"
            row.locked_until = None
            row.error = f"{type(e).__name__}: {e}"[:500]

    def _reply(self, token: str, messages: list[dict], user_id: str, critical: bool = False,
               channel: tuple[int | None, int | None] = (None, None)) -> None:
        """Reply through the event's channel; a refused reply goes out as a push on that channel.
        `channel`: (the channel's id, the association the answer is about)."""
        channel_id, association_id = channel
        line = self.line_for(channel_id)
        if line is None:
            log.error("reply not sent: channel %s no longer exists", channel_id)
            return
        result = line.reply(token, messages, read_timeout=self.reply_timeout)
        if result.ok:
            return
        if result.uncertain and not critical:
            # LINE got the reply but its answer did not come in time: it has most likely been
            # delivered. A push too would say everything twice; a reply token cannot be retried.
            log.warning("LINE reply got no answer in time; no push fallback (it may have been delivered)")
            return
        # refused (an expired or used token, an error) or never sent (a reset connection): the
        # user acted and expects an answer, so it goes out as a push (costs one message). Also
        # when uncertain, for the answer to a rescue request: better twice than a lost 119.
        if result.uncertain:
            log.warning("LINE reply got no answer in time; safety-critical, so pushed as well")
        with self.slots, self.db.session() as s:
            enqueue(s, association_id, [user_id], messages, purpose="reply-fallback", channel_id=channel_id,
                    priority=URGENT_PRIORITY if critical else 0)

    def sweep(self, limit: int = 100, after: dt.timedelta | None = None) -> int:
        """Handle events left unhandled (a crash after the 200, a failed attempt, or a full
        handling queue), oldest first; `after` is how old a waiting event must be."""
        now = utcnow()
        after = SWEEP_AFTER if after is None else after
        with self.db.read() as s:
            ids = s.scalars(
                select(WebhookEvent.id)
                .where(or_((WebhookEvent.status == "received") & (WebhookEvent.received_at < now - after),
                           (WebhookEvent.status == "processing") & (WebhookEvent.locked_until < now)))
                .order_by(WebhookEvent.received_at).limit(limit)
            ).all()
        return sum(self.handle(i) for i in ids)


def handle_all(processor: Processor, ids: list[str]) -> None:
    for i in ids:
        processor.handle(i)


def event_summary(raw: dict[str, Any]) -> str:
    """For debug logs: never the text, location or tokens."""
    kind = raw.get("message", {}).get("type") if raw.get("type") == "message" else None
    return f"{raw.get('type')}{'/' + kind if kind else ''} id={raw.get('webhookEventId')}"

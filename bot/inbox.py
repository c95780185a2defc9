"""Webhook inbox: store each event once, answer LINE, then handle it; a sweep retries leftovers.

Lifecycle of a row: received → processing (leased) → done (payload erased) or back to received
after an error (failed after MAX_ATTEMPTS, for a person to look at).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from linebot.v3.webhooks import Event
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from handlers.router import Ctx, enqueue, router
from models import Association, Database, Member, WebhookEvent, utcnow

from .config import Settings

log = logging.getLogger(__name__)
HANDLED_TYPES = {"follow", "unfollow", "message", "postback"}
LEASE = dt.timedelta(seconds=60)
REPLY_WINDOW = dt.timedelta(seconds=50)  # reply tokens last about a minute; after that, push
SWEEP_AFTER = dt.timedelta(seconds=15)
MAX_ATTEMPTS = 5


class MalformedWebhook(ValueError):
    pass


class LeaseLost(RuntimeError):
    """Handling took longer than the lease: roll back, the process that took over applies it."""


def parse_body(body: bytes) -> list[dict]:
    """The events worth storing. Raises MalformedWebhook for a body LINE would never send."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedWebhook("body is not JSON") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedWebhook("no events list")
    keep = []
    for raw in payload["events"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("webhookEventId"), str) or not raw["webhookEventId"]:
            raise MalformedWebhook("event without webhookEventId")
        if raw.get("type") not in HANDLED_TYPES:
            log.debug("ignoring event type %s", raw.get("type"))
            continue
        try:
            Event.from_dict(raw)
        except ValueError:
            # signed by LINE but not understood (a field value newer than our SDK): skip this
            # event only, so the other events of the body are not lost with it
            log.warning("skipping a %s event the SDK cannot parse (id %s)", raw.get("type"), raw["webhookEventId"])
            continue
        if raw.get("mode") == "standby" or (raw.get("source") or {}).get("type") != "user":
            log.debug("ignoring %s event (standby or not a 1:1 chat)", raw.get("type"))
            continue
        keep.append(raw)
    return keep


def store(db: Database, events: list[dict]) -> list[str]:
    """Insert events not seen before; returns the ids that are new (a redelivery adds nothing)."""
    if not events:
        return []
    now = utcnow()
    rows = [{"id": e["webhookEventId"], "received_at": now, "event_type": e["type"],
             "payload": json.dumps(e, ensure_ascii=False), "status": "received", "attempts": 0} for e in events]
    ins = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    new: list[str] = []
    with db.session() as s:
        for row in rows:
            result = s.execute(ins(WebhookEvent).values(**row).on_conflict_do_nothing(index_elements=["id"]))
            if result.rowcount:
                new.append(row["id"])
    if len(new) < len(rows):
        log.info("ignored %d duplicate webhook event(s)", len(rows) - len(new))
    return new


def _claim(db: Database, event_id: str, now: dt.datetime) -> dt.datetime | None:
    """Lease the event for LEASE; returns the lease's end, or None if someone else has it."""
    lease = now + LEASE
    with db.session() as s:
        res = s.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .where(or_(WebhookEvent.status == "received",
                       (WebhookEvent.status == "processing") & (WebhookEvent.locked_until < now)))
            .values(status="processing", locked_until=lease, attempts=WebhookEvent.attempts + 1)
        )
        return lease if res.rowcount == 1 else None


def current_association(session, settings: Settings) -> Association:
    q = select(Association).order_by(Association.id)
    if settings.association_slug:
        q = q.where(Association.slug == settings.association_slug)
    assoc = session.scalars(q.limit(1)).first()
    if assoc is None:
        raise RuntimeError("no association in the database: run `kairan demo` or `kairan roster import`")
    return assoc


class Processor:
    """Handles stored events: one transaction per event, replies sent after the commit."""

    def __init__(self, db: Database, settings: Settings, line):
        self.db, self.settings, self.line = db, settings, line

    def process(self, event_id: str) -> bool:
        now = utcnow()
        lease = _claim(self.db, event_id, now)
        if lease is None:
            return False
        reply_token = None
        replies: list[dict] = []
        user_id = ""
        try:
            with self.db.session() as s:
                row = s.get(WebhookEvent, event_id)
                raw = json.loads(row.payload or "{}")
                event = Event.from_dict(raw)
                user_id = raw["source"]["userId"]
                assoc = current_association(s, self.settings)
                member = s.scalar(select(Member).where(Member.association_id == assoc.id,
                                                       Member.line_user_id == user_id))
                ctx = Ctx(session=s, settings=self.settings, association=assoc, event=event, user_id=user_id,
                          member=member, now=now, line=self.line)
                router.dispatch(ctx)
                replies = ctx.replies[:5]
                reply_token = raw.get("replyToken")
                fresh = now - row.received_at < REPLY_WINDOW
                if replies and not (reply_token and fresh):
                    # too late for a reply token: the answer goes out as a push, with the change
                    enqueue(s, assoc.id, [user_id], replies, purpose="late-reply")
                    replies = []
                if row.locked_until != lease:  # our lease ran out and another process took over
                    raise LeaseLost(event_id)
                row.status, row.payload, row.processed_at, row.locked_until = "done", None, utcnow(), None
        except LeaseLost:
            log.warning("webhook event %s: lease lost, left to the process that took over", event_id)
            return False
        except Exception as e:  # noqa: BLE001 - any failure is retried by the sweep
            log.exception("handling webhook event failed (%s)", type(e).__name__)
            with self.db.session() as s:
                row = s.get(WebhookEvent, event_id)
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "received"
                row.locked_until = None
                row.error = f"{type(e).__name__}: {e}"[:500]
            return False
        if replies and reply_token:
            self._reply(reply_token, replies, user_id)
        return True

    def _reply(self, token: str, messages: list[dict], user_id: str) -> None:
        result = self.line.reply(token, messages)
        if result.uncertain:
            # timed out waiting for LINE's answer: the reply may well have arrived. A push too
            # would say everything twice; a reply token cannot be retried, so nothing more is sent
            log.warning("LINE reply got no answer in time; no push fallback (it may have been delivered)")
            return
        if not result.ok:
            # refused (an expired or used token, an error): the user acted and expects an
            # answer, so it goes out as a push (costs one message)
            with self.db.session() as s:
                assoc = current_association(s, self.settings)
                enqueue(s, assoc.id, [user_id], messages, purpose="reply-fallback")

    def sweep(self, limit: int = 100) -> int:
        """Handle events left unhandled (a crash after the 200, or a failed attempt)."""
        now = utcnow()
        with self.db.session() as s:
            ids = s.scalars(
                select(WebhookEvent.id)
                .where(or_((WebhookEvent.status == "received") & (WebhookEvent.received_at < now - SWEEP_AFTER),
                           (WebhookEvent.status == "processing") & (WebhookEvent.locked_until < now)))
                .order_by(WebhookEvent.received_at).limit(limit)
            ).all()
        return sum(1 for i in ids if self.process(i))


def handle_all(processor: Processor, ids: list[str]) -> None:
    for i in ids:
        processor.process(i)


def event_summary(raw: dict[str, Any]) -> str:
    """For debug logs: never the text, location or tokens."""
    kind = raw.get("message", {}).get("type") if raw.get("type") == "message" else None
    return f"{raw.get('type')}{'/' + kind if kind else ''} id={raw.get('webhookEventId')}"

"""Plumbing tables: webhook inbox, outbox, dialog state, audit log, sign-in tokens."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, association_fk, created, intpk, utcnow


class WebhookEvent(Base):
    """Inbox: one row per `webhookEventId`. The primary key is the de-duplication.

    `payload` (the raw event, which may hold a resident's text or location) is cleared once
    the event is handled; the id stays so a redelivery is still recognised.
    `user_id` and `event_ts` (the sender and LINE's event timestamp, in ms) order one user's
    events: an event is handled only when that user has no earlier one unhandled. `user_id` is
    cleared with the payload.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_status", "status", "received_at"),
                      Index("ix_webhook_events_user", "user_id", "event_ts"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # webhookEventId (ULID)
    received_at: Mapped[created]
    event_type: Mapped[str] = mapped_column(String(30))
    payload: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="received")  # received/processing/done/failed
    locked_until: Mapped[Optional[dt.datetime]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[Optional[dt.datetime]]
    error: Mapped[Optional[str]] = mapped_column(String(500))
    user_id: Mapped[Optional[str]] = mapped_column(String(64))  # source.userId, until handled
    # the channel it came in on (the body's `destination`; None: the environment's channel)
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    event_ts: Mapped[Optional[int]] = mapped_column(BigInteger)  # the event's `timestamp` (ms)


def new_retry_key() -> str:
    return str(uuid.uuid4())


class OutboxMessage(Base):
    """A push or multicast waiting to leave. Written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),
                      Index("ix_outbox_sent_at", "sent_at"))
    id: Mapped[intpk]
    # None for what is nobody's association (a city staff member's sign-in link on the city channel)
    association_id: Mapped[Optional[int]] = association_fk()
    # the channel it leaves through (None: the environment's channel); its quota is that channel's
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # push / multicast
    recipients: Mapped[list[Any]]  # LINE user ids (1 for push, ≤500 for multicast)
    messages: Mapped[list[Any]]  # message objects as LINE JSON (camelCase dicts)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True, default=new_retry_key)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. circular:12, approval:5
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher goes first
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending/sending/sent/failed/held
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created]
    sent_at: Mapped[Optional[dt.datetime]]
    last_status: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(String(1000))
    request_id: Mapped[Optional[str]] = mapped_column(String(64))  # x-line-request-id of the success


class LineQuota(Base):
    """LINE's monthly quota figure, per channel, shared by every process (web workers, scheduler).

    `usage` is LINE's consumption figure at `read_at`; what kairan sent or queued since then is
    added from the outbox (models/quota.py). Today a deployment has one channel ('default').
    """

    __tablename__ = "line_quota"
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    association_id: Mapped[Optional[int]] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    monthly_limit: Mapped[Optional[int]] = mapped_column(Integer)  # None: no monthly cap
    usage: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[dt.datetime]


class DialogState(Base):
    """Where a user stands in a multi-step dialog; kept here because gunicorn runs many workers."""

    __tablename__ = "dialog_states"
    # one dialog per user and association: one LINE user on two associations' channels (one
    # provider, one user id) has a dialog in each, neither going on in the other
    __table_args__ = (UniqueConstraint("line_user_id", "association_id"),)
    id: Mapped[intpk]
    # None while a resident on a city channel has not yet picked their association
    association_id: Mapped[Optional[int]] = association_fk()
    line_user_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    """What officers did (and what the system did on their behalf). No message bodies here."""

    __tablename__ = "audit_log"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[Optional[str]] = mapped_column(String(60))
    detail: Mapped[Optional[dict[str, Any]]]
    at: Mapped[created]


class LoginToken(Base):
    """A one-time sign-in link for the web pages; the signed token carries this row's `jti`.

    It signs in either an association's officer (`member_id`, with their association) or a city
    staff member (`staff_id`, no association): exactly one of the two."""

    __tablename__ = "login_tokens"
    __table_args__ = (CheckConstraint("(member_id IS NULL) <> (staff_id IS NULL)", name="member_or_staff"),)
    jti: Mapped[str] = mapped_column(String(40), primary_key=True)
    association_id: Mapped[Optional[int]] = association_fk()  # None for a city staff member's link
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city_staff.id", ondelete="CASCADE"))
    created_at: Mapped[created]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[Optional[dt.datetime]]

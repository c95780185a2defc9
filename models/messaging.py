"""The outbox side of messaging, as SQL: what to push, to whom, queued in the caller's transaction.

Handlers and scheduler jobs call `enqueue`; the process edge (bot/outbox.py) sends the rows.
Nothing here talks to LINE.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from .base import utcnow
from .infra import OutboxMessage
from .tenancy import channel_id_for

# LINE's limit on the recipients of one multicast (also checked in handlers/messages/limits.py,
# which imports it from here: one definition)
MULTICAST_MAX = 500


_OWN = object()  # "the association's own channel" (looked up)


def enqueue(session: Session, association_id: int | None, user_ids: list[str], messages: list[Any], purpose: str,
            priority: int = 0, now: dt.datetime | None = None, channel_id: Any = _OWN) -> int:
    """Write outbox rows: one push for one recipient, multicasts of at most 500 otherwise.

    They leave through `channel_id` when given (None: the environment's channel), else through
    the channel the association's residents use (models/tenancy.py)."""
    if channel_id is _OWN:
        channel_id = channel_id_for(session, association_id)
    bodies = [m if isinstance(m, dict) else m.to_dict() for m in messages]
    rows = 0
    for i in range(0, len(user_ids), MULTICAST_MAX):
        chunk = user_ids[i:i + MULTICAST_MAX]
        session.add(OutboxMessage(
            association_id=association_id, channel_id=channel_id, kind="push" if len(user_ids) == 1 else "multicast",
            recipients=chunk, messages=bodies, purpose=purpose, priority=priority,
            next_attempt_at=now or utcnow(),
        ))
        rows += 1
    return rows



"""The audit log (監査ログ): who did what, when, before → after. No message bodies, no LINE ids.

Every change an officer makes, in chat (`Ctx.audit`) or on the dashboard (`bot.web.audit.audit`),
is one row: `action` a dotted key ("household.edit", "role.grant"…, its words in
texts.AUDIT_ACTIONS), `target` "kind:id" ("household:12", "member:7"), and `detail` a small JSON
object; a change carries `before` and `after` dicts of the fields that changed (names included:
the log is the association's own record, shown only to its board; on 退会 the member's name and
words in it are replaced as everywhere else: models/erasure.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from .base import utcnow
from .infra import AuditLog


def record(session: Session, association_id: int, actor_id: Optional[int], action: str,
           target: Optional[str] = None, at: Optional[dt.datetime] = None, **detail: Any) -> AuditLog:
    row = AuditLog(association_id=association_id, actor_id=actor_id, action=action, target=target,
                   detail=detail or None, at=at or utcnow())
    session.add(row)
    return row


def changes(obj: Any, new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields of `new` whose value differs from `obj`'s."""
    before = {k: getattr(obj, k) for k, v in new.items() if getattr(obj, k) != v}
    return before, {k: new[k] for k in before}


@dataclass(frozen=True)
class AuditFilter:
    actor_id: Optional[int] = None
    action: Optional[str] = None  # exact key, or a prefix ending in "." ("household.")
    since: Optional[dt.datetime] = None  # inclusive
    until: Optional[dt.datetime] = None  # exclusive


def entries(session: Session, association_id: int, f: AuditFilter = AuditFilter(),
            limit: int | None = 500) -> list[AuditLog]:
    """The association's rows, newest first."""
    q = select(AuditLog).where(AuditLog.association_id == association_id)
    if f.actor_id is not None:
        q = q.where(AuditLog.actor_id == f.actor_id)
    if f.action:
        q = q.where(AuditLog.action.startswith(f.action) if f.action.endswith(".") else AuditLog.action == f.action)
    if f.since is not None:
        q = q.where(AuditLog.at >= f.since)
    if f.until is not None:
        q = q.where(AuditLog.at < f.until)
    q = q.order_by(AuditLog.at.desc(), AuditLog.id.desc())
    return list(session.scalars(q.limit(limit) if limit else q))

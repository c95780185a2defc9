"""The scheduler's jobs. Each opens its own sessions, does a bounded amount of work, and returns."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, update

from models import LoginToken, OutboxMessage, WebhookEvent, utcnow
from scheduler.runtime import Runtime

from . import mimamori, reminders, safety

log = logging.getLogger(__name__)
EVENT_ID_RETENTION = dt.timedelta(days=30)  # redeliveries stop long before this
OUTBOX_RETENTION = dt.timedelta(days=30)  # sent/failed pushes (their bodies name people) are kept this long
FAILED_PAYLOAD_RETENTION = dt.timedelta(days=7)  # a failed event's text is kept this long for a look


def dispatch_outbox(k: Runtime) -> int:
    """Send what is due, one row per claim, until nothing is due (a big fan-out drains in one run;
    the next tick goes on after 1,000 rows) or the scheduler is stopping."""
    return k.send_outbox(1000, k.extras.get("stopping"))


def send_reminders(k: Runtime) -> int:
    return reminders.send_due(k)


def sweep_inbox(k: Runtime) -> int:
    return k.sweep_inbox()


def purge(k: Runtime) -> dict[str, int]:
    """Retention: forget handled webhook event ids after 30 days and expired sign-in links."""
    now = utcnow()
    with k.db.session() as s:
        events = s.execute(delete(WebhookEvent).where(WebhookEvent.status == "done",
                                                      WebhookEvent.received_at < now - EVENT_ID_RETENTION)).rowcount
        tokens = s.execute(delete(LoginToken).where(LoginToken.expires_at < now - dt.timedelta(days=1))).rowcount
        pushes = s.execute(delete(OutboxMessage).where(OutboxMessage.status.in_(("sent", "failed")),
                                                       OutboxMessage.created_at < now - OUTBOX_RETENTION)).rowcount
        s.execute(update(WebhookEvent).where(WebhookEvent.status == "failed",
                                             WebhookEvent.received_at < now - FAILED_PAYLOAD_RETENTION)
                  .values(payload=None, user_id=None))
    locations = safety.purge_locations(k)
    mimamori.purge_history(k)  # 見守り: checks older than the retention, and those who left (issue 17)
    log.info("purge: %d webhook event ids, %d sign-in links, %d sent pushes, %d locations",
             events, tokens, pushes, locations)
    return {"webhook_events": events, "login_tokens": tokens, "outbox": pushes, "locations": locations}

"""Sending the planned reminders that are due: only to those still waited for (circulars: households
that have not read; events: households or persons that have not answered)."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import select

from handlers.events.common import reminder_card
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from models import Circular, Event, Reminder, Target, utcnow
from models.messaging import enqueue
from models.reminders import in_quiet_hours, out_of_quiet_hours, pending_recipients
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)


def circular_reminder(session, subject_id: int, settings) -> tuple[list[dict], str, bool] | None:
    c = session.get(Circular, subject_id)
    if c is None:
        return None
    card = msg.card(texts.REMINDER_TITLE, texts.REMINDER_BODY.format(title=c.title),
                    [msg.postback(texts.READ, pb("read", c=c.id)), msg.postback(texts.FULL_TEXT, pb("full", c=c.id))],
                    alt=texts.ALT_TITLED.format(title=texts.REMINDER_TITLE, name=c.title))
    return [card], f"reminder:circular:{c.id}", c.target == Target.officers


def event_reminder(session, subject_id: int, settings) -> tuple[list[dict], str, bool] | None:
    ev = session.get(Event, subject_id)
    if ev is None or not ev.is_open():  # past the deadline: nothing to remind of
        return None
    return [reminder_card(session, settings, ev)], f"reminder:event:{ev.id}", ev.target == Target.officers


# subject type → (messages, outbox purpose, sent to officers only) of its reminder, or None
BUILDERS: dict[str, Callable] = {"circular": circular_reminder, "event": event_reminder}
# subject types whose reminders wait for an answer, not just for reading
UNTIL_ANSWERED = {"event"}


def send_due(k: Runtime, limit: int = 20) -> int:
    """Send each due reminder step once. Returns the number of steps handled."""
    s_ = k.settings
    quiet = (s_.quiet_start_hour, s_.quiet_end_hour)
    done = 0
    for _ in range(limit):
        now = utcnow()
        with k.db.session() as s:
            r = s.scalars(select(Reminder).where(Reminder.status == "planned", Reminder.due_at <= now)
                          .order_by(Reminder.due_at, Reminder.id).limit(1).with_for_update(skip_locked=True)).first()
            if r is None:
                break
            if in_quiet_hours(now, s_.timezone, *quiet):
                r.due_at = out_of_quiet_hours(now, s_.timezone, *quiet)  # the scheduler was late: wait till morning
                log.info("reminder %s postponed out of quiet hours", r.id)
                continue
            built = BUILDERS[r.subject_type](s, r.subject_id, s_)
            user_ids, households = pending_recipients(s, r.subject_type, r.subject_id,
                                                      until_answered=r.subject_type in UNTIL_ANSWERED,
                                                      officers_only=bool(built and built[2]))
            if built is None or not user_ids:
                r.status = "skipped"
            else:
                messages, purpose, _ = built
                enqueue(s, r.association_id, user_ids, messages, f"{purpose}:{r.step}", now=now)
                r.status, r.households, r.recipients = "sent", households, len(user_ids)
            r.sent_at = now
            done += 1
            log.info("reminder %s: %s (%d households)", r.id, r.status, households)
    return done

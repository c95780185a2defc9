"""見守り's job (every minute): the day's check at each resident's hour, the reminder N hours later
(out of the quiet hours: it is the resident's own), then the ladder — the first watcher M hours
after the reminder, the next one K minutes after each silent watcher, then the chair and the
民生委員. Escalations ignore the quiet hours. Every step is audited; pushes go through the outbox.

A resident who already showed a sign of life that day (a message, a tap) before the hour is not
pushed: the day counts as answered, and the push is saved. The check itself goes at the hour the
resident chose (7:00 too, inside the default quiet hours: they asked for it)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from handlers.mimamori.common import (
    ESCALATE_AFTER,
    NEXT_AFTER,
    REMIND_AFTER,
    CHAIR,
    check_card,
    escalate,
    reminder_card,
    setting,
)
from models import MemberStatus, utcnow
from models.audit import record
from models.messaging import enqueue
from models.mimamori import (
    ANSWERED,
    ESCALATED,
    WAITING,
    MimamoriCheck,
    MimamoriEnrolment,
    check_time,
    day_start,
    local_day,
    purge,
)
from models.reminders import in_quiet_hours
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)
LATEST = dt.timedelta(hours=10)  # a check not sent by then (the scheduler was down) waits for tomorrow


def ask_due(s, settings, now: dt.datetime) -> int:
    """Today's check for every enrolled resident whose hour has come (once a day)."""
    tz = settings.timezone
    today = local_day(now, tz)
    asked = 0
    for e in s.scalars(select(MimamoriEnrolment).where(MimamoriEnrolment.active.is_(True))
                       .order_by(MimamoriEnrolment.id)).all():
        m = e.member
        if m.status != MemberStatus.active or not m.line_user_id or not e.checks_on(today):
            continue
        due = check_time(today, e.hour, tz)
        if not due <= now < due + LATEST:
            continue  # not yet (or the scheduler was down the whole day: not in the evening)
        if s.scalar(select(MimamoriCheck.id).where(MimamoriCheck.enrolment_id == e.id, MimamoriCheck.day == today)):
            continue
        c = MimamoriCheck(association_id=e.association_id, enrolment_id=e.id, day=today, asked_at=now, status=WAITING)
        s.add(c)
        if e.last_seen_at is not None and e.last_seen_at >= day_start(today, tz):
            c.status, c.answer, c.answered_at = ANSWERED, "life", e.last_seen_at  # already heard from today
            continue
        s.flush()
        enqueue(s, e.association_id, [m.line_user_id], [check_card(c)], f"mimamori:ask:{c.id}", now=now)
        record(s, e.association_id, None, "mimamori.ask", f"member:{m.id}", at=now, check=c.id)
        asked += 1
    return asked


def step_due(s, settings, now: dt.datetime) -> int:
    """Reminders and the ladder's next steps that are due. Returns the steps taken."""
    tz = settings.timezone
    remind, first, nxt = (setting(settings, "remind", REMIND_AFTER), setting(settings, "escalate", ESCALATE_AFTER),
                          setting(settings, "next", NEXT_AFTER))
    steps = 0
    rows = s.scalars(select(MimamoriCheck).join(MimamoriEnrolment, MimamoriCheck.enrolment_id == MimamoriEnrolment.id)
                     .where(MimamoriCheck.status.in_((WAITING, ESCALATED)), MimamoriEnrolment.active.is_(True))
                     .order_by(MimamoriCheck.id)).all()
    for c in rows:
        e = c.enrolment
        if c.status == WAITING and c.reminded_at is None and c.day < local_day(now, tz):
            escalate(s, c, tz, now)  # a day's check still unanswered the next day (the job was down): no
            steps += 1               # 「今日のお返事」 reminder about yesterday, the watchers at once
        elif c.status == WAITING and c.reminded_at is None:
            if now < c.asked_at + remind:
                continue
            if in_quiet_hours(now, tz, settings.quiet_start_hour, settings.quiet_end_hour):
                continue  # the resident's own reminder waits for the morning
            if e.member.status == MemberStatus.active and e.member.line_user_id:
                enqueue(s, e.association_id, [e.member.line_user_id], [reminder_card(c)], f"mimamori:remind:{c.id}",
                        now=now)
            c.reminded_at = now
            record(s, e.association_id, None, "mimamori.remind", f"member:{e.member_id}", at=now, check=c.id)
            steps += 1
        elif c.status == WAITING and now >= c.reminded_at + first:
            escalate(s, c, tz, now)
            steps += 1
        elif c.status == ESCALATED and c.escalated_to != CHAIR and now >= c.stepped_at + nxt:
            escalate(s, c, tz, now)
            steps += 1
    return steps


def tick(k: Runtime) -> int:
    now = utcnow()
    with k.db.session() as s:
        asked = ask_due(s, k.settings, now)
        steps = step_due(s, k.settings, now)
    if asked or steps:
        log.info("mimamori: %d check(s) sent, %d step(s) taken", asked, steps)
    return asked + steps


def purge_history(k: Runtime) -> tuple[int, int]:
    """The nightly retention: old checks, and those who left RETENTION ago (counts only logged)."""
    with k.db.session() as s:
        checks, enrolments = purge(s, utcnow())
    log.info("mimamori purge: %d check(s), %d enrolment(s)", checks, enrolments)
    return checks, enrolments

"""Reminder plans: one row per planned reminder of a subject (a circular or an event).

The unique (subject, step) row is what makes "never twice for the same plan step" hold: the
job that sends a step marks its row in the same transaction that writes the outbox rows.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Index, Integer, String, UniqueConstraint, or_, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, association_fk, created, intpk
from .delivery import Delivery
from .roster import OFFICER_ROLES, Member, MemberStatus


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "step"),
                      Index("ix_reminders_due", "status", "due_at"))
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)  # 0, 1, … in the plan
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(10), default="planned")  # planned/sent/skipped/cancelled
    households: Mapped[int] = mapped_column(Integer, default=0)  # unread households reminded
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # push messages used
    created_at: Mapped[created]
    sent_at: Mapped[Optional[dt.datetime]]


def in_quiet_hours(when: dt.datetime, tz: str, start: int, end: int) -> bool:
    h = when.astimezone(ZoneInfo(tz)).hour
    return h >= start or h < end if start > end else start <= h < end


def out_of_quiet_hours(when: dt.datetime, tz: str, start: int, end: int) -> dt.datetime:
    """The same moment, or the end of the quiet hours it falls in (21:30 → next day 08:00)."""
    if not in_quiet_hours(when, tz, start, end):
        return when
    local = when.astimezone(ZoneInfo(tz))
    day = local.date() if local.hour < end else local.date() + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, end, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def plan_times(sent_at: dt.datetime, days: list[int], tz: str, hour: int, quiet: tuple[int, int]) -> list[dt.datetime]:
    """Each plan step: N days after sending at `hour` local time, moved out of quiet hours."""
    local = sent_at.astimezone(ZoneInfo(tz)).date()
    out = []
    for n in days:
        d = local + dt.timedelta(days=n)
        at = dt.datetime(d.year, d.month, d.day, hour, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)
        out.append(out_of_quiet_hours(at, tz, *quiet))
    return out


def plan_times_before(deadline: dt.datetime, days: list[int], tz: str, hour: int, quiet: tuple[int, int],
                      after: dt.datetime) -> list[dt.datetime]:
    """Each plan step: N days before the deadline at `hour` local time, moved out of quiet hours;
    steps that would fall before `after` (sending) or after the deadline are dropped."""
    local = deadline.astimezone(ZoneInfo(tz)).date()
    out = []
    for n in sorted(set(days), reverse=True):
        d = local - dt.timedelta(days=n)
        at = dt.datetime(d.year, d.month, d.day, hour, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)
        at = out_of_quiet_hours(at, tz, *quiet)
        if after < at < deadline:
            out.append(at)
    return out


def schedule(session: Session, association_id: int, subject_type: str, subject_id: int,
             times: list[dt.datetime]) -> None:
    for step, at in enumerate(times):
        session.add(Reminder(association_id=association_id, subject_type=subject_type, subject_id=subject_id,
                             step=step, due_at=at))


def pending_recipients(session: Session, subject_type: str, subject_id: int,
                       until_answered: bool = False, officers_only: bool = False) -> tuple[list[str], int]:
    """Who is still waited for: LINE user ids, and how many receipts (households or persons).

    A household receipt (person_key 0) reaches every active member of the household; a personal
    one (an event answered per person) reaches that member only. Waiting means not read, or
    with `until_answered` not answered. For a subject sent to 役員のみ, only officers are reminded
    (their families share the household receipt but were never addressed).
    """
    waiting = Delivery.answer.is_(None) if until_answered else Delivery.read_at.is_(None)
    whose = or_((Delivery.person_key == 0) & (Member.household_id == Delivery.household_id),
                Delivery.person_key == Member.id)
    rows = session.execute(
        select(Member.line_user_id, Delivery.id)
        .join(Member, whose)
        .where(Delivery.of(subject_type, subject_id), waiting,
               Member.status == MemberStatus.active, Member.line_user_id.is_not(None),
               Member.role.in_(OFFICER_ROLES) if officers_only else true())
        .order_by(Member.id)
    ).all()
    return list(dict.fromkeys(r[0] for r in rows)), len({r[1] for r in rows})


def unread_recipients(session: Session, subject_type: str, subject_id: int,
                      officers_only: bool = False) -> tuple[list[str], int]:
    """LINE user ids of active members of households that have not read, and how many households."""
    return pending_recipients(session, subject_type, subject_id, officers_only=officers_only)


def planned(session: Session, subject_type: str, subject_id: int) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(
        Reminder.subject_type == subject_type, Reminder.subject_id == subject_id).order_by(Reminder.step)))

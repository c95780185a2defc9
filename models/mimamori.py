"""見守り (issue 17): a daily 「元気です」 for residents who live alone, and who is told when none comes.

Only what the check needs is stored:
- `MimamoriEnrolment`: one per member who opted in — the hour and days of the check, whether the
  班長 and the 民生委員 are on the ladder, the code family members join by, the consent (when,
  which version of the notice, and who recorded it for the resident: a proxy), the last sign of
  life (any message or tap) and, once the resident left, when the history goes (`purge_after`).
- `MimamoriWatcher`: a 見守り家族 — a LINE user id (they may be outside the association: no name,
  no member row needed) who joined by the resident's code, in the order they joined.
- `MimamoriCheck`: one per check day — asked, answered (元気/少し困って/any sign of life), the
  reminder, how far up the ladder it went and who reported what.

The ladder: the family (in order), the 班長 of the resident's 班, the 民生委員 (members with the
role `Role.welfare`); 「つながりません」 goes to the chair and the 民生委員. Leaving stops the checks
at once; the rows go after RETENTION (`purge`, run by the scheduler's nightly purge), and on 退会
at once (`erase_mimamori`, models/erasure.py).
"""
from __future__ import annotations

import calendar
import datetime as dt
import secrets
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, UTCDateTime, association_fk, created, intpk

POLICY_VERSION = "2026-12"  # the 見守り notice the resident agrees to (recorded with the consent)
HOURS = (7, 8, 9, 10)  # the check's hour, Japan time
DAYS = {"daily": (0, 1, 2, 3, 4, 5, 6), "weekdays": (0, 1, 2, 3, 4), "mwf": (0, 2, 4)}  # Monday = 0
RETENTION = dt.timedelta(days=90)  # check history kept this long (and this long after leaving)
CODE_DIGITS = 8

# a check's status
WAITING, ANSWERED, ESCALATED, VISITING, UNREACHABLE, CONTACT = (
    "waiting", "answered", "escalated", "visiting", "unreachable", "contact")
OPEN = (WAITING, ESCALATED, VISITING, UNREACHABLE)  # nobody knows yet that the resident is well


class MimamoriEnrolment(Base):
    __tablename__ = "mimamori_enrolments"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    hour: Mapped[int] = mapped_column(Integer, default=9)
    days: Mapped[str] = mapped_column(String(10), default="daily")
    watch_leader: Mapped[bool] = mapped_column(Boolean, default=True)
    watch_welfare: Mapped[bool] = mapped_column(Boolean, default=True)
    code: Mapped[str] = mapped_column(String(CODE_DIGITS), unique=True)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    consent_policy_version: Mapped[str] = mapped_column(String(20))
    consent_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))  # a proxy
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    purge_after: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[created]
    member = relationship("Member", foreign_keys=[member_id])
    watchers: Mapped[list["MimamoriWatcher"]] = relationship(
        back_populates="enrolment", order_by="MimamoriWatcher.id", cascade="all, delete-orphan")

    def checks_on(self, day: dt.date) -> bool:
        return day.weekday() in DAYS.get(self.days, ())


class MimamoriWatcher(Base):
    __tablename__ = "mimamori_watchers"
    __table_args__ = (UniqueConstraint("enrolment_id", "line_user_id"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("mimamori_enrolments.id", ondelete="CASCADE"), index=True)
    line_user_id: Mapped[str] = mapped_column(String(64), index=True)
    joined_at: Mapped[created]
    enrolment: Mapped[MimamoriEnrolment] = relationship(back_populates="watchers")


class MimamoriCheck(Base):
    __tablename__ = "mimamori_checks"
    __table_args__ = (UniqueConstraint("enrolment_id", "day"), Index("ix_mimamori_checks_status", "status"))
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("mimamori_enrolments.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    answer: Mapped[Optional[str]] = mapped_column(String(10))  # fine / trouble / life (any message)
    need: Mapped[Optional[str]] = mapped_column(String(10))  # 少し困っています: health / shopping / clinic / talk
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    reminded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    step: Mapped[int] = mapped_column(Integer, default=0)  # rungs of the ladder told so far
    stepped_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    escalated_to: Mapped[Optional[str]] = mapped_column(String(20))  # the rung told last: family / leader / welfare / chair
    outcome_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    outcome_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    enrolment: Mapped[MimamoriEnrolment] = relationship()


# --- helpers ---------------------------------------------------------------------------------
def local_day(when: dt.datetime, tz: str) -> dt.date:
    return when.astimezone(ZoneInfo(tz)).date()


def day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def check_time(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def days_in_month(days: str, now: dt.datetime, tz: str) -> int:
    """Check days this month (the pushes a month costs): 毎日 30 or 31, 平日のみ about 22."""
    local = now.astimezone(ZoneInfo(tz))
    n = calendar.monthrange(local.year, local.month)[1]
    wanted = DAYS.get(days, ())
    return sum(1 for d in range(1, n + 1) if dt.date(local.year, local.month, d).weekday() in wanted)


def new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if session.scalar(select(MimamoriEnrolment.id).where(MimamoriEnrolment.code == code)) is None:
            return code


def enrolment_of(session: Session, member_id: int) -> Optional[MimamoriEnrolment]:
    return session.scalar(select(MimamoriEnrolment).where(MimamoriEnrolment.member_id == member_id))


def today_check(session: Session, e: MimamoriEnrolment, now: dt.datetime, tz: str) -> Optional[MimamoriCheck]:
    return session.scalar(select(MimamoriCheck).where(MimamoriCheck.enrolment_id == e.id,
                                                      MimamoriCheck.day == local_day(now, tz)))


def history(session: Session, enrolment_id: int, since: dt.date) -> list[MimamoriCheck]:
    return list(session.scalars(select(MimamoriCheck).where(
        MimamoriCheck.enrolment_id == enrolment_id, MimamoriCheck.day >= since).order_by(MimamoriCheck.day)))


def purge(session: Session, now: dt.datetime) -> tuple[int, int]:
    """Retention: checks older than RETENTION, and everything of those who left RETENTION ago.
    Returns (checks deleted, enrolments deleted). Counts only are logged by the caller."""
    checks = session.execute(delete(MimamoriCheck).where(
        MimamoriCheck.asked_at < now - RETENTION)).rowcount
    gone = session.scalars(select(MimamoriEnrolment).where(
        MimamoriEnrolment.active.is_(False), MimamoriEnrolment.purge_after <= now)).all()
    for e in gone:
        checks += session.execute(delete(MimamoriCheck).where(MimamoriCheck.enrolment_id == e.id)).rowcount
        session.delete(e)
    return checks, len(gone)


def erase_mimamori(session: Session, member_id: int, line_user_id: Optional[str], association_id: int) -> None:
    """退会: their enrolment with its history and family, and their place as someone's 見守り家族."""
    e = enrolment_of(session, member_id)
    if e is not None:
        session.execute(delete(MimamoriCheck).where(MimamoriCheck.enrolment_id == e.id))
        session.delete(e)
    if line_user_id:
        session.execute(delete(MimamoriWatcher).where(MimamoriWatcher.association_id == association_id,
                                                      MimamoriWatcher.line_user_id == line_user_id))
    session.execute(MimamoriEnrolment.__table__.update().where(
        MimamoriEnrolment.consent_by_id == member_id).values(consent_by_id=None))
    session.execute(MimamoriCheck.__table__.update().where(
        MimamoriCheck.outcome_by_id == member_id).values(outcome_by_id=None))

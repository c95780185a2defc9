"""通報: problems residents report (a broken streetlight, a cave-in, a flooded road) and their triage.

- `Report`: one report of one association, made by a member (the reporter, SET NULL when erased),
  with a category (texts.REPORT_CATEGORIES unless the association or city keeps its own), a location (LINE's location message; or an address typed when the phone cannot
  share), a short comment and up to MAX_PHOTOS photos. While the reporter is still answering the
  questions it is a `draft` (no number); on confirm it gets its number (通報 No. 2026-0142: the year
  in JST and a sequence per association and year) and the status `received`.
- Status: received (受付) → checking (確認中) → in_progress (対応中) → done (完了) / declined
  (対応しない, with a reason) / forwarded (市へ転送: the municipality's staff then take it on; they
  move it on with the same statuses, `forwarded_to` stays set).
- `ReportPhoto`: like the safety photos: the handler writes the row (`pending`, no data), the
  scheduler downloads it from LINE's content API once, re-encodes it without metadata, and marks
  it `stored` or `failed`. Kept in the database so every web process and machine can serve it.
- `ReportUpdate`: the history (status changes, notes: public ones go back to the reporter and the
  followers as a push through the outbox; internal ones do not).
- `ReportFollower`: who hears back: the reporter, and residents who said 「同じものです（賛同）」 (+1).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk

STATUSES = ("draft", "received", "checking", "in_progress", "done", "declined", "forwarded")
OPEN_STATUSES = ("received", "checking", "in_progress", "forwarded")
CLOSED_STATUSES = ("done", "declined")
MAX_PHOTOS = 3
MAX_COMMENT = 300
MAX_ADDRESS = 120
MAX_NOTE = 300
DAILY_LIMIT = 10  # reports a member may confirm per day (JST)
NEARBY_METRES = 50  # an open report of the same category this close is probably the same thing
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # LINE's images are smaller; anything bigger is refused


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("association_id", "year", "seq"),
        Index("ix_reports_association_status", "association_id", "status"),
    )
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    year: Mapped[Optional[int]] = mapped_column(Integer)  # set with seq on confirm
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    block_id: Mapped[Optional[int]] = mapped_column(ForeignKey("blocks.id", ondelete="SET NULL"))  # reporter's 班
    category: Mapped[Optional[str]] = mapped_column(String(20))
    latitude: Mapped[Optional[float]] = mapped_column(Float)
    longitude: Mapped[Optional[float]] = mapped_column(Float)
    address: Mapped[Optional[str]] = mapped_column(String(MAX_ADDRESS))  # LINE's location address, or typed
    comment: Mapped[Optional[str]] = mapped_column(Text)
    keep_photo_location: Mapped[bool] = mapped_column(Boolean, default=False)  # the reporter agreed EXIF GPS be kept
    status: Mapped[str] = mapped_column(String(12), default="draft")
    status_reason: Mapped[Optional[str]] = mapped_column(String(MAX_NOTE))  # 対応しない: why
    assigned_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    forwarded_to: Mapped[Optional[int]] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"),
                                                        index=True)
    forward_note: Mapped[Optional[str]] = mapped_column(String(MAX_NOTE))  # the association's note to the city
    forwarded_at: Mapped[Optional[dt.datetime]]
    duplicate_of: Mapped[Optional[int]] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    created_at: Mapped[created]
    submitted_at: Mapped[Optional[dt.datetime]]  # the confirm
    updated_at: Mapped[created]
    closed_at: Mapped[Optional[dt.datetime]]
    photos: Mapped[list["ReportPhoto"]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", cascade="all, delete-orphan")
    updates: Mapped[list["ReportUpdate"]] = relationship(
        back_populates="report", order_by="ReportUpdate.id", cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        """通報 No. 2026-0142 (empty for a draft)."""
        return f"{self.year}-{self.seq:04d}" if self.year and self.seq else ""


class ReportPhoto(Base):
    __tablename__ = "report_photos"
    __table_args__ = (Index("ix_report_photos_status", "status"),)
    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    line_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[Optional[str]] = mapped_column(String(100))  # after re-encoding: image/jpeg or image/png
    data: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # NULL until downloaded
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending / stored / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[Optional[dt.datetime]]
    at: Mapped[created]
    report: Mapped[Report] = relationship(back_populates="photos")


class ReportUpdate(Base):
    __tablename__ = "report_updates"
    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status: Mapped[Optional[str]] = mapped_column(String(12))  # the new status (None: a note only)
    note: Mapped[Optional[str]] = mapped_column(String(MAX_NOTE))
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # told to the reporter and followers
    by_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    by_staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city_staff.id", ondelete="SET NULL"))
    at: Mapped[created]
    report: Mapped[Report] = relationship(back_populates="updates")


class ReportFollower(Base):
    __tablename__ = "report_followers"
    __table_args__ = (UniqueConstraint("report_id", "member_id"),)
    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="reporter")  # reporter / plus1
    at: Mapped[created]


def categories_for(association, municipality=None, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The association's own list, else its municipality's, else `default` (the words'
    texts.REPORT_CATEGORIES). One category per line in the column."""
    for owner in (association, municipality):
        raw = getattr(owner, "report_categories", None) if owner is not None else None
        if raw:
            items = tuple(c.strip() for c in raw.splitlines() if c.strip())
            if items:
                return items
    return tuple(default)


def next_seq(session: Session, association_id: int, year: int) -> int:
    """The next number of the association's year (the unique constraint catches a race: retry)."""
    last = session.scalar(select(func.max(Report.seq)).where(Report.association_id == association_id,
                                                           Report.year == year))
    return (last or 0) + 1


# --- queries of the residents' side (handlers/reports/flow.py, scheduler/reports.py) ------------
DRAFT_LIFETIME = dt.timedelta(days=1)  # a draft left unfinished longer is deleted (scheduler.reports)
_EARTH_M = 6_371_000.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for 50 m)."""
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def nearby_open(session: Session, association_id: int, category: str, lat: float, lng: float,
                metres: float = NEARBY_METRES, exclude_id: Optional[int] = None) -> list[Report]:
    """Open reports of the association and category within `metres` of (lat, lng), nearest first."""
    import math

    dlat = metres / 111_000.0 * 1.5
    dlng = dlat / max(0.1, math.cos(math.radians(lat)))
    rows = session.scalars(select(Report).where(
        Report.association_id == association_id, Report.category == category,
        Report.status.in_(OPEN_STATUSES), Report.latitude.is_not(None), Report.longitude.is_not(None),
        Report.latitude.between(lat - dlat, lat + dlat), Report.longitude.between(lng - dlng, lng + dlng),
        Report.id != (exclude_id or 0))).all()
    near = [(distance_m(lat, lng, r.latitude, r.longitude), r.id, r) for r in rows]
    return [r for d, _, r in sorted(near, key=lambda t: t[:2]) if d <= metres]


def confirmed_since(session: Session, member_id: int, since: dt.datetime) -> int:
    """How many reports the member confirmed since `since` (the daily limit)."""
    return session.scalar(select(func.count(Report.id)).where(
        Report.member_id == member_id, Report.submitted_at.is_not(None), Report.submitted_at >= since)) or 0


def own_report(session: Session, association_id: int, member_id: int, report_id: int) -> Optional[Report]:
    """The member's own confirmed report of this association (None for anyone else's or a draft)."""
    return session.scalar(select(Report).where(Report.id == report_id, Report.association_id == association_id,
                                               Report.member_id == member_id, Report.status != "draft"))


def own_reports(session: Session, association_id: int, member_id: int, limit: int = 10) -> list[Report]:
    """The member's confirmed reports, newest first."""
    return list(session.scalars(select(Report).where(
        Report.association_id == association_id, Report.member_id == member_id, Report.status != "draft")
        .order_by(Report.submitted_at.desc(), Report.id.desc()).limit(limit)))


def delete_drafts(session: Session, *where) -> int:
    """Delete draft reports (with their photos) matching `where`; returns how many."""
    ids = list(session.scalars(select(Report.id).where(Report.status == "draft", *where)))
    if not ids:
        return 0
    from sqlalchemy import delete

    session.execute(delete(ReportPhoto).where(ReportPhoto.report_id.in_(ids)))
    session.execute(delete(ReportFollower).where(ReportFollower.report_id.in_(ids)))
    session.execute(delete(ReportUpdate).where(ReportUpdate.report_id.in_(ids)))
    session.execute(delete(Report).where(Report.id.in_(ids)))
    return len(ids)


def erase_reporter(session: Session, member_id: int) -> None:
    """退会: the member's drafts (and their photos) go; their confirmed reports stay for the
    association (the streetlight is still broken) without the reporter; they follow nothing."""
    from sqlalchemy import delete, update

    delete_drafts(session, Report.member_id == member_id)
    session.execute(update(Report).where(Report.member_id == member_id).values(member_id=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(Report).where(Report.assigned_member_id == member_id).values(assigned_member_id=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(ReportUpdate).where(ReportUpdate.by_member_id == member_id).values(by_member_id=None)
                    .execution_options(synchronize_session=False))
    session.execute(delete(ReportFollower).where(ReportFollower.member_id == member_id))

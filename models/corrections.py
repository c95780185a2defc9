"""Corrections (訂正) and cancellations (中止・延期) of what was already sent.

One row per correction of a sent circular or event, or per 中止 / 延期 of an event: what it was
before (title / body, or the event's name / note), what it is after, the short notice sent to
everyone who got it, who did it and how many pushes it cost. The rows are the item's history
(the archive shows the corrected text and, under it, the original). An event's latest 中止 or
延期 row is its state: its answer buttons then answer that and record nothing (`event_halt`).
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, association_fk, created, intpk

KINDS = ("circular", "event")
ACTIONS = ("correct", "cancel", "postpone")  # 訂正 / 中止 / 延期 (the last two: events only)
HALTS = ("cancel", "postpone")
MAX_NOTE = 200  # the notice is short: what changed, or why and until when


class Correction(Base):
    __tablename__ = "corrections"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    kind: Mapped[str] = mapped_column(String(10))  # circular / event
    subject_id: Mapped[int] = mapped_column(Integer, index=True)  # circulars.id / events.id (no FK: history stays)
    action: Mapped[str] = mapped_column(String(10))  # correct / cancel / postpone
    before_title: Mapped[str] = mapped_column(String(100), default="")
    before_body: Mapped[str] = mapped_column(Text, default="")
    after_title: Mapped[str] = mapped_column(String(100), default="")
    after_body: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")  # the notice's own words
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    pushes: Mapped[int] = mapped_column(Integer, default=0)  # LINE users the notice was queued for
    paper_households: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[created]


def history(session: Session, association_id: int, kind: str, subject_id: int) -> list[Correction]:
    """Oldest first: the first row's `before_*` is the original as sent."""
    return list(session.scalars(select(Correction).where(
        Correction.association_id == association_id, Correction.kind == kind, Correction.subject_id == subject_id)
        .order_by(Correction.at, Correction.id)))


def event_halt(session: Session, association_id: int, event_id: int) -> Optional[Correction]:
    """The 中止 / 延期 in force for an event (the latest one), or None."""
    return session.scalar(select(Correction).where(
        Correction.association_id == association_id, Correction.kind == "event", Correction.subject_id == event_id,
        Correction.action.in_(HALTS)).order_by(Correction.at.desc(), Correction.id.desc()).limit(1))


def corrected_ids(session: Session, association_id: int, kind: str, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Correction.subject_id).where(
        Correction.association_id == association_id, Correction.kind == kind, Correction.subject_id.in_(ids))))


__all__ = ["ACTIONS", "Correction", "HALTS", "KINDS", "MAX_NOTE", "corrected_ids", "event_halt", "history"]

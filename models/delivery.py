"""The per-household receipt: delivered → read → answered, with who acted, when, and history.

One `Delivery` row per household (or per person) per subject. The subject is a circular today;
events (出欠) and safety checks (安否) reuse the same table with their own `subject_type`, so
"unread", "unanswered", proxy answers and answer history are written once for all three.
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Iterable, Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk, utcnow
from .roster import Household, Member


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "household_id", "person_key"),
        # the reminder / 状況 query: unread rows of one subject
        Index("ix_deliveries_subject_unread", "subject_type", "subject_id", "read_at"),
    )
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    subject_type: Mapped[str] = mapped_column(String(20))  # circular / event / safety
    subject_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    # 0 = the household as a whole; a member id for per-person subjects
    person_key: Mapped[int] = mapped_column(Integer, default=0)
    via_line: Mapped[bool] = mapped_column(Boolean, default=True)  # False: delivered on paper
    delivered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # unguessable token of this household's web page for the subject (全文を見る)
    page_token: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    read_at: Mapped[Optional[dt.datetime]]
    read_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    read_via: Mapped[Optional[str]] = mapped_column(String(10))  # button / page / proxy
    answer: Mapped[Optional[str]] = mapped_column(String(20))
    answer_data: Mapped[Optional[dict[str, Any]]]
    answered_at: Mapped[Optional[dt.datetime]]
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    answered_by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    household: Mapped[Household] = relationship()
    read_by: Mapped[Optional[Member]] = relationship(foreign_keys=[read_by_id])
    answered_by: Mapped[Optional[Member]] = relationship(foreign_keys=[answered_by_id])
    history: Mapped[list["DeliveryHistory"]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryHistory.id"
    )

    def mark_read(self, by: Member | None, via: str, at: dt.datetime | None = None) -> bool:
        """First read wins; returns False when the household had already read."""
        if self.read_at is not None:
            return False
        self.read_at = at or utcnow()
        self.read_by = by
        self.read_via = via
        return True

    def record_answer(
        self, answer: str, by: Member | None, *, data: dict[str, Any] | None = None,
        proxy: bool = False, at: dt.datetime | None = None,
    ) -> None:
        """Answer (or change the answer); the previous one stays in the history."""
        at = at or utcnow()
        self.mark_read(by, "proxy" if proxy else "button", at)
        self.answer, self.answer_data, self.answered_at = answer, data, at
        self.answered_by, self.answered_by_proxy = by, proxy
        self.history.append(
            DeliveryHistory(association_id=self.association_id, answer=answer, answer_data=data,
                            member=by, proxy=proxy, at=at)
        )


class DeliveryHistory(Base):
    __tablename__ = "delivery_history"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(20))
    answer_data: Mapped[Optional[dict[str, Any]]]
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[created]
    delivery: Mapped[Delivery] = relationship(back_populates="history")
    member: Mapped[Optional[Member]] = relationship()


def write_receipts(session: Session, association_id: int, subject_type: str, subject_id: int,
                   receipts: Iterable[tuple[int, int, bool]], at: dt.datetime, pages: bool = False) -> int:
    """Create the receipts of a send in one INSERT: (household id, person key, via LINE) each.

    One statement instead of one ORM object per household: a 20,000-household send takes a
    fraction of a second instead of seconds holding the database (docs/benchmarks.md).
    """
    rows = [{"association_id": association_id, "subject_type": subject_type, "subject_id": subject_id,
             "household_id": hid, "person_key": key, "via_line": via_line, "delivered_at": at,
             "page_token": secrets.token_urlsafe(16) if pages else None, "answered_by_proxy": False}
            for hid, key, via_line in receipts]
    if rows:
        session.execute(insert(Delivery), rows)
    return len(rows)

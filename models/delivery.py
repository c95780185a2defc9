"""The per-household receipt: delivered → read → answered, with who acted, when, and history.

One `Delivery` row per household (or per person) per subject. A subject is a circular (回覧), an
event (出欠), a disaster's safety check (安否) or a city notice (市からのお知らせ, models/city.py:
per person for chairs, per household for residents): all four share the table, so "unread",
"unanswered", proxy answers and answer history are written once for all of them.

The subject is a real foreign key: exactly one of `circular_id`, `event_id`, `disaster_id`, `notice_id` is set
(a CHECK says so), and deleting the subject deletes its receipts (ON DELETE CASCADE). Code that
works for any kind names the subject by its kind ("circular", "event", "safety", "notice": the `SUBJECT` of
models.circulars / events / safety / city, as reminders do) and an id: `Delivery.of(kind, id)` is the
WHERE clause, `write_receipts(session, association_id, kind, id, ...)` writes them, and
`delivery.subject` reads one back as (kind, id).
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Iterable, NamedTuple, Optional

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import Boolean, CheckConstraint, ColumnElement, ForeignKey, Index, Integer, String, insert, text
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk, utcnow
from .roster import Household, Member

# subject kind → the foreign-key column of `deliveries` that holds it
SUBJECT_COLUMNS = {"circular": "circular_id", "event": "event_id", "safety": "disaster_id", "notice": "notice_id"}


class Subject(NamedTuple):
    kind: str  # circular / event / safety / notice
    id: int


def _subject_indexes() -> tuple[Index, ...]:
    """Per kind, partial on its column: one receipt per household (or person) and subject, and the
    reminder / 状況 query (unread rows of one subject). A row is in the indexes of its kind only."""
    out: list[Index] = []
    for column in SUBJECT_COLUMNS.values():
        where = text(f"{column} IS NOT NULL")
        name = column.removesuffix("_id")
        out.append(Index(f"uq_deliveries_{name}", column, "household_id", "person_key", unique=True,
                         sqlite_where=where, postgresql_where=where))
        out.append(Index(f"ix_deliveries_{name}_unread", column, "read_at",
                         sqlite_where=where, postgresql_where=where))
    return tuple(out)


ONE_SUBJECT = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in SUBJECT_COLUMNS.values()) + " = 1"


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (CheckConstraint(ONE_SUBJECT, name="one_subject"), *_subject_indexes())
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    # the subject: exactly one of these (SUBJECT_COLUMNS)
    circular_id: Mapped[Optional[int]] = mapped_column(ForeignKey("circulars.id", ondelete="CASCADE"))
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    disaster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("disasters.id", ondelete="CASCADE"))
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city_notices.id", ondelete="CASCADE"))
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

    @classmethod
    def subject_column(cls, kind: str) -> InstrumentedAttribute[Optional[int]]:
        try:
            return getattr(cls, SUBJECT_COLUMNS[kind])
        except KeyError:
            raise ValueError(f"unknown subject kind {kind!r}") from None

    @classmethod
    def of(cls, kind: str, subject_id: int) -> ColumnElement[bool]:
        """WHERE clause: the receipts of one subject (`Delivery.of("circular", c.id)`)."""
        return cls.subject_column(kind) == subject_id

    @classmethod
    def of_kind(cls, kind: str) -> ColumnElement[bool]:
        """WHERE clause: the receipts of every subject of a kind (every safety report)."""
        return cls.subject_column(kind).is_not(None)

    @property
    def subject(self) -> Subject | None:
        """(kind, id) of the subject (None only on a row not given one yet)."""
        for kind, column in SUBJECT_COLUMNS.items():
            value = getattr(self, column)
            if value is not None:
                return Subject(kind, value)
        return None

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
        entry = DeliveryHistory(association_id=self.association_id, answer=answer, answer_data=data,
                                member=by, proxy=proxy, at=at)
        state = sa_inspect(self)
        if "history" in state.unloaded and state.session is not None and self.id is not None:
            # not loaded: set from the child's side (the backref queues it without loading every
            # earlier answer to append one; a later read of `history` finds it)
            entry.delivery = self
            state.session.add(entry)
        else:
            self.history.append(entry)


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


def write_receipts(session: Session, association_id: int, kind: str, subject_id: int,
                   receipts: Iterable[tuple[int, int, bool]], at: dt.datetime, pages: bool = False) -> int:
    """Create the receipts of a send of subject (`kind`, `subject_id`) in one INSERT: (household id,
    person key, via LINE) each.

    One statement instead of one ORM object per household: a 20,000-household send takes a
    fraction of a second instead of seconds holding the database (docs/benchmarks.md).
    """
    column = Delivery.subject_column(kind).key
    rows = [{"association_id": association_id, column: subject_id,
             "household_id": hid, "person_key": key, "via_line": via_line, "delivered_at": at,
             "page_token": secrets.token_urlsafe(16) if pages else None, "answered_by_proxy": False}
            for hid, key, via_line in receipts]
    if rows:
        session.execute(insert(Delivery), rows)
    return len(rows)

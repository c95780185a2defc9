"""Disaster mode (災害モード): one active per association, safety checks on the shared receipt.

A household's safety report is its `Delivery` row (kind SUBJECT "safety", `disaster_id` = the
disaster): any member's answer counts for the household, later answers replace it and the
history stays. Locations live in their own table so they can be shown only to disaster officers
and purged a number of days after the mode ends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

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
    bindparam,
    false,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column

from .base import Base, association_fk, created, intpk
from .delivery import Delivery, DeliveryHistory
from .roster import OFFICER_ROLES, Household, Member, MemberStatus, Role

SUBJECT = "safety"
STATUSES = ("rescue", "injured", "evacuated", "safe")  # the order officers read them in


_STATEMENTS: dict = {}  # prebuilt statements, built once per process: building one costs about as much as running it


class Disaster(Base):
    __tablename__ = "disasters"
    __table_args__ = (
        # at most one active disaster mode per association, enforced by the database
        Index("uq_disasters_one_active", "association_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    kind: Mapped[str] = mapped_column(String(10))  # quake / flood / other
    message: Mapped[str] = mapped_column(Text, default="")
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    started_at: Mapped[created]
    ended_at: Mapped[Optional[dt.datetime]]
    ended_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    purge_after: Mapped[Optional[dt.datetime]]  # locations are deleted after this
    purged_at: Mapped[Optional[dt.datetime]]
    # when the still-silent households went to their block leaders after the last re-ask
    visits_sent_at: Mapped[Optional[dt.datetime]]
    # a drill (訓練, models/drills.py): the same safety check, marked 【訓練】, its figures kept apart
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SafetyAsk(Base):
    """Round 0 is the first check; rounds 1.. are re-asks of silent households."""

    __tablename__ = "safety_asks"
    __table_args__ = (UniqueConstraint("disaster_id", "round"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    disaster_id: Mapped[int] = mapped_column(ForeignKey("disasters.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[created]
    households: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class SafetyLocation(Base):
    __tablename__ = "safety_locations"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    disaster_id: Mapped[int] = mapped_column(ForeignKey("disasters.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    at: Mapped[created]


class SafetyPhoto(Base):
    """A photo a resident sent during disaster mode: part of the household's report (連絡事項).

    The handler only writes the row (`pending`, no data) and answers at once; the scheduler's
    `fetch_photos` downloads it from LINE's content API outside any transaction (once: the message
    id is unique and each try is claimed first), at most PHOTO_ATTEMPTS times, then `stored` or
    `failed`. Purged with the locations; erased at 退会 with the member's other data.
    """

    __tablename__ = "safety_photos"
    __table_args__ = (Index("ix_safety_photos_status", "status"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    disaster_id: Mapped[int] = mapped_column(ForeignKey("disasters.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    line_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[Optional[str]] = mapped_column(String(100))
    data: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # NULL until downloaded
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="stored")  # pending / stored / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[Optional[dt.datetime]]  # a claimed try: nobody else tries before this
    at: Mapped[created]


NEEDS = ("food", "medicine", "mobility", "power", "contact")  # 食料・水, 薬, 移動の手助け, 停電, 連絡がほしい
OUTCOMES = ("safe", "injured", "rescue", "absent")  # a responder's report: 訪問しました・無事 … 不在


class SafetyAssignment(Base):
    """Who goes: an officer or block leader sends a member (usually the 班長 or a neighbour) to a
    household; the responder reports back with buttons (the household's report, 代理)."""

    __tablename__ = "safety_assignments"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    disaster_id: Mapped[int] = mapped_column(ForeignKey("disasters.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    responder_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    assigned_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    assigned_at: Mapped[created]
    outcome: Mapped[Optional[str]] = mapped_column(String(10))  # OUTCOMES, once reported
    reported_at: Mapped[Optional[dt.datetime]]


def needs_of(data: dict[str, Any] | None) -> list[str]:
    """The household's needs (answer_data["needs"]) in NEEDS order."""
    got = (data or {}).get("needs")
    return [n for n in NEEDS if isinstance(got, list) and n in got]


def may_see_safety(member: Member | None) -> bool:
    """Who may open the live safety page (/admin/safety/) — and so gets its link in 「安否状況」:
    every active officer; a block leader only with a 班 (locations: see bot/web/safety_page.py)."""
    if member is None or member.status != MemberStatus.active or member.role not in OFFICER_ROLES:
        return False
    return member.role != Role.block_leader or member.led_block_id is not None


# --- 連絡事項 with their authors -------------------------------------------------------------
# A report's answer_data keeps every note with who wrote it: {"notes": [{"m": member id, "t": text}],
# "comment": the notes joined, as shown}. 退会 then erases exactly that person's words.


def notes_of(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    notes = (data or {}).get("notes")
    if isinstance(notes, list):
        return [n for n in notes if isinstance(n, dict) and isinstance(n.get("t"), str)]
    old = (data or {}).get("comment")  # a report written before authors were kept: nobody's
    return [{"m": None, "t": old}] if isinstance(old, str) and old else []


def with_notes(data: dict[str, Any] | None, notes: list[dict[str, Any]], limit: int) -> dict[str, Any] | None:
    """`data` with these notes (the oldest dropped while all of them are longer than `limit`)."""
    notes = list(notes)
    while len(notes) > 1 and sum(len(n["t"]) + 1 for n in notes) - 1 > limit:
        notes.pop(0)
    out = {k: v for k, v in (data or {}).items() if k not in ("notes", "comment")}
    if notes:
        out["notes"], out["comment"] = notes, "\n".join(n["t"] for n in notes)
    return out or None


def add_note(data: dict[str, Any] | None, member_id: int | None, note: str, limit: int) -> dict[str, Any] | None:
    return with_notes(data, notes_of(data) + [{"m": member_id, "t": note[:limit]}], limit)


def without_notes_of(data: dict[str, Any] | None, member_id: int) -> tuple[dict[str, Any] | None, list[str]]:
    """`data` without the notes `member_id` wrote, and the words taken out."""
    if not data or not isinstance(data.get("notes"), list):
        return data, []
    notes = notes_of(data)
    gone = [n["t"] for n in notes if n.get("m") == member_id]
    if not gone:
        return data, []
    return with_notes(data, [n for n in notes if n.get("m") != member_id], 10**9), gone


def active_disaster(session: Session, association_id: int) -> Disaster | None:
    if "active" not in _STATEMENTS:  # prebuilt: every answer of a disaster burst asks
        _STATEMENTS["active"] = select(Disaster).where(Disaster.association_id == bindparam("association_id"),
                                                       Disaster.ended_at.is_(None))
    return session.scalar(_STATEMENTS["active"], {"association_id": association_id})


def active_real(session: Session, association_id: int) -> Disaster | None:
    """The active disaster mode unless it is a drill (a real start ends a drill: start_disaster)."""
    d = active_disaster(session, association_id)
    return d if d is not None and not d.drill else None


def latest_location(session: Session, delivery_id: int) -> SafetyLocation | None:
    return session.scalars(select(SafetyLocation).where(SafetyLocation.delivery_id == delivery_id)
                           .order_by(SafetyLocation.at.desc(), SafetyLocation.id.desc()).limit(1)).first()


@dataclass
class SafetyBoard:
    """What officers see: counts, rescue requests on top, silent households (要支援 first)."""

    disaster: Disaster
    rows: list[Delivery] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    per_block: dict[str, tuple[int, int]] = field(default_factory=dict)  # 班 → (answered, total)
    rescue: list[Delivery] = field(default_factory=list)
    silent: list[Delivery] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)


def board(session: Session, d: Disaster, block_id: int | None = None) -> SafetyBoard:
    q = (select(Delivery).join(Delivery.household)
         .where(Delivery.of(SUBJECT, d.id))
         .options(joinedload(Delivery.household).joinedload(Household.block)))
    if block_id is not None:
        q = q.where(Household.block_id == block_id)
    rows = list(session.scalars(q))
    order = {s: i for i, s in enumerate(STATUSES)}
    rows.sort(key=lambda r: (order.get(r.answer or "", len(STATUSES)) if r.answer else len(STATUSES) + 1,
                             not r.household.needs_support, r.household.block.position, r.household_id))
    b = SafetyBoard(d, rows)
    b.counts = {s: sum(1 for r in rows if r.answer == s) for s in STATUSES}
    for r in rows:
        name = r.household.block.name
        answered, total = b.per_block.get(name, (0, 0))
        b.per_block[name] = (answered + (r.answer is not None), total + 1)
    b.rescue = [r for r in rows if r.answer == "rescue"]
    b.silent = [r for r in rows if r.answer is None]
    return b


def silent_households(session: Session, disaster_id: int) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(
        Delivery.of(SUBJECT, disaster_id), Delivery.answer.is_(None))
        .options(joinedload(Delivery.household).joinedload(Household.block))))


def prior_reports(session: Session, delivery_id: int) -> list:
    """The receipt's history as plain rows (id, answer, member_id, proxy, at), oldest first: what
    most_serious reads, without loading a DeliveryHistory object for each earlier answer (every
    answer of a disaster burst asks, issue 15)."""
    if "prior" not in _STATEMENTS:
        h = DeliveryHistory
        _STATEMENTS["prior"] = (select(h.id, h.answer, h.member_id, h.proxy, h.at)
                                .where(h.delivery_id == bindparam("delivery_id")).order_by(h.id))
    return list(session.execute(_STATEMENTS["prior"], {"delivery_id": delivery_id}))


def most_serious(history) -> "object | None":
    """The household's standing report: of each reporter's latest report (a member may lower
    their own: a correction), the most serious (救助が必要 > けが人あり > 避難しました > 無事). A
    milder report from another member never lowers what someone else reported. `history`: the
    receipt's DeliveryHistory rows (or prior_reports' rows, with the answer being recorded last),
    oldest first; the row returned is one of them."""
    latest: dict = {}
    for h in history:
        if h.answer in STATUSES:
            latest[h.member_id if h.member_id is not None else ("nobody", h.id)] = h
    if not latest:
        return None
    # most serious first; of equals, the latest
    return min(latest.values(), key=lambda h: (STATUSES.index(h.answer), -h.id if h.id else 0))


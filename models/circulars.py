"""Circulars (回覧) and their attachments."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk, utcnow
from .delivery import Delivery, write_receipts
from .roster import OFFICER_ROLES, Block, Household, Member, MemberStatus


class Target(str, enum.Enum):
    all = "all"  # 全体
    blocks = "blocks"  # chosen 班
    officers = "officers"  # 役員のみ


class CircularState(str, enum.Enum):
    draft = "draft"
    sent = "sent"


class Circular(Base):
    __tablename__ = "circulars"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    title: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[Target] = mapped_column(Enum(Target, native_enum=False, length=10), default=Target.all)
    target_block_ids: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    state: Mapped[CircularState] = mapped_column(
        Enum(CircularState, native_enum=False, length=10), default=CircularState.draft
    )
    # bumped on every edit: a [送信] button of an older preview is refused
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created]
    sent_at: Mapped[Optional[dt.datetime]]
    push_count: Mapped[int] = mapped_column(Integer, default=0)  # push messages this circular consumed
    # days after sending at which unread households get a reminder ([] = none)
    reminder_plan: Mapped[list[Any]] = mapped_column(default=lambda: [2])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="circular", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class Attachment(Base):
    """An image or PDF an officer sent while drafting; served on the circular's page."""

    __tablename__ = "attachments"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    circular_id: Mapped[int] = mapped_column(ForeignKey("circulars.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # image / file
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created]
    circular: Mapped[Circular] = relationship(back_populates="attachments")


# --- circular operations -------------------------------------------------------------------

SUBJECT = "circular"


@dataclass
class Audience:
    """Who a circular reaches: households (LINE or paper) and the LINE users to push to."""

    households: list[Household]
    line_households: list[Household]
    paper_households: list[Household]
    recipients: list[Member] = field(default_factory=list)

    @property
    def user_ids(self) -> list[str]:
        return [m.line_user_id for m in self.recipients]


def audience(session: Session, c: Circular) -> Audience:
    active = (Member.association_id == c.association_id) & (Member.status == MemberStatus.active) \
        & Member.line_user_id.is_not(None)
    if c.target == Target.officers:
        recipients = list(session.scalars(select(Member).where(active, Member.role.in_(OFFICER_ROLES))
                                          .order_by(Member.id)))
        households = sorted({m.household for m in recipients if m.household}, key=lambda h: h.id)
        return Audience(households, households, [], recipients)
    q = select(Household).where(Household.association_id == c.association_id).order_by(Household.block_id, Household.id)
    if c.target == Target.blocks:
        q = q.where(Household.block_id.in_(c.target_block_ids or [-1]))
    households = list(session.scalars(q))
    ids = [h.id for h in households]
    recipients = list(session.scalars(select(Member).where(active, Member.household_id.in_(ids or [-1]))
                                      .order_by(Member.id)))
    with_line = {m.household_id for m in recipients}
    return Audience(households, [h for h in households if h.id in with_line],
                    [h for h in households if h.id not in with_line], recipients)


def target_block_names(session: Session, c) -> list[str]:
    """The names of the 班 a circular or an event goes to (in 班 order; empty unless target is blocks).
    handlers.messages.labels.target_label words them."""
    if c.target != Target.blocks:
        return []
    return list(session.scalars(select(Block.name).where(Block.id.in_(c.target_block_ids or [-1]))
                                .order_by(Block.position)))


def target_label(session: Session, c: Circular) -> str:
    # TEMPORARY (branch words): the words moved to handlers.messages.labels.target_label; this copy stays
    # only until handlers/circulars.py and handlers/events/drafting.py (rewritten on other branches) call
    # that instead. Delete it then, and its entry in tests/test_words.py PENDING_OTHER_BRANCHES.
    if c.target == Target.all:
        return "全体"
    if c.target == Target.officers:
        return "役員のみ"
    return "・".join(target_block_names(session, c)) or "（班が未選択）"


def mark_sent(session: Session, c: Circular, aud: Audience, now=None) -> None:
    """Create the per-household receipts; the circular is now sent."""
    now = now or utcnow()
    line_ids = {h.id for h in aud.line_households}
    write_receipts(session, c.association_id, SUBJECT, c.id, ((h.id, 0, h.id in line_ids) for h in aud.households),
                   now, pages=True)
    c.state, c.sent_at, c.push_count = CircularState.sent, now, len(aud.recipients)


def delivery_for(session: Session, c: Circular, household_id: int | None) -> Delivery | None:
    if household_id is None:
        return None
    return session.scalar(select(Delivery).where(Delivery.subject_type == SUBJECT, Delivery.subject_id == c.id,
                                                 Delivery.household_id == household_id, Delivery.person_key == 0))

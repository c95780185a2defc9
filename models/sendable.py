"""What a circular (回覧) and an event (行事) share: drafted by an officer, aimed at everyone, some 班
or the officers, sent once (draft → sent), and who that reaches.

`Sendable` is the declarative mixin of those columns (same names and types as the tables have
had since their migrations: mixing it in changes no schema); `audience` and `target_label` work
for either model.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import Enum, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import association_fk, created
from .roster import OFFICER_ROLES, Block, Household, Member, MemberStatus


class Target(str, enum.Enum):
    all = "all"  # 全体
    blocks = "blocks"  # chosen 班
    officers = "officers"  # 役員のみ


class SendState(str, enum.Enum):
    draft = "draft"
    sent = "sent"


class Sendable:
    """Mixin of models.Circular and models.Event: the columns they share."""

    association_id: Mapped[int] = association_fk()
    target: Mapped[Target] = mapped_column(Enum(Target, native_enum=False, length=10), default=Target.all)
    target_block_ids: Mapped[list[Any]] = mapped_column(default=list)  # the chosen 班 (Target.blocks)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    state: Mapped[SendState] = mapped_column(Enum(SendState, native_enum=False, length=10),
                                             default=SendState.draft)
    # bumped on every edit of the draft: a [送信] button of an older preview is refused
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created]
    sent_at: Mapped[Optional[dt.datetime]]
    push_count: Mapped[int] = mapped_column(Integer, default=0)  # push messages the send consumed


@dataclass
class Audience:
    """Who a circular or event reaches: households (LINE or paper) and the LINE users to push to."""

    households: list[Household]
    line_households: list[Household]
    paper_households: list[Household]
    recipients: list[Member] = field(default_factory=list)

    @property
    def user_ids(self) -> list[str]:
        return [m.line_user_id for m in self.recipients]


def audience(session: Session, s: Sendable) -> Audience:
    active = (Member.association_id == s.association_id) & (Member.status == MemberStatus.active) \
        & Member.line_user_id.is_not(None)
    if s.target == Target.officers:
        recipients = list(session.scalars(select(Member).where(active, Member.role.in_(OFFICER_ROLES))
                                          .order_by(Member.id)))
        households = sorted({m.household for m in recipients if m.household}, key=lambda h: h.id)
        return Audience(households, households, [], recipients)
    q = select(Household).where(Household.association_id == s.association_id).order_by(Household.block_id, Household.id)
    if s.target == Target.blocks:
        q = q.where(Household.block_id.in_(s.target_block_ids or [-1]))
    households = list(session.scalars(q))
    ids = [h.id for h in households]
    recipients = list(session.scalars(select(Member).where(active, Member.household_id.in_(ids or [-1]))
                                      .order_by(Member.id)))
    with_line = {m.household_id for m in recipients}
    return Audience(households, [h for h in households if h.id in with_line],
                    [h for h in households if h.id not in with_line], recipients)


def target_block_names(session: Session, s: Sendable) -> list[str]:
    """The names of the 班 a circular or an event goes to (in 班 order; empty unless target is blocks).
    handlers.messages.labels.target_label words them."""
    if s.target != Target.blocks:
        return []
    return list(session.scalars(select(Block.name).where(Block.id.in_(s.target_block_ids or [-1]))
                                .order_by(Block.position)))


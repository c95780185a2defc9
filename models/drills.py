"""Drills (訓練): a safety check like a real disaster's (a Disaster row with `drill` set), marked
【訓練】 in every message and kept out of real disasters' figures; planned ones start by themselves
at the time the chair picked (scheduler.safety.start_planned_drills). The figures of a drill's
report: when 25/50/75/90 % of households had answered, the answer curve, per 班, the silent ones.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, association_fk, created, intpk
from .delivery import Delivery, DeliveryHistory
from .roster import Block, Household
from .safety import SUBJECT, Disaster

MARKS = (25, 50, 75, 90)  # the shares of households whose answer times a drill's report gives


class DrillPlan(Base):
    """An unannounced drill the chair or 防災担当 scheduled: `planned` until its time, then
    `started` (with its disaster), `skipped` (a disaster mode was active) or `cancelled`."""

    __tablename__ = "drill_plans"
    __table_args__ = (Index("ix_drill_plans_state_at", "state", "start_at"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    kind: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(10), default="planned")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[created]
    disaster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("disasters.id", ondelete="SET NULL"))


@dataclass
class DrillFigures:
    disaster: Disaster
    total: int
    answered: int
    # minutes from the start at which each share of MARKS was reached (None: never)
    marks: dict[int, Optional[float]] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)  # each answering household's first answer, minutes
    per_block: list[tuple[str, int, int, Optional[float]]] = field(default_factory=list)  # 班, answered, total, 50 % time
    silent: list[tuple[str, str, bool]] = field(default_factory=list)  # 班, household, 要支援

    @property
    def share(self) -> float:
        return self.answered / self.total if self.total else 0.0


def mark_time(times: list[float], total: int, pct: int) -> Optional[float]:
    """The time at which `pct` % of `total` households had answered: the k-th earliest first
    answer, k = ⌈total × pct / 100⌉ (so 25 % of 10 households is the 3rd answer)."""
    if total == 0:
        return None
    k = max(1, math.ceil(total * pct / 100 - 1e-9))
    return times[k - 1] if k <= len(times) else None


def figures(session: Session, d: Disaster, block_id: int | None = None) -> DrillFigures:
    """One query: each household (of `block_id`'s 班, or all) with its first answer (any member's,
    or a proxy's)."""
    first = (select(DeliveryHistory.delivery_id, func.min(DeliveryHistory.at).label("at"))
             .join(Delivery, Delivery.id == DeliveryHistory.delivery_id)
             .where(Delivery.of(SUBJECT, d.id)).group_by(DeliveryHistory.delivery_id).subquery())
    rows = session.execute(
        select(Delivery.id, Block.name, Block.position, Household.name, Household.needs_support, first.c.at)
        .join(Household, Household.id == Delivery.household_id).join(Block, Block.id == Household.block_id)
        .outerjoin(first, first.c.delivery_id == Delivery.id)
        .where(Delivery.of(SUBJECT, d.id), *([Household.block_id == block_id] if block_id is not None else []))
        .order_by(Block.position, Block.id, Household.needs_support.desc(), Household.id)).all()
    start = d.started_at

    def minutes(at) -> float:
        return max(0.0, (at - start).total_seconds() / 60)

    times = sorted(minutes(r.at) for r in rows if r.at is not None)
    f = DrillFigures(d, len(rows), len(times), {p: mark_time(times, len(rows), p) for p in MARKS}, times)
    blocks: dict[str, list] = {}
    for r in rows:
        blocks.setdefault(r[1], []).append(r)
        if r.at is None:
            f.silent.append((r[1], r[3], bool(r.needs_support)))
    for name, rs in blocks.items():
        ts = sorted(minutes(r.at) for r in rs if r.at is not None)
        f.per_block.append((name, len(ts), len(rs), mark_time(ts, len(rs), 50)))
    f.silent.sort(key=lambda s: not s[2])  # 要支援 first (then 班 order, as read)
    return f


def drills_of(session: Session, association_id: int) -> list[Disaster]:
    """The association's drills, newest first."""
    return list(session.scalars(select(Disaster).where(Disaster.association_id == association_id,
                                                       Disaster.drill.is_(True))
                                .order_by(Disaster.started_at.desc(), Disaster.id.desc())))


def fiscal_year(at: dt.datetime, tz) -> int:
    """The Japanese 年度 (April to March) a moment falls in, in the association's time zone."""
    local = at.astimezone(tz)
    return local.year if local.month >= 4 else local.year - 1

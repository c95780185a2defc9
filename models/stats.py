"""Read rates: overall, per 班, and who has not read. Shared by 「状況」 and the web pages."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .circulars import SUBJECT, Circular, CircularState
from .delivery import Delivery
from .roster import Household


@dataclass
class BlockRate:
    block: str
    read: int = 0
    total: int = 0


@dataclass
class ReadStats:
    circular: Circular
    read: int = 0
    total: int = 0
    blocks: list[BlockRate] = field(default_factory=list)
    unread: list[Household] = field(default_factory=list)  # needs-support first, then by 班
    unread_paper: set[int] = field(default_factory=set)  # household ids delivered on paper

    @property
    def rate(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


def read_stats(session: Session, c: Circular, block_id: int | None = None) -> ReadStats:
    """Stats of one sent circular; `block_id` limits them to one 班 (what a block leader sees)."""
    q = (select(Delivery).join(Delivery.household)
         .where(Delivery.of(SUBJECT, c.id))
         .options(joinedload(Delivery.household).joinedload(Household.block))
         .order_by(Household.block_id, Household.id))
    if block_id is not None:
        q = q.where(Household.block_id == block_id)
    st = ReadStats(c)
    per_block: dict[int, BlockRate] = {}
    for d in session.scalars(q):
        h = d.household
        br = per_block.setdefault(h.block_id, BlockRate(h.block.name))
        br.total += 1
        st.total += 1
        if d.read_at is not None:
            br.read += 1
            st.read += 1
        else:
            st.unread.append(h)
            if not d.via_line:
                st.unread_paper.add(h.id)
    st.blocks = list(per_block.values())
    st.unread.sort(key=lambda h: (not h.needs_support, h.block.position, h.id))
    return st


def recent_circulars(session: Session, association_id: int, limit: int = 3,
                     since: dt.datetime | None = None) -> list[Circular]:
    q = (select(Circular).where(Circular.association_id == association_id, Circular.state == CircularState.sent)
         .order_by(Circular.sent_at.desc(), Circular.id.desc()).limit(limit))
    if since is not None:
        q = q.where(Circular.sent_at >= since)
    return list(session.scalars(q))

"""When LINE itself is down: urgent pushes wait in the outbox and nothing has left for a while.

`line_down_since` reads it off the outbox of one channel: the oldest urgent row (a safety check,
a re-ask, a rescue alert: priority ≥ URGENT_MIN) has waited longer than OUTAGE_AFTER, and no row of
that channel was sent in that time. The outbox keeps every row and sends it when LINE answers
again, as always; `LineOutage` records each outage the scheduler noticed (scheduler/outage.py), so
that the block leaders get their 連絡網 once, as soon as LINE answers again.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, and_, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, intpk
from .infra import OutboxMessage
from .roster import Association
from .tenancy import Channel

OUTAGE_AFTER = dt.timedelta(minutes=5)
URGENT_MIN = 50  # handlers/safety/common.py: DISASTER (checks, re-asks) = 50, URGENT (rescue) = 100
WAITING = ("pending", "sending")


class LineOutage(Base):
    """One outage of one channel (None: the environment's channel), from when the oldest urgent row
    waited to when a send went through again."""

    __tablename__ = "line_outages"
    id: Mapped[intpk]
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    since: Mapped[dt.datetime]  # the oldest urgent row's created_at
    noticed_at: Mapped[dt.datetime]
    recovered_at: Mapped[Optional[dt.datetime]]


def _of_channel(channel_id: Optional[int]):
    return OutboxMessage.channel_id.is_(None) if channel_id is None else OutboxMessage.channel_id == channel_id


def line_down_since(session: Session, channel_id: Optional[int], now: dt.datetime) -> Optional[dt.datetime]:
    """Since when urgent rows of the channel wait with nothing sent (None: LINE is answering)."""
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(
        _of_channel(channel_id), OutboxMessage.status.in_(WAITING), OutboxMessage.priority >= URGENT_MIN))
    if oldest is None or now - oldest < OUTAGE_AFTER:
        return None
    last_sent = last_sent_at(session, channel_id)
    if last_sent is not None and now - last_sent < OUTAGE_AFTER:
        return None
    return oldest


def last_sent_at(session: Session, channel_id: Optional[int]) -> Optional[dt.datetime]:
    return session.scalar(select(func.max(OutboxMessage.sent_at)).where(
        _of_channel(channel_id), OutboxMessage.status == "sent"))


def channels_waiting(session: Session) -> list[Optional[int]]:
    """The channels with urgent rows waiting, and those with an outage not yet over."""
    waiting = session.scalars(select(OutboxMessage.channel_id).where(
        OutboxMessage.status.in_(WAITING), OutboxMessage.priority >= URGENT_MIN).distinct()).all()
    open_ = session.scalars(select(LineOutage.channel_id).where(LineOutage.recovered_at.is_(None))).all()
    return list(dict.fromkeys([*waiting, *open_]))


def open_outage(session: Session, channel_id: Optional[int]) -> Optional[LineOutage]:
    cond = LineOutage.channel_id.is_(None) if channel_id is None else LineOutage.channel_id == channel_id
    return session.scalars(select(LineOutage).where(cond, LineOutage.recovered_at.is_(None))
                           .order_by(LineOutage.id.desc()).limit(1)).first()


def since_for(association_id: int):
    """A scalar subquery: since when the outage noticed on the association's channel (its own, else
    its municipality's, else the environment's) lasts, NULL when there is none. One statement, so
    that a page can ask it along with what it loads anyway."""
    own = select(Channel.id).where(Channel.association_id == association_id).scalar_subquery()
    city = (select(Channel.id).join(Association, Association.municipality_id == Channel.municipality_id)
            .where(Association.id == association_id).scalar_subquery())
    channel = func.coalesce(own, city)
    return (select(LineOutage.since).where(
        LineOutage.recovered_at.is_(None),
        or_(LineOutage.channel_id == channel, and_(LineOutage.channel_id.is_(None), channel.is_(None))))
        .order_by(LineOutage.id.desc()).limit(1).scalar_subquery())


def outage_since(session: Session, association_id: int) -> Optional[dt.datetime]:
    """Since when LINE is down for the association's residents, as the scheduler noticed it."""
    return session.scalar(select(since_for(association_id)))

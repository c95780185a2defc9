"""City notices (市からのお知らせ): what a municipality's staff send to the associations' chairs,
or to every household of associations on the city channel, with their attachments.

A notice is drafted by one city staff member (author) for their municipality, then sent once
(draft → sent, as circulars). Its receipts are the ordinary per-household / per-person rows of
`deliveries` (subject column `notice_id`, models/delivery.py), one set per association, so read
rates per association are the usual counts.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from dataclasses import dataclass, field

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, Text, distinct, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, created, intpk
from .circulars import Circular
from .delivery import Delivery, write_receipts
from .roster import Association, Household, Member, MemberStatus, Role
from .safety import Disaster
from .sendable import SendState
from .tenancy import Channel

SUBJECT = "notice"


class NoticeAudience(str, enum.Enum):
    chairs = "chairs"  # the chairs (会長) of the chosen associations (all: association_ids == [])
    residents = "residents"  # every household of the chosen associations that use the city channel


class CityNotice(Base):
    __tablename__ = "city_notices"
    id: Mapped[intpk]
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city_staff.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Optional[NoticeAudience]] = mapped_column(Enum(NoticeAudience, native_enum=False, length=10))
    # the chosen associations; [] with audience chairs = every association of the municipality
    association_ids: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[SendState] = mapped_column(Enum(SendState, native_enum=False, length=10), default=SendState.draft)
    # bumped on every edit of the draft: a [送信] button of an older preview is refused
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created]
    sent_at: Mapped[Optional[dt.datetime]]
    push_count: Mapped[int] = mapped_column(Integer, default=0)
    attachments: Mapped[list["NoticeAttachment"]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeAttachment.id")


class NoticeAttachment(Base):
    """An image or PDF the staff member sent while drafting; served on the notice's page."""

    __tablename__ = "city_notice_attachments"
    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("city_notices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # image / file
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created]
    notice: Mapped[CityNotice] = relationship(back_populates="attachments")


# --- the city's figures: aggregates per association (no names but where the association shares) ----

RECENT = dt.timedelta(days=30)  # "recent" circulars and notices on the city's home page


@dataclass
class Rate:
    read: int = 0
    total: int = 0

    @property
    def rate(self) -> Optional[int]:
        return round(100 * self.read / self.total) if self.total else None


@dataclass
class AssociationFigures:
    id: int
    name: str
    district: Optional[str]
    own_channel: bool  # its residents use its own 公式アカウント (else the city's, or the environment's)
    shares_with_city: bool
    households: int = 0
    registered: int = 0  # households with at least one active member on LINE
    circulars: Rate = field(default_factory=Rate)  # receipts of circulars sent since `since`
    notices: Rate = field(default_factory=Rate)  # receipts of city notices sent since `since`
    disaster: Optional[str] = None  # the kind of an active disaster mode


def associations_of(session: Session, municipality_id: int) -> list[Association]:
    return list(session.scalars(select(Association).where(Association.municipality_id == municipality_id)
                                .order_by(Association.district, Association.id)))


def _rates(session: Session, ids: list[int], subject: type, since: dt.datetime) -> dict[int, Rate]:
    """Receipts and reads per association of the subjects (circulars, notices) sent since `since`."""
    column = Delivery.notice_id if subject is CityNotice else Delivery.circular_id
    q = (select(Delivery.association_id, func.count(), func.count(Delivery.read_at))
         .join(subject, column == subject.id)
         .where(Delivery.association_id.in_(ids), subject.sent_at >= since).group_by(Delivery.association_id))
    return {a: Rate(read, total) for a, total, read in session.execute(q)}


def city_figures(session: Session, municipality_id: int, now: dt.datetime,
                 since: Optional[dt.datetime] = None) -> list[AssociationFigures]:
    """Every association of the municipality with its aggregate figures: a handful of grouped
    queries whatever the number of associations (no row per household is loaded)."""
    since = since or now - RECENT
    assocs = associations_of(session, municipality_id)
    ids = [a.id for a in assocs] or [-1]
    own = set(session.scalars(select(Channel.association_id).where(Channel.association_id.in_(ids))))
    households = dict(session.execute(select(Household.association_id, func.count())
                                      .where(Household.association_id.in_(ids)).group_by(Household.association_id)).all())
    registered = dict(session.execute(
        select(Member.association_id, func.count(distinct(Member.household_id)))
        .where(Member.association_id.in_(ids), Member.status == MemberStatus.active,
               Member.line_user_id.is_not(None), Member.household_id.is_not(None))
        .group_by(Member.association_id)).all())
    circulars = _rates(session, ids, Circular, since)
    notices = _rates(session, ids, CityNotice, since)
    disasters = dict(session.execute(select(Disaster.association_id, Disaster.kind)
                                     .where(Disaster.association_id.in_(ids), Disaster.ended_at.is_(None),
                                            Disaster.drill.is_(False))).all())  # a drill is not a disaster
    return [AssociationFigures(a.id, a.name, a.district, a.id in own, bool(a.shares_with_city),
                               households.get(a.id, 0), registered.get(a.id, 0), circulars.get(a.id, Rate()),
                               notices.get(a.id, Rate()), disasters.get(a.id)) for a in assocs]


@dataclass
class NoticeAssociation:
    """One association's receipts of a notice; `unread_names` only where the association shares."""

    id: int
    name: str
    shares_with_city: bool
    read: int = 0
    total: int = 0
    unread_names: list[str] = field(default_factory=list)

    @property
    def rate(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0

    @property
    def unread(self) -> int:
        return self.total - self.read


def notice_figures(session: Session, notice: CityNotice) -> list[NoticeAssociation]:
    """Read figures of a sent notice per association. For a notice to the chairs, the unread
    chairs' names come only from associations that share with the city."""
    rows = session.execute(
        select(Delivery.association_id, func.count(), func.count(Delivery.read_at))
        .where(Delivery.of(SUBJECT, notice.id)).group_by(Delivery.association_id)).all()
    assocs = {a.id: a for a in session.scalars(select(Association).where(
        Association.id.in_([r[0] for r in rows] or [-1])))}
    out = {a: NoticeAssociation(a, assocs[a].name, bool(assocs[a].shares_with_city), read, total)
           for a, total, read in rows if a in assocs}
    if notice.audience == NoticeAudience.chairs:
        sharing = [a for a, f in out.items() if f.shares_with_city and f.unread]
        if sharing:
            for assoc_id, name in session.execute(
                    select(Delivery.association_id, Member.name)
                    .join(Member, Member.id == Delivery.person_key)
                    .where(Delivery.of(SUBJECT, notice.id), Delivery.read_at.is_(None),
                           Delivery.association_id.in_(sharing)).order_by(Member.id)):
                out[assoc_id].unread_names.append(name or "")
    return sorted(out.values(), key=lambda f: (f.read >= f.total, f.name))


def recent_notices(session: Session, municipality_id: int, limit: int = 50) -> list[CityNotice]:
    return list(session.scalars(select(CityNotice).where(CityNotice.municipality_id == municipality_id,
                                                         CityNotice.state == SendState.sent)
                                .order_by(CityNotice.sent_at.desc(), CityNotice.id.desc()).limit(limit)))


# --- whom a notice reaches, association by association ------------------------------------------


@dataclass
class Plan:
    """One association's share of a notice: the receipts to write and the LINE users to push to,
    through the channel its people use."""

    association_id: int
    name: str
    channel_id: Optional[int]
    own_channel: bool
    receipts: list[tuple[int, int, bool]] = field(default_factory=list)  # (household, person key, via LINE)
    user_ids: list[str] = field(default_factory=list)


def pickable(session: Session, municipality_id: int, audience: NoticeAudience,
             staff_channel_id: Optional[int]) -> list[Association]:
    """The associations a notice of this audience may go to: any of the municipality for the
    chairs; for every household, only those whose residents use the staff member's (city) channel."""
    assocs = associations_of(session, municipality_id)
    if audience != NoticeAudience.residents:
        return assocs
    if staff_channel_id is None:  # no city channel: the residents are reached by their associations' own
        return []
    channels = _channels_of(session, municipality_id, [a.id for a in assocs])
    return [a for a in assocs if channels[a.id] == staff_channel_id]


def _channels_of(session: Session, municipality_id: int, ids: list[int]) -> dict[int, Optional[int]]:
    """The channel each association's residents use (as models.tenancy.channel_id_for), in two
    queries for the whole city rather than two per association."""
    own = dict(session.execute(select(Channel.association_id, Channel.id).where(Channel.association_id.in_(ids))).all())
    city = session.scalar(select(Channel.id).where(Channel.municipality_id == municipality_id))
    return {a: own.get(a, city) for a in ids}


def plans(session: Session, notice: CityNotice, staff_channel_id: Optional[int]) -> list[Plan]:
    if notice.audience is None:
        return []
    allowed = pickable(session, notice.municipality_id, notice.audience, staff_channel_id)
    chosen = set(notice.association_ids or [])
    if notice.audience == NoticeAudience.residents or chosen:
        allowed = [a for a in allowed if a.id in chosen]
    ids = [a.id for a in allowed] or [-1]
    own = set(session.scalars(select(Channel.association_id).where(Channel.association_id.in_(ids))))
    channels = _channels_of(session, notice.municipality_id, ids)
    out = {a.id: Plan(a.id, a.name, channels[a.id], a.id in own) for a in allowed}
    on_line = (Member.status == MemberStatus.active) & Member.line_user_id.is_not(None)
    if notice.audience == NoticeAudience.chairs:
        chairs = session.scalars(select(Member).where(Member.association_id.in_(ids), Member.role == Role.chair,
                                                      Member.status == MemberStatus.active,
                                                      Member.household_id.is_not(None)).order_by(Member.id))
        for m in chairs:
            p = out[m.association_id]
            p.receipts.append((m.household_id, m.id, m.line_user_id is not None))
            if m.line_user_id:
                p.user_ids.append(m.line_user_id)
        return list(out.values())
    with_line: dict[int, list[str]] = {}
    for hid, uid in session.execute(select(Member.household_id, Member.line_user_id)
                                    .where(Member.association_id.in_(ids), on_line, Member.household_id.is_not(None))
                                    .order_by(Member.id)):
        with_line.setdefault(hid, []).append(uid)
    for h_id, a_id in session.execute(select(Household.id, Household.association_id)
                                      .where(Household.association_id.in_(ids)).order_by(Household.id)):
        p = out[a_id]
        p.receipts.append((h_id, 0, h_id in with_line))
        p.user_ids += with_line.get(h_id, [])
    return list(out.values())


def mark_sent(session: Session, notice: CityNotice, sent: list[Plan], now: dt.datetime) -> None:
    """The receipts of every association; the notice is now sent."""
    for p in sent:
        write_receipts(session, p.association_id, SUBJECT, notice.id, p.receipts, now, pages=True)
    notice.state, notice.sent_at = SendState.sent, now
    notice.push_count = sum(len(p.user_ids) for p in sent)


def receipt_for(session: Session, notice: CityNotice, member: Member) -> Optional[Delivery]:
    """The receipt a member reads a notice on: their own (a chair's) or their household's."""
    if member.household_id is None:
        return None
    return session.scalars(select(Delivery).where(
        Delivery.of(SUBJECT, notice.id), Delivery.association_id == member.association_id,
        Delivery.household_id == member.household_id, Delivery.person_key.in_((0, member.id)))
        .order_by(Delivery.person_key.desc()).limit(1)).first()

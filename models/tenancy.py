"""The city tier: municipalities, LINE channels and city staff, and which association an event is for.

A deployment holds municipalities → associations → 班 → households. A LINE Messaging API channel
belongs either to one association (its own 公式アカウント) or to a municipality (the city's account,
serving every association of that municipality that has no channel of its own). Without any
channel row, the channel given in the environment (LINE_CHANNEL_SECRET / _ACCESS_TOKEN) is the
channel of the only association: `ChannelRef.env` (id None). Everywhere, channel id None means
that environment channel.

Secrets and tokens are stored encrypted (`secret_enc`, `token_enc`); the process edge (bot/) holds
the key and decrypts them. Nothing here decrypts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, bindparam, case, select
from sqlalchemy.orm import Mapped, Session, contains_eager, mapped_column

from .base import Base, created, intpk, utcnow
from .infra import DialogState
from .mimamori import MimamoriEnrolment
from .roster import Association, Household, Member, MemberStatus


class Municipality(Base):
    """A city, town or village (市区町村) whose associations this deployment serves."""

    __tablename__ = "municipalities"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(60), unique=True)
    code: Mapped[Optional[str]] = mapped_column(String(6))  # 全国地方公共団体コード, optional
    report_categories: Mapped[Optional[str]] = mapped_column(Text)  # 通報 categories, one per line (models/reports.py)
    created_at: Mapped[created]


class Channel(Base):
    """A LINE Messaging API channel: one association's own, or its municipality's (the city channel)."""

    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint("(association_id IS NULL) <> (municipality_id IS NULL)", name="one_owner"),
        UniqueConstraint("association_id"),  # one own channel per association
        UniqueConstraint("municipality_id"),  # LINE's 地方公共団体プラン: one per municipality
    )
    id: Mapped[intpk]
    # the bot's user id: LINE sends it as the webhook body's `destination`
    bot_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    association_id: Mapped[Optional[int]] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    secret_enc: Mapped[str] = mapped_column(Text)  # Fernet token of the channel secret
    token_enc: Mapped[str] = mapped_column(Text)  # Fernet token of the channel access token
    # bumped on every change (rotation, re-keying): processes drop their cached copy
    version: Mapped[int] = mapped_column(Integer, default=1)
    # the add-friend link of the channel's LINE account (https://line.me/R/ti/p/@xxxx), printed as
    # a QR code on the join sheets; None: the sheets say to ask an officer for it
    friend_url: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[created]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def kind(self) -> str:
        return "association" if self.association_id is not None else "municipality"

    def ref(self) -> "ChannelRef":
        return ChannelRef(self.id, self.kind, self.association_id, self.municipality_id)


class CityStaff(Base):
    """市の担当者: city staff of one municipality, known by their LINE user id on one channel."""

    __tablename__ = "city_staff"
    __table_args__ = (UniqueConstraint("channel_id", "line_user_id"),)
    id: Mapped[intpk]
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"), index=True)
    # the channel they talk to kairan on (None: the environment's channel)
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    line_user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[Optional[str]] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    # web sessions carry this number; bumping it ends them all (as Member.session_epoch)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created]


@dataclass(frozen=True)
class ChannelRef:
    """Which channel an event came in on, as plain values (cached by the process edge)."""

    id: Optional[int]  # None: the environment's channel
    kind: str  # "association" | "municipality" | "env"
    association_id: Optional[int] = None  # kind "association" (and "env", once resolved)
    municipality_id: Optional[int] = None  # kind "municipality"

    @classmethod
    def env(cls, association_id: Optional[int] = None) -> "ChannelRef":
        return cls(None, "env", association_id, None)

    @property
    def is_city(self) -> bool:
        return self.kind == "municipality"


def quota_key(channel_id: Optional[int]) -> str:
    """The key of a channel's row in `line_quota` ('default': the environment's channel)."""
    return "default" if channel_id is None else f"channel:{channel_id}"


def _served(ref: ChannelRef):
    """The ids of the associations whose residents use this channel, as a SELECT (None: none)."""
    if ref.kind == "municipality":
        own = select(Channel.association_id).where(Channel.association_id.is_not(None))
        return select(Association.id).where(Association.municipality_id == ref.municipality_id,
                                            Association.id.not_in(own))
    return None if ref.association_id is None else select(Association.id).where(Association.id == ref.association_id)


def served_association_ids(session: Session, ref: ChannelRef) -> list[int]:
    """The associations whose residents use this channel."""
    q = _served(ref)
    return [] if q is None else list(session.scalars(q.order_by(Association.id)))


def served_associations(session: Session, ref: ChannelRef) -> list[Association]:
    """The associations whose residents use this channel, in id order (a city channel's picker)."""
    ids = served_association_ids(session, ref)
    if not ids:
        return []
    return list(session.scalars(select(Association).where(Association.id.in_(ids)).order_by(Association.id)))


def attempt_scope(session: Session, ref: ChannelRef, association_id: Optional[int]) -> tuple[Optional[int], list[int]]:
    """Where wrong 登録コード are counted (the association the JoinAttempt rows are filed under),
    and the associations a code is looked up in.

    An association's own channel (or the environment's): that association. A city channel: the
    whole channel, whatever association the user has picked so far (counted per association, one
    could try 1,000 associations × 5): its rows are filed under the lowest id it serves, and a
    code is looked up among every association it serves. (None, []): a city channel serving none.
    """
    if ref.is_city:
        served = served_association_ids(session, ref)
        return (served[0] if served else None), served
    return association_id, ([association_id] if association_id is not None else [])


def channel_id_for(session: Session, association_id: Optional[int]) -> Optional[int]:
    """The channel an association's residents use: its own, else its municipality's, else None
    (the environment's channel)."""
    if association_id is None:
        return None
    own = session.scalar(select(Channel.id).where(Channel.association_id == association_id))
    if own is not None:
        return own
    return session.scalar(select(Channel.id).join(Association, Association.municipality_id == Channel.municipality_id)
                          .where(Association.id == association_id))


# a member row in use outranks a withdrawn or declined one (after 退会 a user may register elsewhere)
_IN_USE = case((Member.status.in_((MemberStatus.withdrawn, MemberStatus.declined)), 1), else_=0)


_STATEMENTS: dict = {}  # built once per process: building one costs about as much as running it


def _member_statement(env: bool):
    """The member of association :aid with LINE user id :uid (one in use before a withdrawn one)
    with its association, its household (loaded into the session: a handler's `member.household`
    or a receipt's `household` is then no query of its own) and whether 見守り watches them (an
    active enrolment: handlers/mimamori counts their every event as a sign of life); `env`: also
    the id of an active city staff row of that user on the environment's channel (None: none),
    as in resolve's own look-up."""
    if env not in _STATEMENTS:
        uid = bindparam("uid")
        watched = (select(MimamoriEnrolment.id).where(MimamoriEnrolment.member_id == Member.id,
                                                      MimamoriEnrolment.active.is_(True))
                   .exists().label("watched"))
        cols = [Member, Association, watched]
        if env:
            cols.append(select(CityStaff.id).where(CityStaff.channel_id.is_(None), CityStaff.line_user_id == uid,
                                                   CityStaff.active.is_(True))
                        .order_by(CityStaff.id).limit(1).scalar_subquery())
        _STATEMENTS[env] = (select(*cols).join(Association, Association.id == Member.association_id)
                            .outerjoin(Household, Household.id == Member.household_id)
                            .options(contains_eager(Member.household))  # member.household, loaded
                            .where(Member.association_id == bindparam("aid"), Member.line_user_id == uid)
                            .order_by(_IN_USE, Member.id.desc()).limit(1))
    return _STATEMENTS[env]


@dataclass
class Resolved:
    association: Optional[Association]
    member: Optional[Member]
    staff: Optional[CityStaff] = None
    watched: Optional[bool] = None  # the member has an active 見守り enrolment (None: not looked up)


def resolve(session: Session, ref: ChannelRef, user_id: str) -> Resolved:
    """Who is talking on this channel, and for which association.

    The member row among the associations the channel serves (one in use before a withdrawn
    one); else the association a dialog of the user's is about (registration on a city channel);
    else the channel's only association; else None (a city channel, someone not yet registered).
    """
    one = ref.kind != "municipality"  # an association's channel, the environment's: one association
    if one and ref.association_id is not None:
        # the hot path (every tap of a burst): one prebuilt statement gives the member, its
        # association and, on the environment's channel, the city staff row's id
        found = session.execute(_member_statement(ref.kind == "env"),
                                {"aid": ref.association_id, "uid": user_id}).first()
        if found is not None:
            staff = None
            if ref.kind == "env" and found[3] is not None:
                staff = session.get(CityStaff, found[3])
            return Resolved(found[1], found[0], staff, bool(found[2]))
    served = _served(ref)  # a subquery: a city channel's 800 ids are not sent as 800 parameters
    staff = None
    if ref.kind != "association":
        staff = session.scalar(select(CityStaff).where(CityStaff.channel_id.is_(ref.id) if ref.id is None
                                                        else CityStaff.channel_id == ref.id,
                                                        CityStaff.line_user_id == user_id,
                                                        CityStaff.active.is_(True)))
    if served is None:
        return Resolved(None, None, staff)

    def only_one() -> Optional[int]:
        """The channel's association when it serves exactly one (asked only when it matters)."""
        if one:
            return ref.association_id
        ids = session.scalars(served.order_by(Association.id).limit(2)).all()
        return ids[0] if len(ids) == 1 else None

    # the member with its association in one statement (member_association below then finds it
    # in the session's identity map: no second round trip); on one association's channel the
    # statement above found none
    found = None
    if not one:
        found = session.execute(select(Member, Association).join(Association, Association.id == Member.association_id)
                                .where(Member.association_id.in_(served), Member.line_user_id == user_id)
                                .order_by(_IN_USE, Member.id.desc()).limit(1)).first()
    member = found[0] if found is not None else None
    if member is not None and (member.status not in (MemberStatus.withdrawn, MemberStatus.declined)
                               or one or only_one() is not None):
        return Resolved(member_association(session, member), member, staff)
    dialog_assoc = session.scalar(select(DialogState.association_id).where(
        DialogState.line_user_id == user_id, DialogState.association_id.in_(served))
        .order_by(DialogState.updated_at.desc(), DialogState.id.desc()).limit(1))
    if dialog_assoc is not None:
        chosen = session.get(Association, dialog_assoc)
        if member is not None and member.association_id != dialog_assoc:
            member = None
        return Resolved(chosen, member, staff)
    single = only_one()
    if single is not None:
        return Resolved(session.get(Association, single), member, staff)
    return Resolved(None, None, staff)


def member_association(session: Session, member: Member) -> Association:
    return session.get(Association, member.association_id)

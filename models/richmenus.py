"""Rich menus: which menu a member gets, the menus deployed on each channel, and relinks queued
through the outbox.

A menu is known by its key (handlers/messages/menus.py draws and lays it out): `resident` (the
channel's default), `officer` (officer, block leader), `officer_full` (chair, disaster officer:
with 災害モード), `disaster` (everyone while the association's disaster mode is on) and
`disaster_officer` (officers then: with 状況). `RichMenu` keeps, per channel, the LINE richMenuId
of each deployed key and the hash of its content (`kairan richmenu deploy` recreates only what
changed). `enqueue_relink` writes outbox rows of kind "richmenu"; the sender (bot/outbox.py)
decides each user's menu when it sends, from the database then.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, created, intpk, utcnow
from .infra import OutboxMessage
from .roster import Member, MemberStatus, Role
from .safety import active_disaster
from .tenancy import channel_id_for

RESIDENT, OFFICER, OFFICER_FULL, DISASTER, DISASTER_OFFICER = (
    "resident", "officer", "officer_full", "disaster", "disaster_officer")
KEYS = (RESIDENT, OFFICER, OFFICER_FULL, DISASTER, DISASTER_OFFICER)
DEFAULT_KEY = RESIDENT  # the channel's default menu (everyone without a menu of their own)
FULL_ROLES = frozenset({Role.chair, Role.disaster_officer})  # who may start and end 災害モード
OFFICER_MENU_ROLES = frozenset({Role.chair, Role.officer, Role.disaster_officer, Role.block_leader})
KIND = "richmenu"  # the outbox rows' kind (OutboxMessage.kind is 10 characters at most)
PURPOSE = "richmenu:relink"
BULK_MAX = 500  # LINE's limit on the user ids of one bulk link (RichMenuBulkLinkRequest maxItems)
PRIORITY = 10  # before ordinary pushes: a role's buttons should be there when its news arrives


class RichMenu(Base):
    """A rich menu deployed on a channel (None: the environment's channel)."""

    __tablename__ = "rich_menus"
    __table_args__ = (Index("ix_rich_menus_channel_key", "channel_id", "key"),)
    id: Mapped[intpk]
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(30))
    line_menu_id: Mapped[str] = mapped_column(String(100))  # LINE's richMenuId
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the menu object and its image
    created_at: Mapped[created]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _channel_is(channel_id: Optional[int]):
    return RichMenu.channel_id.is_(None) if channel_id is None else RichMenu.channel_id == channel_id


def deployed(session: Session, channel_id: Optional[int]) -> dict[str, RichMenu]:
    """The channel's deployed menus by key."""
    return {m.key: m for m in session.scalars(select(RichMenu).where(_channel_is(channel_id)).order_by(RichMenu.id))}


def key_for(role: Role, disaster: bool) -> str:
    """The menu of a role, in or out of disaster mode."""
    officer = role in OFFICER_MENU_ROLES
    if disaster:
        return DISASTER_OFFICER if officer else DISASTER
    if officer:
        return OFFICER_FULL if role in FULL_ROLES else OFFICER
    return RESIDENT


def menu_key(session: Session, member: Optional[Member]) -> Optional[str]:
    """The menu a member gets now; None: no menu of their own (the channel's default applies:
    someone registering, waiting for approval, withdrawn or unknown)."""
    if member is None or member.status != MemberStatus.active:
        return None
    return key_for(member.role, active_disaster(session, member.association_id) is not None)


def enqueue_relink(session: Session, association_id: int, member_ids, now: dt.datetime | None = None) -> int:
    """Queue a relink of these members' rich menus (the menu is decided when it is sent). Nothing
    is queued on a channel without deployed menus (`kairan richmenu deploy` links everyone)."""
    channel_id = channel_id_for(session, association_id)
    if not member_ids or session.scalar(select(RichMenu.id).where(_channel_is(channel_id)).limit(1)) is None:
        return 0
    users = sorted({u for u in session.scalars(select(Member.line_user_id).where(
        Member.association_id == association_id, Member.id.in_(list(member_ids)))) if u})
    for i in range(0, len(users), BULK_MAX):
        session.add(OutboxMessage(association_id=association_id, channel_id=channel_id, kind=KIND,
                                  recipients=users[i:i + BULK_MAX], messages=[], purpose=PURPOSE,
                                  priority=PRIORITY, next_attempt_at=now or utcnow()))
    return -(-len(users) // BULK_MAX)


def active_member_ids(session: Session, association_id: int) -> list[int]:
    """Every member whose menu may change with the association's mode (disaster start and end)."""
    return list(session.scalars(select(Member.id).where(Member.association_id == association_id,
                                                        Member.status == MemberStatus.active)))


def plan_links(session: Session, association_id: Optional[int], user_ids: list[str]) -> dict[Optional[str], list[str]]:
    """At send time: menu key → the users to link to it (None: unlink, the default applies)."""
    plan: dict[Optional[str], list[str]] = {}
    for uid in user_ids:
        member = session.scalars(select(Member).where(
            Member.association_id == association_id, Member.line_user_id == uid,
            Member.status == MemberStatus.active).limit(1)).first() if association_id is not None else None
        plan.setdefault(menu_key(session, member), []).append(uid)
    return plan

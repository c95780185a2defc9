"""The association and who is in it: 班 (blocks), households and members."""
from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, delete, event, false, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE
from stdnum import damm

from .base import Base, association_fk, created, intpk

# The version of the privacy notice a member consents to (recorded with the consent). Bump it when
# the notice changes materially. (Asking members who consented to an older version again is not
# built yet: see the README.)
PRIVACY_POLICY_VERSION = "2026-11"


class Role(str, enum.Enum):
    chair = "chair"  # 会長
    officer = "officer"  # 役員
    disaster_officer = "disaster_officer"  # 防災担当
    block_leader = "block_leader"  # 班長
    welfare = "welfare"  # 民生委員: a watcher of 見守り (models/mimamori.py); not an officer
    member = "member"
    prospective = "prospective"  # 入会希望者 (waiting for approval)


OFFICER_ROLES = frozenset({Role.chair, Role.officer, Role.disaster_officer, Role.block_leader})
# Roles that act for the whole association (a block leader acts for their own 班 only).
BOARD_ROLES = frozenset({Role.chair, Role.officer, Role.disaster_officer})


class MemberStatus(str, enum.Enum):
    declined = "declined"  # refused consent: nothing but the refusal is kept
    registering = "registering"  # consented, answering 班 and name
    pending = "pending"  # waiting for an officer's approval
    active = "active"
    unfollowed = "unfollowed"  # blocked the account: no pushes
    withdrawn = "withdrawn"  # 退会: personal data erased


class Association(Base):
    __tablename__ = "associations"
    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # the city tier (models/tenancy.py): the municipality it belongs to, and its 地区 there (a
    # resident registering on the city channel picks 地区 → 自治会 → 班)
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"),
                                                           index=True)
    district: Mapped[Optional[str]] = mapped_column(String(60))
    # the association lets its municipality's staff see names (unread chairs, households) on the
    # city pages; without it they see aggregate figures only (APPI: no personal data crosses over)
    shares_with_city: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 通報 categories, one per line (models/reports.py); None: the municipality's, else the defaults
    report_categories: Mapped[Optional[str]] = mapped_column(Text)
    # 避難所・連絡先: free text the board keeps on the dashboard (/admin/shelter), shown by the chat's
    # 避難所・連絡先 view (handlers/views); None: a polite default
    shelter_info: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[created]
    blocks: Mapped[list["Block"]] = relationship(
        back_populates="association", order_by="Block.position", cascade="all, delete-orphan"
    )


class Block(Base):
    """A 班 (block) of the association."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("association_id", "name"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    association: Mapped[Association] = relationship(back_populates="blocks")
    households: Mapped[list["Household"]] = relationship(back_populates="block", order_by="Household.id")


class Household(Base):
    __tablename__ = "households"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"), index=True)
    # the representative's name (世帯代表)
    name: Mapped[str] = mapped_column(String(100))
    # roster says the household uses LINE (有) or gets everything on paper (無)
    on_line: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_support: Mapped[bool] = mapped_column(Boolean, default=False)  # 要支援
    # "4821-3307-5196": 11 random digits and a check digit (codes printed before 2026-12 have 8 digits)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    # "roster" (imported or seeded by officers) or "approval" (made for a newcomer the bot approved)
    origin: Mapped[str] = mapped_column(String(10), default="roster", server_default="roster")
    # 紙で受け取る: the household gets circulars on paper from its 班長, whatever LINE says; set by
    # an officer, with who and when. Nobody on LINE and no paper = 要確認世帯 (models/households.py).
    paper: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the officer (a members.id; no foreign key, so that Member ⋈ Household stays one join path;
    # a withdrawn officer's row stays, nameless)
    paper_by_id: Mapped[Optional[int]] = mapped_column(Integer)
    paper_at: Mapped[Optional[dt.datetime]]
    address: Mapped[Optional[str]] = mapped_column(String(200))  # optional, never asked by the bot
    phone: Mapped[Optional[str]] = mapped_column(String(40))  # optional, never asked by the bot
    created_at: Mapped[created]
    block: Mapped[Block] = relationship(back_populates="households")
    members: Mapped[list["Member"]] = relationship(back_populates="household")

    @property
    def active_members(self) -> list["Member"]:
        return [m for m in self.members if m.status == MemberStatus.active]


class Member(Base):
    """A LINE user of the association. Personal fields are erased on 退会."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("association_id", "line_user_id"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    # indexed alone too: a city channel looks a user up among all its associations (migration 0016)
    line_user_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"), index=True)
    # the 班 the member said they live in (for pending members) / lead (for block leaders)
    block_id: Mapped[Optional[int]] = mapped_column(ForeignKey("blocks.id"))
    name: Mapped[Optional[str]] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.member)
    status: Mapped[MemberStatus] = mapped_column(
        Enum(MemberStatus, native_enum=False, length=20), default=MemberStatus.registering
    )
    language: Mapped[str] = mapped_column(String(10), default="ja")
    consent_at: Mapped[Optional[dt.datetime]]
    consent_policy_version: Mapped[Optional[str]] = mapped_column(String(20))
    declined_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created]
    # Officers' web sessions carry this number; bumping it ends them all (sign-out, role or status change).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    household: Mapped[Optional[Household]] = relationship(back_populates="members")
    block: Mapped[Optional[Block]] = relationship()

    @property
    def is_officer(self) -> bool:
        return self.status == MemberStatus.active and self.role in OFFICER_ROLES

    @property
    def is_board(self) -> bool:
        return self.status == MemberStatus.active and self.role in BOARD_ROLES

    @property
    def led_block_id(self) -> Optional[int]:
        """The 班 a block leader is limited to (None for board members = everything)."""
        if self.role == Role.block_leader:
            return self.block_id or (self.household.block_id if self.household else None)
        return None


@event.listens_for(Member.role, "set", active_history=True)
@event.listens_for(Member.status, "set", active_history=True)
def _end_sessions_on_change(member: Member, value, old, _initiator) -> None:
    """A changed role or status ends the member's web sessions (a re-promoted officer signs in again)."""
    if old is not NO_VALUE and old is not NEVER_SET and old is not None and value != old:
        member.session_epoch = (member.session_epoch or 0) + 1


# --- roster operations ---------------------------------------------------------------------


def normalize_name(name: str) -> str:
    """Names compare ignoring spaces and full/half-width differences (NFKC)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def code_digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isdigit())


# 登録コード: 12 digits printed as 1234-5678-9012, the last one a Damm check digit (it catches every
# single wrong digit and every swap of neighbours). Codes printed before, with 8 digits (1234-5678),
# keep working; attempts are limited per LINE user and per channel (JoinAttempt below) either way.
CODE_DIGITS = 12
LEGACY_CODE_DIGITS = 8


def format_code(digits: str) -> str:
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def new_join_code(session: Session) -> str:
    while True:
        body = f"{secrets.randbelow(10 ** (CODE_DIGITS - 1)):0{CODE_DIGITS - 1}d}"
        code = format_code(body + damm.calc_check_digit(body))
        if session.scalar(select(Household.id).where(Household.join_code == code)) is None:
            return code


def looks_like_code(text: str) -> bool:
    """Text that is only a code's digits (with spaces or dashes): 8 or 12 digits."""
    t = unicodedata.normalize("NFKC", text or "")
    return bool(re.fullmatch(r"[\d\s\-ー－‐―]+", t)) and len(code_digits(t)) in (CODE_DIGITS, LEGACY_CODE_DIGITS)


def could_be_code(text: str) -> bool:
    """Whether the text could be somebody's code: 12 digits with a right check digit, or the 8 of
    an old sheet. Anything else is a typo, not a guess (it cannot hit any household)."""
    digits = code_digits(text)
    return len(digits) == LEGACY_CODE_DIGITS or (len(digits) == CODE_DIGITS and damm.is_valid(digits))


def household_by_code(session: Session, association_id: int | Sequence[int], text: str) -> Household | None:
    """The household of this code among one association's, or among several (the associations a
    city channel serves: a code is unique across the deployment, so it names one association)."""
    if not could_be_code(text):
        return None  # a typo: no need to look
    among = [association_id] if isinstance(association_id, int) else list(association_id)
    if not among:
        return None
    return session.scalar(select(Household).where(Household.association_id.in_(among),
                                                   Household.join_code == format_code(code_digits(text))))


class JoinAttempt(Base):
    """Wrong 登録コード per LINE user (key "user:<id>") and per channel (key "channel").

    The rows of a city channel (it serves many associations: counted per association, one could
    try 1,000 associations × 5) are one set for the whole channel, filed under the lowest id of
    the associations it serves (`attempt_scope` in models/tenancy.py).

    In the database, not in memory: gunicorn runs several workers. A success deletes the user's
    row; 退会 deletes it too (it carries the LINE user id).
    """

    __tablename__ = "join_attempts"
    __table_args__ = (UniqueConstraint("association_id", "key"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    key: Mapped[str] = mapped_column(String(80))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[Optional[dt.datetime]]
    locked_until: Mapped[Optional[dt.datetime]]


@dataclass(frozen=True)
class AttemptPolicy:
    free: int  # wrong codes answered without a pause
    forget_after: dt.timedelta  # failures are forgotten after this long without one
    longest_pause: dt.timedelta
    first_pause: dt.timedelta = dt.timedelta(minutes=1)  # doubled with every further wrong code

    def pause(self, failures: int) -> dt.timedelta | None:
        if failures <= self.free:
            return None
        return min(self.first_pause * 2 ** min(failures - self.free - 1, 20), self.longest_pause)

    def failures_now(self, row: JoinAttempt, now: dt.datetime) -> int:
        """The row's failures that still count (0 once forgotten)."""
        if row.last_failure_at is None or now - row.last_failure_at > self.forget_after:
            return 0
        return row.failures


# Per user: every wrong code, typos included. Per channel: only codes that could be somebody's
# (a typo is no guess), and its pause holds back only users who already have failures: one
# person with many LINE accounts cannot lock registration for the whole association, and a
# user with a clean record is never refused.
USER_POLICY = AttemptPolicy(free=5, forget_after=dt.timedelta(days=1), longest_pause=dt.timedelta(days=1))
CHANNEL_POLICY = AttemptPolicy(free=30, forget_after=dt.timedelta(hours=1), longest_pause=dt.timedelta(hours=1))


def user_attempt_key(line_user_id: str) -> str:
    return f"user:{line_user_id}"


def _attempt_rows(session: Session, association_id: int, line_user_id: str) -> tuple[JoinAttempt, JoinAttempt]:
    """The user's and the channel's rows, created if missing and locked until the commit."""
    keys = [user_attempt_key(line_user_id), "channel"]
    dialect = session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    for key in keys:
        session.execute(ins(JoinAttempt).values(association_id=association_id, key=key, failures=0)
                        .on_conflict_do_nothing(index_elements=["association_id", "key"]))
    rows = {r.key: r for r in session.scalars(
        select(JoinAttempt).where(JoinAttempt.association_id == association_id, JoinAttempt.key.in_(keys))
        .order_by(JoinAttempt.key).with_for_update().execution_options(populate_existing=True))}
    return rows[keys[0]], rows[keys[1]]


def _active(until: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    return until if until is not None and until > now else None


def _pause_for(user: JoinAttempt, channel: JoinAttempt, now: dt.datetime) -> dt.datetime | None:
    """Until when this user's codes are refused: their own pause, and the channel's if they have failures."""
    until = [u for u in (_active(user.locked_until, now),
                         _active(channel.locked_until, now) if USER_POLICY.failures_now(user, now) else None) if u]
    return max(until) if until else None


def join_code_pause(session: Session, association_id: int, line_user_id: str, now: dt.datetime,
                    guess: bool = True) -> dt.datetime | None:
    """Until when codes from this user are refused unread (None: they may try). Locks the rows.

    A typo (`guess=False`) is held back only by the user's own pause: answering it tells nothing."""
    user, channel = _attempt_rows(session, association_id, line_user_id)
    if not guess:
        return _active(user.locked_until, now)
    return _pause_for(user, channel, now)


@dataclass(frozen=True)
class JoinFailure:
    until: dt.datetime | None  # the user's codes are refused until then (None: they may try again now)
    # set when this failure started the channel's first pause since its failures were last forgotten
    # (an hour without a wrong code): the officers are told then, once, not at every longer pause
    channel_paused_until: dt.datetime | None


def record_join_failure(session: Session, association_id: int, line_user_id: str, now: dt.datetime,
                        guess: bool = True) -> JoinFailure:
    """Count a wrong code for the user, and for the channel if it was a guess (not a typo)."""
    # users who gave up long ago are forgotten (their row carries the LINE user id)
    session.execute(delete(JoinAttempt).where(
        JoinAttempt.association_id == association_id, JoinAttempt.key.like("user:%"),
        JoinAttempt.last_failure_at < now - USER_POLICY.forget_after,
        or_(JoinAttempt.locked_until.is_(None), JoinAttempt.locked_until < now)))
    user, channel = _attempt_rows(session, association_id, line_user_id)
    tripped = None
    counted = [(user, USER_POLICY), (channel, CHANNEL_POLICY)] if guess else [(user, USER_POLICY)]
    for row, policy in counted:
        row.failures = policy.failures_now(row, now) + 1
        row.last_failure_at = now
        pause = policy.pause(row.failures)
        if pause is not None:
            row.locked_until = now + pause
            if row is channel and row.failures == policy.free + 1:
                tripped = row.locked_until
    return JoinFailure(_pause_for(user, channel, now) if guess else _active(user.locked_until, now), tripped)


def clear_join_failures(session: Session, association_id: int, line_user_id: str) -> None:
    session.execute(delete(JoinAttempt).where(JoinAttempt.association_id == association_id,
                                              JoinAttempt.key == user_attempt_key(line_user_id)))


def match_household(session: Session, block: Block, name: str) -> Household | None:
    """The one household of the 班 whose representative has this name, or None (none or ambiguous)."""
    key = normalize_name(name)
    hits = [h for h in block.households if normalize_name(h.name) == key]
    return hits[0] if len(hits) == 1 else None


def link_member(member: Member, household: Household) -> None:
    member.household = household
    member.block_id = member.block_id if member.role == Role.block_leader else household.block_id
    member.status = MemberStatus.active
    if member.role == Role.prospective:
        member.role = Role.member
    household.on_line = True


def officers_for_block(session: Session, association_id: int, block_id: int | None) -> list[Member]:
    """Who approves for / is told about a 班: its block leaders, the chair and the officers."""
    rows = session.scalars(select(Member).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.role.in_([Role.chair, Role.officer, Role.block_leader]))).all()
    return [m for m in rows if m.role != Role.block_leader or m.led_block_id == block_id]


def erase_member(member: Member) -> Household | None:
    """退会: erase every personal field at once; the anonymous row stays.

    A roster household stays (it gets circulars on paper now). A household that was made for this
    member at approval, and has nobody else, carries only their name: it is returned so the
    caller deletes it.
    """
    household = member.household
    member.line_user_id = None
    member.name = None
    member.household = None
    member.block_id = None
    member.consent_at = None
    member.consent_policy_version = None
    member.role = Role.member
    member.status = MemberStatus.withdrawn
    others = [m for m in household.members if m is not member and m.status != MemberStatus.withdrawn] if household else []
    if household is not None and not [m for m in others if m.status == MemberStatus.active]:
        household.on_line = False
    return household if household is not None and household.origin == "approval" and not others else None


def current_association(session: Session, slug: str | None = None) -> Association:
    """The association this deployment serves: the one named by `slug` (KAIRAN_ASSOCIATION), or the first."""
    q = select(Association).order_by(Association.id)
    if slug:
        q = q.where(Association.slug == slug)
    assoc = session.scalars(q.limit(1)).first()
    if assoc is None:
        raise RuntimeError("no association in the database: run `kairan demo` or `kairan roster import`")
    return assoc

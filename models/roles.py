"""Roles of members: grant, revoke, and several changes at once (the yearly handover), with the one
rule that always holds: the association keeps at least one active chair (会長).

A role lives on the member's row (`Member.role`, and for a block leader `Member.block_id`, the 班
they lead); every chat tap and every web request reads it again, so a change takes effect on the
member's next tap. Changing the role also ends the member's web sessions (models/roster.py).

Nothing here writes the audit log or tells anyone: the callers do (they know who acted and in what
words)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .roster import Member, MemberStatus, Role

# the roles a member can be given (a member with none is Role.member)
GRANTABLE = (Role.chair, Role.officer, Role.disaster_officer, Role.block_leader, Role.welfare)


class RoleRefused(ValueError):
    """The change is not made; `reason` says why ("last_chair", "no_block", "not_active")."""

    def __init__(self, reason: str, member: Optional[Member] = None):
        super().__init__(reason)
        self.reason = reason
        self.member = member


@dataclass(frozen=True)
class RoleChange:
    member: Member
    role: Role
    block_id: Optional[int]  # the 班 a block leader leads; else the member's home 班
    before_role: Role
    before_block_id: Optional[int]


def home_block_id(member: Member) -> Optional[int]:
    return member.household.block_id if member.household is not None else member.block_id


def active_chairs(session: Session, association_id: int, lock: bool = False) -> list[Member]:
    """`lock`: the rows stay locked until the commit (PostgreSQL), so that two officers who each
    take a role from one of two chairs at the same moment cannot leave none."""
    q = select(Member).where(Member.association_id == association_id, Member.status == MemberStatus.active,
                             Member.role == Role.chair).order_by(Member.id)
    return list(session.scalars(q.with_for_update() if lock else q))


def apply_roles(session: Session, association_id: int,
                wanted: Sequence[tuple[Member, Role, Optional[int]]]) -> list[RoleChange]:
    """Give each member the role (and, for a block leader, the 班); all or nothing.

    Raises RoleRefused before anything is changed when a member is not an active member of the
    association, a block leader has no 班, or no active chair would remain. Members whose role and
    班 stay as they are give no RoleChange."""
    plan = []
    for member, role, block_id in wanted:
        if member.association_id != association_id or member.status != MemberStatus.active:
            raise RoleRefused("not_active", member)
        if role not in GRANTABLE and role != Role.member:
            raise ValueError(f"not a role to give: {role}")
        block_id = block_id if role == Role.block_leader else home_block_id(member)
        if role == Role.block_leader and block_id is None:
            raise RoleRefused("no_block", member)
        if (member.role, member.block_id) == (role, block_id) or (
                role == member.role and role != Role.block_leader):
            continue
        plan.append(RoleChange(member, role, block_id, member.role, member.block_id))
    chairs = {m.id for m in active_chairs(session, association_id, lock=True)}
    for c in plan:
        if c.role == Role.chair:
            chairs.add(c.member.id)
        else:
            chairs.discard(c.member.id)
    if plan and not chairs:
        raise RoleRefused("last_chair", next((c.member for c in plan if c.before_role == Role.chair), None))
    for c in plan:
        c.member.role, c.member.block_id = c.role, c.block_id
    session.flush()
    return plan


def grant(session: Session, member: Member, role: Role, block_id: Optional[int] = None) -> Optional[RoleChange]:
    """Make the member chair, officer, disaster officer or block leader (of `block_id`, default
    their own 班). None: they already had it."""
    if role == Role.block_leader and block_id is None:
        block_id = home_block_id(member)
    done = apply_roles(session, member.association_id, [(member, role, block_id)])
    return done[0] if done else None


def revoke(session: Session, member: Member) -> Optional[RoleChange]:
    """Back to a plain member. Refused (RoleRefused "last_chair") for the association's last chair."""
    done = apply_roles(session, member.association_id, [(member, Role.member, None)])
    return done[0] if done else None


def with_roles(session: Session, association_id: int) -> list[Member]:
    """Active members who have a role (chair first, by GRANTABLE's order)."""
    rows = session.scalars(select(Member).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.role.in_(GRANTABLE))).all()
    return sorted(rows, key=lambda m: (GRANTABLE.index(m.role), m.block_id or 0, m.name or "", m.id))


def chair_count(session: Session, association_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Member).where(
        Member.association_id == association_id, Member.status == MemberStatus.active, Member.role == Role.chair))

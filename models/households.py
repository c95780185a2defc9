"""Households as the dashboard sees them: who is registered on LINE, who gets paper, and the
要確認世帯 — households with nobody registered on LINE *and* no paper delivery, the officers'
list to phone or visit ("LINEも紙も不要" must never happen silently)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from .delivery import Delivery
from .roster import Household, Member, MemberStatus


def _registered():
    """A correlated EXISTS: the household has an active member on LINE."""
    return exists().where(Member.household_id == Household.id, Member.status == MemberStatus.active,
                          Member.line_user_id.is_not(None))


def needs_check_query(association_id: int, block_id: Optional[int] = None):
    q = select(Household).where(Household.association_id == association_id,
                                Household.paper.is_(False), ~_registered())
    if block_id is not None:
        q = q.where(Household.block_id == block_id)
    return q


def needs_check(session: Session, association_id: int, block_id: Optional[int] = None) -> list[Household]:
    """The 要確認世帯 (of one 班 for a block leader), 班 by 班."""
    return list(session.scalars(needs_check_query(association_id, block_id).order_by(Household.block_id, Household.id)))


def needs_check_count(session: Session, association_id: int, block_id: Optional[int] = None) -> int:
    return session.scalar(select(func.count()).select_from(needs_check_query(association_id, block_id).subquery()))


def registered_counts(session: Session, association_id: int) -> dict[int, int]:
    """household id → how many of its members are registered (active on LINE)."""
    rows = session.execute(
        select(Member.household_id, func.count()).where(and_(
            Member.association_id == association_id, Member.status == MemberStatus.active,
            Member.line_user_id.is_not(None), Member.household_id.is_not(None)))
        .group_by(Member.household_id))
    return {hid: n for hid, n in rows}


def contact_rows(session: Session, association_id: int, block_id: int, disaster_id: Optional[int] = None) -> list:
    """連絡網 of one 班: (household, on LINE, its latest safety receipt of the disaster or None),
    要支援 first. "On LINE": an active member is registered and the household is not on paper."""
    households = list(session.scalars(select(Household).where(
        Household.association_id == association_id, Household.block_id == block_id)
        .order_by(Household.needs_support.desc(), Household.id)))
    on_line = registered_counts(session, association_id)
    answers = {}
    if disaster_id is not None and households:
        answers = {d.household_id: d for d in session.scalars(select(Delivery).where(
            Delivery.disaster_id == disaster_id, Delivery.person_key == 0,
            Delivery.household_id.in_([h.id for h in households])))}
    return [(h, bool(on_line.get(h.id)) and not h.paper, answers.get(h.id)) for h in households]

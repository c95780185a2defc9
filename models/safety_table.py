"""The live safety table (/admin/safety/ and its CSV) as plain columns, in a fixed number of queries.

`models.safety.board` loads ORM objects for the chat's 「安否状況」 summary; a page of 3,000
households built from those, with the latest location and the answering member loaded per row,
ran two queries per household. Here one SELECT returns a page of rows with everything the page
shows (household, 班, answer, comment, who answered, latest location), one more counts the
answers, and one more lists the located households for the map — whatever the household count.
The order is the officers' reading order of `board`: 救助が必要, けが人あり, 避難, 無事, then
the silent households; 要支援 first within each, then by 班 and household.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from .delivery import Delivery
from .roster import Block, Household, Member
from .safety import STATUSES, SUBJECT, SafetyLocation


@dataclass(frozen=True)
class SafetyRow:
    block: str
    household: str
    needs_support: bool
    on_line: bool
    answer: Optional[str]
    data: dict[str, Any]
    answered_at: Optional[dt.datetime]
    answered_by: str
    proxy: bool
    delivery_id: int = 0
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    address: Optional[str] = None


def _scope(q, disaster_id: int, block_id: int | None):
    q = q.where(Delivery.of(SUBJECT, disaster_id))
    return q.where(Household.block_id == block_id) if block_id is not None else q


def _latest_location_id():
    """The id of the receipt's latest location: an index probe per row (ix_safety_locations_delivery_id),
    a plan that stays fast whatever the planner believes of freshly written tables."""
    return (select(SafetyLocation.id).where(SafetyLocation.delivery_id == Delivery.id)
            .order_by(SafetyLocation.at.desc(), SafetyLocation.id.desc()).limit(1)
            .correlate(Delivery).scalar_subquery())


def _rows_query(disaster_id: int, block_id: int | None, locations: bool, located_only: bool = False):
    who = aliased(Member)
    status_order = case(
        (Delivery.answer.is_(None), len(STATUSES) + 1),
        *[(Delivery.answer == s, i) for i, s in enumerate(STATUSES)],
        else_=len(STATUSES))
    # on_line: the check reached the household on LINE (paper households were listed to their 班長)
    cols = [Block.name, Household.name, Household.needs_support, Delivery.via_line, Delivery.answer,
            Delivery.answer_data, Delivery.answered_at, who.name, Delivery.answered_by_proxy, Delivery.id]
    q = (select(*cols).select_from(Delivery)
         .join(Household, Household.id == Delivery.household_id)
         .join(Block, Block.id == Household.block_id)
         .outerjoin(who, who.id == Delivery.answered_by_id))
    if locations:
        loc = aliased(SafetyLocation)
        on = loc.id == _latest_location_id()
        q = (q.join(loc, on) if located_only else q.outerjoin(loc, on)).add_columns(
            loc.latitude, loc.longitude, loc.address)
    q = _scope(q, disaster_id, block_id)
    return q.order_by(status_order, Household.needs_support.desc(), Block.position, Delivery.household_id)


def _row(r) -> SafetyRow:
    block, household, support, on_line, answer, data, at, by, proxy, delivery_id, *loc = r
    lat, lng, address = loc if loc else (None, None, None)
    return SafetyRow(block, household, bool(support), bool(on_line), answer, data or {}, at, by or "", bool(proxy),
                     delivery_id, lat, lng, address)


def safety_rows(session: Session, disaster_id: int, block_id: int | None = None, *, locations: bool,
                offset: int = 0, limit: int | None = None) -> list[SafetyRow]:
    """One query: the rows in reading order (a page of them with offset/limit)."""
    q = _rows_query(disaster_id, block_id, locations)
    if limit is not None:
        q = q.offset(offset).limit(limit)
    return [_row(r) for r in session.execute(q)]


def located_rows(session: Session, disaster_id: int, block_id: int | None = None,
                 limit: int = 5000) -> list[SafetyRow]:
    """One query: every household with a shared location (the map shows all of them, not one page)."""
    return [_row(r) for r in session.execute(_rows_query(disaster_id, block_id, True, located_only=True)
                                             .limit(limit))]


def answer_counts(session: Session, disaster_id: int, block_id: int | None = None) -> dict[Optional[str], int]:
    """One query: households per answer (None = no answer yet)."""
    q = _scope(select(Delivery.answer, func.count()).select_from(Delivery)
               .join(Household, Household.id == Delivery.household_id), disaster_id, block_id)
    return {answer: n for answer, n in session.execute(q.group_by(Delivery.answer))}

"""Events (行事の出欠): the event, its receipts, and the results shared by 「集計」 and the web page.

Answers live in the shared `Delivery` receipt (its `event_id`): one row per household
(person_key 0) for per-household events; for per-person events one row per LINE member
(person_key = member id) and one row with person_key 0 for each paper-only household, which
officers answer by proxy (代理回答).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import Boolean, String, Text, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column

from .base import Base, intpk, utcnow
from .delivery import Delivery, write_receipts
from .roster import Block, Household, Member, normalize_name
from .sendable import Audience, Sendable, SendState

SUBJECT = "event"
ANSWERS = ("yes", "no", "maybe")  # 参加 / 不参加 / 未定
STATUSES = ANSWERS + ("unanswered", "unread")  # + opened but not answered / never opened
REMINDER_DAYS_BEFORE = 3  # default plan: one reminder 3 days before the deadline


EventState = SendState  # draft / sent, as circulars (models.sendable)


class Event(Sendable, Base):
    __tablename__ = "events"
    id: Mapped[intpk]
    # (association, target, target_block_ids, author, state, version, created_at, sent_at,
    # push_count: models.sendable.Sendable)
    name: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[Optional[dt.datetime]]
    place: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[Optional[dt.datetime]]  # answers are taken until this moment
    per_person: Mapped[bool] = mapped_column(Boolean, default=False)  # False: one answer per household
    ask_count: Mapped[bool] = mapped_column(Boolean, default=False)  # ask 参加 how many people
    note: Mapped[str] = mapped_column(Text, default="")
    # days before the deadline at which unanswered households/persons get a reminder
    reminder_plan: Mapped[list[Any]] = mapped_column(default=lambda: [REMINDER_DAYS_BEFORE])

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.state == EventState.sent and self.deadline is not None and (now or utcnow()) < self.deadline


# --- sending -------------------------------------------------------------------------------
def mark_sent(session: Session, ev: Event, aud: Audience, now: dt.datetime | None = None) -> None:
    """Create the receipts (per household, or per person plus paper households); the event is sent."""
    now = now or utcnow()
    line_ids = {h.id for h in aud.line_households}
    if ev.per_person:  # (an officer on no household's roster gets the card only)
        receipts = [(m.household_id, m.id, True) for m in aud.recipients if m.household_id is not None]
        receipts += [(h.id, 0, False) for h in aud.paper_households]
    else:
        receipts = [(h.id, 0, h.id in line_ids) for h in aud.households]
    write_receipts(session, ev.association_id, SUBJECT, ev.id, receipts, now)
    ev.state, ev.sent_at, ev.push_count = EventState.sent, now, len(aud.recipients)


def delivery_of(session: Session, ev: Event, member: Member | None) -> Delivery | None:
    """The receipt a member answers: their household's, or their own for a per-person event."""
    if member is None or member.household_id is None:
        return None
    q = select(Delivery).where(Delivery.of(SUBJECT, ev.id),
                               Delivery.household_id == member.household_id,
                               Delivery.person_key == (member.id if ev.per_person else 0))
    return session.scalar(q)


def amend(d: Delivery, **data: Any) -> None:
    """Add details (人数, 連絡事項) to the answer just given, without counting as a new answer."""
    d.answer_data = {**(d.answer_data or {}), **data}
    if d.history:
        d.history[-1].answer_data = dict(d.answer_data)


def head_count(d: Delivery) -> int:
    """People a 参加 answer stands for (1 when the count was not given)."""
    if d.answer != "yes":
        return 0
    n = (d.answer_data or {}).get("count")
    return n if isinstance(n, int) and n > 0 else 1


def status_of(d: Delivery) -> str:
    if d.answer in ANSWERS:
        return d.answer
    return "unanswered" if d.read_at is not None else "unread"


# --- results -------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the results list: a household or a person, with what they answered."""

    delivery: Delivery
    block: str
    representative: bool  # 世帯代表 (else 世帯内利用者)
    name: str
    status: str  # one of STATUSES
    count: int
    comment: str

    @property
    def household(self) -> Household:
        return self.delivery.household


@dataclass
class BlockCounts:
    block: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    heads: int = 0


@dataclass
class Results:
    event: Event
    rows: list[Row] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    heads: int = 0  # head count of 参加
    blocks: list[BlockCounts] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def waiting(self) -> list[Row]:
        """Who has not answered yet (未回答 and 未読), needs-support households first."""
        rows = [r for r in self.rows if r.status not in ANSWERS]
        return sorted(rows, key=lambda r: not r.household.needs_support)


def results(session: Session, ev: Event, block_id: int | None = None) -> Results:
    """Results of a sent event; `block_id` limits them to one 班 (what a block leader sees)."""
    q = (select(Delivery).join(Delivery.household).join(Household.block)
         .where(Delivery.of(SUBJECT, ev.id))
         .options(joinedload(Delivery.household).joinedload(Household.block))
         .order_by(Block.position, Household.id, Delivery.person_key))
    if block_id is not None:
        q = q.where(Household.block_id == block_id)
    deliveries = list(session.scalars(q))
    people = {m.id: m for m in session.scalars(select(Member).where(
        Member.id.in_([d.person_key for d in deliveries if d.person_key] or [-1])))}
    res = Results(ev)
    per_block: dict[int, BlockCounts] = {}
    for d in deliveries:
        h = d.household
        person = people.get(d.person_key)
        name = (person.name if person else None) or h.name
        rep = person is None or normalize_name(name) == normalize_name(h.name)
        row = Row(d, h.block.name, rep, name, status_of(d), head_count(d),
                  str((d.answer_data or {}).get("comment") or ""))
        res.rows.append(row)
        bc = per_block.setdefault(h.block_id, BlockCounts(h.block.name))
        for c in (res, bc):
            c.counts[row.status] += 1
            c.heads += row.count
    res.blocks = list(per_block.values())
    return res


def recent_events(session: Session, association_id: int, limit: int = 3) -> list[Event]:
    return list(session.scalars(
        select(Event).where(Event.association_id == association_id, Event.state == EventState.sent)
        .order_by(Event.sent_at.desc(), Event.id.desc()).limit(limit)))

"""What 見守り's chat and scheduler share: the timings, the ladder (who is told, in order), who may
act on a check, the cards, and the sign of life."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from models import Member, MemberStatus, Role
from models.audit import record
from models.messaging import enqueue
from models.mimamori import (
    ANSWERED,
    ESCALATED,
    OPEN,
    UNREACHABLE,
    MimamoriCheck,
    MimamoriEnrolment,
)

REMIND_AFTER = dt.timedelta(hours=3)  # N: no answer this long after the check → a reminder
ESCALATE_AFTER = dt.timedelta(hours=2)  # M: still none this long after the reminder → the first watcher
NEXT_AFTER = dt.timedelta(minutes=30)  # K: a watcher who does not answer this long → the next one
ALERT = 60  # outbox priority of a watcher's alert: before ordinary circulars, after disaster messages
PAGE = "/admin/mimamori/"
FAMILY, LEADER, WELFARE, CHAIR = "family", "leader", "welfare", "chair"
LABELS = {FAMILY: texts.MM_LADDER_FAMILY, LEADER: texts.MM_LADDER_LEADER, WELFARE: texts.MM_LADDER_WELFARE,
          CHAIR: texts.MM_LADDER_CHAIR}
WHO = {"both": (True, True), "leader": (True, False), "family": (False, False)}  # (班長, 民生委員)


def setting(settings, name: str, default: dt.timedelta) -> dt.timedelta:
    """A timing, overridable per deployment (`mimamori_remind_minutes` …) where Settings has one."""
    minutes = getattr(settings, f"mimamori_{name}_minutes", None)
    return dt.timedelta(minutes=minutes) if isinstance(minutes, int) else default


@dataclass
class Rung:
    key: str
    users: list[str] = field(default_factory=list)


def home_block_id(m: Member) -> Optional[int]:
    return m.household.block_id if m.household is not None else m.block_id


def _active(session: Session, association_id: int, *where) -> list[Member]:
    return list(session.scalars(select(Member).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), *where).order_by(Member.id)))


def leaders_of(session: Session, e: MimamoriEnrolment) -> list[Member]:
    block_id = home_block_id(e.member)
    if block_id is None:
        return []
    return [m for m in _active(session, e.association_id, Member.role == Role.block_leader)
            if m.led_block_id == block_id and m.id != e.member_id]


def welfare_of(session: Session, association_id: int) -> list[Member]:
    return _active(session, association_id, Member.role == Role.welfare)


def chairs_of(session: Session, association_id: int) -> list[Member]:
    return _active(session, association_id, Member.role == Role.chair)


def ladder(session: Session, e: MimamoriEnrolment) -> list[Rung]:
    """Who is told, one rung after the other: each family member, the 班長, the 民生委員."""
    rungs = [Rung(FAMILY, [w.line_user_id]) for w in e.watchers]
    if e.watch_leader:
        rungs.append(Rung(LEADER, [m.line_user_id for m in leaders_of(session, e)]))
    if e.watch_welfare:
        rungs.append(Rung(WELFARE, [m.line_user_id for m in welfare_of(session, e.association_id)]))
    own = e.member.line_user_id
    for r in rungs:
        r.users = [u for u in r.users if u and u != own]
    return [r for r in rungs if r.users]


def final_rung(session: Session, e: MimamoriEnrolment) -> Rung:
    """「つながりません」, or the ladder ran out: the chair and the 民生委員 together."""
    users = [m.line_user_id for m in chairs_of(session, e.association_id) + welfare_of(session, e.association_id)]
    return Rung(CHAIR, [u for u in dict.fromkeys(users) if u != e.member.line_user_id])


def ladder_words(watch_leader: bool, watch_welfare: bool) -> str:
    keys = [FAMILY] + ([LEADER] if watch_leader else []) + ([WELFARE] if watch_welfare else [])
    return texts.MM_LADDER_SEPARATOR.join(LABELS[k] for k in keys)


def told(session: Session, c: MimamoriCheck) -> list[str]:
    """Everyone who got an alert about this check so far."""
    rungs = ladder(session, c.enrolment)
    users = [u for r in rungs[:c.step] for u in r.users]
    if c.escalated_to == CHAIR or c.status == UNREACHABLE:
        users += final_rung(session, c.enrolment).users
    return list(dict.fromkeys(users))


def may_act(session: Session, c: MimamoriCheck, user_id: str) -> bool:
    """A watcher the resident chose (any rung), or the chair or a 民生委員: nobody else."""
    e = c.enrolment
    users = {u for r in ladder(session, e) for u in r.users} | set(final_rung(session, e).users)
    return user_id in users


def sees(session: Session, e: MimamoriEnrolment, m: Member) -> bool:
    """Who sees the enrolment (and 要支援): the chair, and the watchers the resident chose."""
    if m.association_id != e.association_id or m.status != MemberStatus.active:
        return False
    if m.role == Role.chair:
        return True
    if any(w.line_user_id == m.line_user_id for w in e.watchers):
        return True
    if e.watch_leader and m.role == Role.block_leader and m.led_block_id == home_block_id(e.member):
        return True
    return e.watch_welfare and m.role == Role.welfare


def block_name(m: Member) -> str:
    block = m.household.block if m.household is not None else m.block
    return block.name if block is not None else texts.MM_NO_BLOCK


# --- cards (builders.card / text: validated like every message) ----------------------------------
def check_card(c: MimamoriCheck) -> dict:
    return msg.card(texts.MM_CHECK_TITLE, texts.MM_CHECK,
                    [msg.postback(texts.MM_FINE, pb("mm_ans", c=c.id, v="fine")),
                     msg.postback(texts.MM_TROUBLE, pb("mm_ans", c=c.id, v="trouble"))])


def reminder_card(c: MimamoriCheck) -> dict:
    return msg.card(texts.MM_REMINDER_TITLE, texts.MM_REMINDER,
                    [msg.postback(texts.MM_FINE, pb("mm_ans", c=c.id, v="fine")),
                     msg.postback(texts.MM_TROUBLE, pb("mm_ans", c=c.id, v="trouble"))])


def need_chips(c: MimamoriCheck) -> list:
    return [msg.postback(label, pb("mm_need", c=c.id, v=key)) for key, label in texts.MM_NEEDS.items()]


def alert_card(c: MimamoriCheck, tz: str, unreachable: bool = False) -> dict:
    e = c.enrolment
    last = dates.short(e.last_seen_at, tz) if e.last_seen_at else texts.MM_LAST_NONE
    body = texts.MM_ALERT.format(name=e.member.name or "", block=block_name(e.member), last=last)
    if unreachable:
        body += texts.MM_ALERT_UNREACHABLE
    return msg.card(texts.MM_ALERT_TITLE, body,
                    [msg.postback(texts.MM_CONTACT, pb("mm_out", c=c.id, v="contact")),
                     msg.postback(texts.MM_VISIT, pb("mm_out", c=c.id, v="visit")),
                     msg.postback(texts.MM_UNREACHABLE, pb("mm_out", c=c.id, v="unreachable"))])


# --- the ladder's moves (the scheduler and the watchers' taps) -----------------------------------
def escalate(session: Session, c: MimamoriCheck, tz: str, now: dt.datetime, actor_id: Optional[int] = None,
             final: bool = False) -> list[str]:
    """Tell the next rung (or, `final` or past the last rung, the chair and the 民生委員). Returns who."""
    e = c.enrolment
    rungs = ladder(session, e)
    if final or c.step >= len(rungs):
        rung, c.escalated_to = final_rung(session, e), CHAIR
        c.step = len(rungs)
        if final:
            c.status = UNREACHABLE
    else:
        rung = rungs[c.step]
        c.escalated_to, c.step = rung.key, c.step + 1
    if c.status not in (UNREACHABLE,):
        c.status = ESCALATED
    c.stepped_at = now
    if rung.users:
        for u in rung.users:  # one push each: every watcher taps their own answer
            enqueue(session, e.association_id, [u], [alert_card(c, tz, unreachable=final)],
                    f"mimamori:alert:{c.id}:{c.step}", priority=ALERT, now=now)
    record(session, e.association_id, actor_id, "mimamori.unreachable" if final else "mimamori.escalate",
           f"member:{e.member_id}", at=now, check=c.id, to=c.escalated_to, recipients=len(rung.users))
    return rung.users


def sign_of_life(session: Session, e: MimamoriEnrolment, now: dt.datetime, answer: str = "life") -> None:
    """The resident wrote or tapped: today's (and any still open) check is answered; watchers who
    were already told hear that all is well."""
    e.last_seen_at = now
    for c in session.scalars(select(MimamoriCheck).where(MimamoriCheck.enrolment_id == e.id,
                                                         MimamoriCheck.status.in_(OPEN))).all():
        already = told(session, c) if c.step or c.escalated_to else []
        c.status, c.answer, c.answered_at = ANSWERED, answer, now
        record(session, e.association_id, e.member_id, "mimamori.answer", f"member:{e.member_id}", at=now,
               check=c.id, answer=answer)
        if already:
            enqueue(session, e.association_id, already,
                    [msg.text(texts.MM_RETURNED.format(name=e.member.name or ""))], f"mimamori:back:{c.id}", now=now)

"""A JMA telegram → for each association whose rule it matches: start disaster mode at once, or
ask the chair and disaster officers first ([開始する][開始しない]) and start after N minutes.

Called by the scheduler's feed poller (scheduler/jma.py) and by `kairan jma inject FILE`; the
officers' buttons are in handlers/jma/chat.py. Every step is audited with the telegram's id.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from handlers.jma.telegrams import NORMAL, Telegram, TelegramError, parse, tsunami_rank
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.safety.common import DISASTER, STARTERS
from handlers.safety.start import resident_ids, start_disaster, tell_residents_end
from models import Association, Member, MemberStatus
from models.audit import record
from models.jma import JmaStart, JmaTelegram, intensity_rank, rule_for
from models.messaging import enqueue
from models.safety import active_disaster, active_real
from models.richmenus import active_member_ids, enqueue_relink

log = logging.getLogger(__name__)
DISASTER_KIND = {"quake": "quake", "tsunami": "other", "special": "flood"}


@dataclass
class Outcome:
    outcome: str  # matched / no_match / refused / duplicate / unknown / ignored / cancelled
    telegram_id: Optional[int] = None
    starts: int = 0


def intensity_words(v: str) -> str:
    return texts.JMA_INTENSITY.get(v, v)


def match(t: Telegram, rule) -> Optional[str]:
    """What of the telegram concerns the rule's place (「震度5強」, 「大津波警報」 …), or None."""
    if t.kind == "quake" and rule.quake:
        need = intensity_rank(rule.min_intensity)
        hits = [v for c, v in t.cities.items() if c in rule.codes()]
        hits += [v for c, v in t.areas.items() if c in rule.quake_area_set()]
        strong = [v for v in hits if v == "?" or intensity_rank(v) >= need]
        if strong:
            known = [v for v in strong if v != "?"]
            return max(known, key=intensity_rank) if known else "?"
    if t.kind == "tsunami" and rule.tsunami:
        hits = [v for c, v in t.tsunami.items() if c in rule.areas()]
        if hits:
            return max(hits, key=tsunami_rank)
    if t.kind == "special" and rule.special:
        hits = sorted(v for c, v in t.special.items() if c in rule.codes())
        if hits:
            return hits[0]
    return None


def what_words(t: Telegram, hit: str) -> str:
    return texts.JMA_WHAT_QUAKE.format(intensity=intensity_words(hit)) if t.kind == "quake" else hit


def prepared_message(t: Telegram, hit: str) -> str:
    if t.kind == "quake":
        return texts.JMA_MSG_QUAKE.format(intensity=intensity_words(hit))
    return (texts.JMA_MSG_TSUNAMI if t.kind == "tsunami" else texts.JMA_MSG_SPECIAL).format(name=hit)


def event_key(t: Telegram) -> str:
    return f"{t.kind}:{t.event_id}"


def starters(session, association_id: int) -> list[str]:
    return list(session.scalars(select(Member.line_user_id).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.role.in_(STARTERS), Member.line_user_id.is_not(None)).order_by(Member.id)).all())


def ask_card(start: JmaStart, what: str, minutes: int) -> dict:
    return msg.card(texts.JMA_ASK_TITLE, texts.JMA_ASK.format(what=what, minutes=minutes),
                    [msg.postback(texts.JMA_START_YES, pb("jma_go", s=start.id)),
                     msg.postback(texts.JMA_START_NO, pb("jma_no", s=start.id))])


def do_start(session, start: JmaStart, actor_id: Optional[int], now: dt.datetime) -> bool:
    """Start the disaster mode a JmaStart stands for (once). False when one is already active."""
    if active_real(session, start.association_id):  # a drill ends when a real one starts (start_disaster)
        start.state = "skipped"
        return False
    disaster, recipients = start_disaster(session, start.association_id, start.kind, start.message, actor_id, now)
    start.state, start.disaster_id, start.decided_by_id = "started", disaster.id, actor_id
    record(session, start.association_id, actor_id, "jma.start", f"disaster:{disaster.id}", at=now,
           telegram=start.telegram_id, recipients=recipients, auto=actor_id is None)
    return True


def refuse(session, entry_id: str, now: dt.datetime, reason: str, code: Optional[str] = None) -> Outcome:
    """A telegram not taken (e.g. its download was over the cap): recorded, so never fetched again."""
    if session.scalar(select(JmaTelegram.id).where(JmaTelegram.entry_id == entry_id)) is not None:
        return Outcome("duplicate")
    row = JmaTelegram(entry_id=entry_id[:300], code=code, received_at=now, outcome="refused", reason=reason[:200])
    session.add(row)
    session.flush()
    log.warning("jma: telegram %s refused: %s", row.id, reason)
    return Outcome("refused", row.id)


def process(session, data: bytes, entry_id: str, now: dt.datetime, code: Optional[str] = None) -> Outcome:
    """Handle one telegram's bytes once (keyed by the feed entry's id, then EventID + serial)."""
    if session.scalar(select(JmaTelegram.id).where(JmaTelegram.entry_id == entry_id)) is not None:
        return Outcome("duplicate")
    row = JmaTelegram(entry_id=entry_id[:300], code=code, received_at=now, outcome="unknown")
    session.add(row)
    try:
        t = parse(data, code)
    except TelegramError as e:
        row.outcome, row.reason = "refused", str(e)[:200]
        session.flush()
        log.warning("jma: telegram %s refused: %s", row.id, e)
        return Outcome("refused", row.id)
    if t is None:
        session.flush()
        return Outcome("unknown", row.id)
    row.code, row.event_id, row.serial, row.info_type = t.code, t.event_id, t.serial, t.info_type
    if t.status != NORMAL:  # 訓練 / 試験 telegrams never start anything
        row.outcome = "ignored"
        session.flush()
        return Outcome("ignored", row.id)
    session.flush()
    same = session.scalar(select(JmaTelegram.id).where(
        JmaTelegram.code == t.code, JmaTelegram.event_id == t.event_id, JmaTelegram.serial == t.serial,
        JmaTelegram.info_type == t.info_type, JmaTelegram.id != row.id))
    if same is not None:
        row.outcome = "duplicate"
        session.flush()
        return Outcome("duplicate", row.id)
    session.flush()
    if t.cancels:
        row.outcome = "cancelled"
        return Outcome("cancelled", row.id, cancel(session, t, row, now))
    starts = 0
    for a in session.scalars(select(Association).order_by(Association.id)).all():
        rule = rule_for(session, a)
        hit = match(t, rule) if rule is not None else None
        if hit is None:
            continue
        key = event_key(t)
        if session.scalar(select(JmaStart.id).where(JmaStart.association_id == a.id,
                                                    JmaStart.event_key == key)) is not None:
            continue  # this earthquake already started (or asked) here: a later, finer telegram adds nothing
        what = what_words(t, hit)
        start = JmaStart(association_id=a.id, telegram_id=row.id, event_key=key, kind=DISASTER_KIND[t.kind],
                         message=prepared_message(t, hit), what=what[:40], state="asked", created_at=now)
        session.add(start)
        session.flush()
        record(session, a.id, None, "jma.match", f"jma:{row.id}", at=now, telegram=row.id, code=t.code,
               event_id=t.event_id, what=what, mode=rule.mode)
        if active_real(session, a.id):
            start.state = "skipped"
            continue
        if rule.mode == "auto":
            if do_start(session, start, None, now):
                enqueue(session, a.id, starters(session, a.id), [msg.text(texts.JMA_STARTED_AUTO.format(what=what))],
                        f"jma-started:{start.id}", priority=DISASTER, now=now)
        else:
            start.ask_until = now + dt.timedelta(minutes=rule.ask_minutes)
            enqueue(session, a.id, starters(session, a.id), [ask_card(start, what, rule.ask_minutes)],
                    f"jma-ask:{start.id}", priority=DISASTER, now=now)
            record(session, a.id, None, "jma.ask", f"jma:{row.id}", at=now, telegram=row.id,
                   minutes=rule.ask_minutes)
        starts += 1
    row.outcome = "matched" if starts else "no_match"
    return Outcome(row.outcome, row.id, starts)


def cancel(session, t: Telegram, row: JmaTelegram, now: dt.datetime) -> int:
    """A 取消: the question it asked is withdrawn, the disaster mode it started (and nobody
    ended) ends; the officers are told."""
    n = 0
    for start in session.scalars(select(JmaStart).where(JmaStart.event_key == event_key(t),
                                                        JmaStart.state.in_(("asked", "started")))).all():
        done = texts.JMA_CANCEL_ASK
        if start.state == "started" and start.disaster_id:
            d = active_disaster(session, start.association_id)
            if d is not None and d.id == start.disaster_id:
                d.ended_at = now
                d.purge_after = now + dt.timedelta(days=30)
                enqueue_relink(session, d.association_id, active_member_ids(session, d.association_id))  # own menus again
                tell_residents_end(session, d, resident_ids(session, d.association_id), texts.JMA_CANCEL_RESIDENTS, now)
                done = texts.JMA_CANCEL_ENDED
        prior = start.state
        start.state = "cancelled"
        what = start.what or t.title
        enqueue(session, start.association_id, starters(session, start.association_id),
                [msg.text(texts.JMA_CANCELLED.format(what=what, done=done))], f"jma-cancel:{start.id}",
                priority=DISASTER, now=now)
        record(session, start.association_id, None, "jma.cancel", f"jma:{row.id}", at=now, telegram=row.id,
               original=start.telegram_id, was=prior, disaster=start.disaster_id)
        n += 1
    return n


def due(session, now: dt.datetime) -> int:
    """Questions nobody answered within N minutes: start by themselves."""
    n = 0
    for start in session.scalars(select(JmaStart).where(JmaStart.state == "asked", JmaStart.ask_until <= now)).all():
        if do_start(session, start, None, now):
            enqueue(session, start.association_id, starters(session, start.association_id),
                    [msg.text(texts.JMA_STARTED_AUTO.format(what=start.what))],
                    f"jma-started:{start.id}", priority=DISASTER, now=now)
            n += 1
    return n

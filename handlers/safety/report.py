"""Residents report their household's safety (one member answers for all): the status buttons, a
head count, a location and a 連絡事項; while disaster mode is active every message from a member is
about the disaster (`hear`, an interceptor of the router): a typed status is recorded like its
button, any other text or a photo is kept as the household's 連絡事項.

The report's follow-up, declared as a Dialog (`DIALOG`; `sf_n` and a location do not move it):

```mermaid
stateDiagram-v2
    [*] --> extra
    extra --> [*]
    [*] --> extra: sf
```
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
import unicodedata
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import normalize, pb
from handlers.safety.common import (
    COMMENT_WINDOW,
    MAX_COMMENT,
    PEOPLE_CHOICES,
    SHORT_ANSWER,
    buttons_card,
    marked,
    status_actions,
)
from handlers.safety.rescue import lock_report, rescue_alert, rescue_update
from models import Delivery, Disaster, Member, SafetyLocation, SafetyPhoto
from handlers.messages.drills import need_actions, need_recorded
from models.safety import (NEEDS, STATUSES, SUBJECT, active_disaster, add_note, most_serious, needs_of,
                           prior_reports)

log = logging.getLogger(__name__)


# --- residents report ----------------------------------------------------------------------
@functools.cache
def _report_statement():
    """report_row's statement, built once (every answer of a burst asks)."""
    return (select(Delivery).where(Delivery.of(SUBJECT, bindparam("disaster_id")),
                                   Delivery.household_id == bindparam("household_id"))
            .with_for_update().execution_options(populate_existing=True))


def report_row(ctx: Ctx, d: Disaster) -> Delivery:
    """This member's household report for `d` (made now for a household added after the start)."""
    row = ctx.session.scalar(_report_statement(), {"disaster_id": d.id, "household_id": ctx.member.household_id})
    # locked (lock_report): the household's members take turns, the latest answer is read
    if row is None:  # a household added after the start: it reports too
        row = Delivery(association_id=ctx.association.id, disaster_id=d.id,
                       household_id=ctx.member.household_id, delivered_at=ctx.now)
        ctx.session.add(row)
        ctx.session.flush()
    return row


@functools.cache
def _open_report_statement():
    """The active disaster and the household's report of it, the report locked (as report_row):
    one statement for what a burst's every answer needs (none when either is missing)."""
    return (select(Disaster, Delivery)
            .join(Delivery, Delivery.of(SUBJECT, Disaster.id) & (Delivery.household_id == bindparam("household_id")))
            .where(Disaster.association_id == bindparam("association_id"), Disaster.ended_at.is_(None))
            .with_for_update(of=Delivery).execution_options(populate_existing=True))


def my_report(ctx: Ctx, disaster_id: str | None = None) -> tuple[Disaster, Delivery] | None:
    if ctx.is_member and ctx.member.household_id is not None:
        found = ctx.session.execute(_open_report_statement(), {"association_id": ctx.association.id,
                                                               "household_id": ctx.member.household_id}).first()
        if found is not None:
            d, row = found
            if disaster_id is not None and str(d.id) != disaster_id:
                ctx.reply(msg.text(texts.SAFETY_CLOSED))
                return None
            return d, row
    # no report row yet (a household added after the start), or no active disaster, or not a member
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or (disaster_id is not None and str(d.id) != disaster_id):
        ctx.reply(msg.text(texts.SAFETY_CLOSED))
        return None
    if not ctx.is_member or ctx.member.household_id is None:
        ctx.reply(msg.text(texts.SAFETY_NOT_REGISTERED))
        return None
    return d, report_row(ctx, d)


def extras_quick(d: Disaster) -> list:
    """Location, head count, 困りごと (several may be tapped, issue 14), no comment: 12 chips."""
    return list(_extras(d.id))


@functools.lru_cache(maxsize=64)
def _extras(disaster_id: int) -> tuple[dict, ...]:
    """extras_quick's chips, serialised once per disaster: they follow every answer of a burst."""
    return msg.serialised([msg.location(texts.SAFETY_LOCATION)]
                          + [msg.postback(texts.SAFETY_PEOPLE_N.format(n=n) if n < PEOPLE_CHOICES[-1]
                                          else texts.SAFETY_PEOPLE_MORE.format(n=n), pb("sf_n", d=disaster_id, n=n))
                             for n in PEOPLE_CHOICES]
                          + need_actions(disaster_id)
                          + [msg.say(texts.SAFETY_NO_COMMENT)])


def with_note(row: Delivery, note: str, member_id: int | None) -> None:
    """Add to the household's 連絡事項, with its author (退会 erases exactly theirs); the latest
    last, the oldest notes go first when all of them are long."""
    row.answer_data = add_note(row.answer_data, member_id, note, MAX_COMMENT)


class Reported(NamedTuple):
    """The answer being recorded, as most_serious reads the earlier ones (prior_reports); the
    latest of all until it has an id."""
    id: float
    answer: str
    member_id: int | None
    proxy: bool
    at: dt.datetime


def record_status(ctx: Ctx, d: Disaster, row: Delivery, status: str, note: str | None = None) -> Next:
    """A status from its button or typed: recorded, rescue alerted, the usual confirmation; then
    where the follow-up goes (none while another dialog is open)."""
    was_rescue = row.answer == "rescue"
    # read before anything changes (a query flushes pending changes first): the household's
    # earlier reports as rows, and this one after them give the standing report; the answer is
    # written with the rest of the event's changes, in one flush
    household = row.household.name  # in the session already (resolve loaded the member's)
    prior = prior_reports(ctx.session, row.id)
    # the follow-up opens unless another dialog is open (it keeps waiting)
    nxt = Go("extra", disaster_id=d.id) if ctx.dialog is None or DIALOG.is_open(ctx) else None
    if note:
        with_note(row, note, ctx.member.id)
    row.record_answer(status, ctx.member, data=dict(row.answer_data or {}), at=ctx.now)
    standing = most_serious([*prior, Reported(math.inf, status, ctx.member.id, False, ctx.now)])
    kept = standing is not None and standing.answer != status
    if kept:  # another member reported something more serious: the household's status stays
        row.answer, row.answered_by_proxy, row.answered_at = standing.answer, standing.proxy, standing.at
        row.answered_by = ctx.session.get(Member, standing.member_id) if standing.member_id is not None else None
    if status == "rescue" and not was_rescue:
        rescue_alert(ctx, row)  # first: the alert row is written before anything else
    elif status == "rescue" and note:
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    body = texts.SAFETY_RECORDED.format(status=texts.SAFETY_LABELS[status], household=household)
    body += "\n" + texts.SAFETY_NEEDS_ASK
    if ctx.member.name:  # the reporter's own name, not the representative's
        body += "\n" + texts.EV_ANSWERED_BY.format(who=texts.PERSON_NAME.format(name=ctx.member.name))
    if kept:
        who = row.answered_by.name if row.answered_by is not None and row.answered_by.name else texts.EV_FAMILY
        body += "\n" + texts.SAFETY_HOUSEHOLD_KEPT.format(status=texts.SAFETY_LABELS[standing.answer],
                                                          who=texts.PERSON_NAME.format(name=who))
    recorded = msg.text(body, extras_quick(d))
    if status == "rescue":
        ctx.reply(*marked(d, msg.text(texts.RESCUE_TOLD), recorded))
    else:
        ctx.reply(*marked(d, recorded))
    return nxt


def on_status(ctx: Ctx) -> Next:
    """[無事] [けが人あり] [救助が必要] [避難済み]: recorded, then the follow-up waits (`extra`)."""
    found = my_report(ctx, ctx.data.get("d"))
    status = ctx.data.get("s")
    if found is None or status not in STATUSES:
        return None
    return record_status(ctx, *found, status)


def on_people(ctx: Ctx) -> Next:
    """[1人]…[5人以上]: the household's head count (the follow-up, if open, keeps waiting)."""
    found = my_report(ctx, ctx.data.get("d"))
    if found is None:
        return None
    d, row = found
    n = max(1, min(99, ctx.num("n")))
    row.answer_data = {**(row.answer_data or {}), "people": n}
    ctx.reply(*marked(d, msg.text(texts.SAFETY_PEOPLE_RECORDED.format(n=n), extras_quick(d))))
    return None


def on_need(ctx: Ctx) -> Next:
    """[食料・水] [薬] [移動の手助け] [停電] [連絡がほしい]: added to the household's needs (several
    allowed; a second tap of the same one changes nothing). The follow-up, if open, keeps waiting."""
    found = my_report(ctx, ctx.data.get("d"))
    key = ctx.data.get("k")
    if found is None or key not in NEEDS:
        return None
    d, row = found
    needs = needs_of(row.answer_data)
    if key not in needs:
        needs = [n for n in NEEDS if n in needs + [key]]
        row.answer_data = {**(row.answer_data or {}), "needs": needs}
        if row.answer == "rescue":  # whoever comes to help learns it
            rescue_update(ctx.session, ctx.settings, row, ctx.now)
    ctx.reply(*marked(d, need_recorded(needs, extras_quick(d))))
    return None


def attach_location(ctx: Ctx) -> None:
    found = my_report(ctx)
    if found is None:
        return
    d, row = found
    m = ctx.event.message
    ctx.session.add(SafetyLocation(association_id=ctx.association.id, disaster_id=d.id, delivery_id=row.id,
                                   member_id=ctx.member.id, latitude=m.latitude, longitude=m.longitude,
                                   address=(m.address or m.title or None) and (m.address or m.title)[:200], at=ctx.now))
    ctx.session.flush()
    if row.answer == "rescue":  # officers get the map they were waiting for (coalesced)
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    quick = extras_quick(d)[1:] if row.answer else status_actions(d)
    ctx.reply(*marked(d, msg.text(texts.SAFETY_LOCATION_RECORDED, quick)))


@router.message("location")
def on_location(ctx: Ctx) -> None:
    attach_location(ctx)


def on_extra(ctx: Ctx) -> Next:
    """After a status: the next text is the household's 連絡事項 (within COMMENT_WINDOW).

    A text that names a status (「やっぱり救助」) never reaches here: `hear` records it first.
    """
    kind = ctx.event.message.type
    if kind == "location":
        attach_location(ctx)
        return None
    if kind != "text" or not ctx.text:
        if kind != "text":
            router.fallback(ctx)
        return None
    if ctx.now - ctx.dialog.updated_at > COMMENT_WINDOW:  # long after: not a comment any more
        ctx.end_dialog()
        router.fallback(ctx)
        return None  # ended already (and the fallback may have opened it again: 「やっぱり救助」)
    found = my_report(ctx, str(ctx.dialog.data.get("disaster_id")))
    if found is None:
        return END
    d, row = found
    if ctx.text == texts.SAFETY_NO_COMMENT:
        ctx.reply(*marked(d, msg.text(texts.SAFETY_NO_COMMENT_OK)))
        return END
    with_note(row, ctx.text[:MAX_COMMENT], ctx.member.id)
    if row.answer == "rescue":  # what the household says matters to whoever comes to help
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    ctx.reply(*marked(d, msg.text(texts.SAFETY_COMMENT_RECORDED)))
    return END


# The follow-up of a report. `sf` and `sf_n` are valid whether or not it is open (a card of the
# start, a re-ask); a location is taken at `extra` and, outside it, by on_location. The comment
# window is checked in the step (a late text goes where it would without the dialog).
DIALOG = Dialog("safety", steps=[
    Step("extra", take=on_extra, to=(END,), buttons_only=True),
], buttons=[
    Button("sf", take=on_status, to=("extra",), opens=True),
    Button("sf_n", take=on_people, opens=True),
    Button("sf_need", take=on_need, opens=True),
])


# --- residents who type or send a photo ------------------------------------------------------
_PUNCT = re.compile(r"[、。,.!?・…/]")


def _hiragana(s: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in s)


def read_status(text: str) -> str | None:
    """The status a typed text names (「大丈夫です」→ safe, 「ﾋﾅﾝｼﾏｼﾀ」→ evacuated), or None.

    Full/half width and kana are folded (NFKC, katakana → hiragana); the most urgent status named
    wins (「無事ですがけが人がいます」→ injured); a denied one does not count (「けがはありません」).
    """
    t = _hiragana(normalize(text))
    for status in STATUSES:  # most urgent first
        for word in texts.SAFETY_WORDS[status]:
            w = _hiragana(unicodedata.normalize("NFKC", word))
            start = 0
            while (i := t.find(w, start)) >= 0:
                start = i + 1
                rest = _PUNCT.split(t[i + len(w):i + len(w) + 10], maxsplit=1)[0]
                if not any(n in rest for n in texts.SAFETY_NEGATIONS):
                    return status
    return None


def note_reply(ctx: Ctx, d: Disaster, row: Delivery, template: str) -> dict:
    body = template.format(household=row.household.name) + "\n" + (
        texts.SAFETY_NOTE_ANSWERED.format(status=texts.SAFETY_LABELS[row.answer]) if row.answer
        else texts.SAFETY_PICK)
    if ctx.member.is_officer:  # a mistyped command landed here: say where the commands are
        body += "\n" + texts.SAFETY_OFFICER_HINT
    return buttons_card(d, body)


def keep_photo(ctx: Ctx, d: Disaster, row: Delivery) -> None:
    """Only noted here (no LINE call inside the handling transaction): the scheduler's
    fetch_photos downloads it, adds it to the 連絡事項, and tells the resident if LINE cannot
    hand it over."""
    m = ctx.event.message
    if ctx.session.scalar(select(SafetyPhoto.id).where(SafetyPhoto.line_message_id == m.id[:64])) is None:
        ctx.session.add(SafetyPhoto(association_id=ctx.association.id, disaster_id=d.id, delivery_id=row.id,
                                    member_id=ctx.member.id, line_message_id=m.id[:64], status="pending",
                                    next_try_at=ctx.now, at=ctx.now))
    ctx.reply(note_reply(ctx, d, row, texts.SAFETY_PHOTO_RECORDED))


def photo_arrived(session: Session, settings, photo: SafetyPhoto, now: dt.datetime) -> None:
    """A downloaded photo joins the household's 連絡事項 (and a rescue request's update)."""
    row = lock_report(session, photo.delivery_id)
    if row is None:
        return
    with_note(row, texts.SAFETY_PHOTO_NOTE, photo.member_id)
    session.flush()
    if row.answer == "rescue":
        rescue_update(session, settings, row, now)


@router.intercept()
def hear(ctx: Ctx, situation: str) -> bool:
    """In disaster mode every message of a household member is about the disaster (see router)."""
    if not ctx.is_member or ctx.member.household_id is None:
        return False
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return False
    kind = ctx.event.message.type
    status = read_status(ctx.text) if kind == "text" else None
    row = None
    if status is not None:
        row = report_row(ctx, d)
        # only a button takes back a rescue request: 「足をけがして動けません」 stays 救助が必要
        if row.answer != "rescue" or status == "rescue":
            note = ctx.text[:MAX_COMMENT] if len(normalize(ctx.text)) > SHORT_ANSWER else None
            nxt = record_status(ctx, d, row, status, note)
            if nxt is not None:
                DIALOG.start(ctx, nxt.step, **nxt.data)
            return True
    elif situation != "free":
        return False  # the open dialog asked for this text
    row = row or report_row(ctx, d)
    if kind == "text" and ctx.text:
        with_note(row, ctx.text[:MAX_COMMENT], ctx.member.id)
        if row.answer == "rescue":
            rescue_update(ctx.session, ctx.settings, row, ctx.now)
        ctx.reply(note_reply(ctx, d, row, texts.SAFETY_NOTE_RECORDED))
    elif kind == "image":
        keep_photo(ctx, d, row)
    else:  # a sticker, a video, a file: nothing to keep, but never the ordinary help
        ctx.reply(buttons_card(d, texts.SAFETY_ASK_BUTTONS))
    return True

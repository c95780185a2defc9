"""印刷 (the paper round): per 班, A4 pages a block leader takes from door to door — a circular as
paper households receive it (with a 読みました box per household), an event's attendance sheet, the
安否確認 checklist of the active (or latest) disaster — and for each a record page where what was
ticked on paper is entered afterwards in one POST, as the chat's proxy would write it.

Who sees what: block leaders their own 班 only (`?b=` of another 班 answers 404), the board any 班
of their association. Every id (circular, event, disaster, 班, household) is checked against
`g.member.association_id`; a household id in a POST that is not on the page's list answers 404 and
nothing is written. Join sheets (登録コード and the add-friend QR code): bot/web/paper_join.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import ID, bp, id_arg, login_required, message, not_found
from bot.web.paper_scope import association, chosen_block
from handlers.events.common import MAX_HEADS
from handlers.framework.ctx import Ctx
from handlers.messages import dates, texts
from handlers.safety.contacts import contact_status
from handlers.safety.rescue import rescue_alert
from models import Block, Circular, CircularState, Delivery, Disaster, Event, EventState, Household, utcnow
from models.audit import record
from models.circulars import SUBJECT as CIRCULAR
from models.corrections import event_halt
from models.events import ANSWERS, SUBJECT as EVENT, amend, recent_events
from models.households import contact_rows
from models.safety import STATUSES, SUBJECT as SAFETY, active_disaster
from models.stats import recent_circulars

MENU_SHOWN = 10  # the latest circulars and events the menu offers
SAFETY_ORDER = ("safe", "evacuated", "injured", "rescue")  # the boxes' order on paper


# --- the 班 and the subjects, checked ------------------------------------------------------
def sent_circular(circular_id: int) -> Optional[Circular]:
    c = g.db.get(Circular, circular_id)
    ok = c is not None and c.association_id == g.member.association_id and c.state == CircularState.sent
    return c if ok else None


def sent_event(event_id: int) -> Optional[Event]:
    ev = g.db.get(Event, event_id)
    ok = ev is not None and ev.association_id == g.member.association_id and ev.state == EventState.sent
    return ev if ok else None


def latest_disaster() -> Optional[Disaster]:
    aid = g.member.association_id
    return active_disaster(g.db, aid) or g.db.scalars(
        select(Disaster).where(Disaster.association_id == aid)
        .order_by(Disaster.started_at.desc(), Disaster.id.desc()).limit(1)).first()


def receipts(kind: str, subject_id: int, block: Block) -> list[Delivery]:
    """The household receipts (person_key 0) of a subject in one 班, in roster order."""
    return list(g.db.scalars(
        select(Delivery).join(Household, Household.id == Delivery.household_id)
        .where(Delivery.of(kind, subject_id), Delivery.person_key == 0, Household.block_id == block.id,
               Household.association_id == g.member.association_id)
        .order_by(Household.id)))


def on_paper(d: Delivery) -> bool:
    """Who gets it on paper: delivered without LINE, or marked 紙で受け取る."""
    return not d.via_line or d.household.paper


def paper_receipts(c: Circular, block: Block) -> list[Delivery]:
    return [d for d in receipts(CIRCULAR, c.id, block) if on_paper(d)]


def picked_ids(prefix: str) -> dict[int, str]:
    """Form fields `<prefix><household id>` → value (non-empty values only). A field whose id is not
    a plain number is a forged form: None."""
    out: dict[int, str] = {}
    for key, value in request.form.items():
        m = re.fullmatch(re.escape(prefix) + r"(\d{1,10})", key)
        if m and value:
            out[int(m.group(1))] = value
    return out


def saved_note() -> str:
    n = request.args.get("saved", "")
    if not n.isdigit():
        return ""
    return texts.RECORD_SAVED.format(n=int(n)) if int(n) else texts.RECORD_NOTHING


def chat_ctx(now) -> Ctx:
    """The chat's context for the few handler functions a record reuses (the rescue alert's push,
    through the outbox in this transaction): this officer, this association, no LINE event."""
    return Ctx(session=g.db, settings=kairan().settings, association=association(), event=None,
               user_id=g.member.line_user_id or "", member=g.member, now=now)


def tz() -> str:
    return kairan().settings.timezone


# --- the menu ------------------------------------------------------------------------------
@bp.get("/prints")
@login_required
def prints():
    block = chosen_block()
    if block is None and (g.block_id is not None or request.args.get("b") is not None):
        return not_found()
    aid = g.member.association_id
    blocks = [] if g.block_id is not None else list(g.db.scalars(
        select(Block).where(Block.association_id == aid).order_by(Block.position, Block.id)))
    circulars, events, disaster = [], [], None
    if block is not None:
        for c in recent_circulars(g.db, aid, limit=MENU_SHOWN):
            rows = receipts(CIRCULAR, c.id, block)
            if rows:
                circulars.append({"c": c, "date": dates.date(c.sent_at, tz()),
                                  "paper": sum(1 for d in rows if on_paper(d))})
        for ev in recent_events(g.db, aid, limit=MENU_SHOWN):
            if receipts(EVENT, ev.id, block):
                events.append({"e": ev, "open": ev.is_open(utcnow())})
        disaster = latest_disaster()
    return render_template("paper/menu.html", block=block, blocks=blocks, circulars=circulars, events=events,
                           disaster=disaster, disaster_kind=texts.DISASTER_KINDS.get(disaster.kind, "") if disaster else "")


# --- a circular as paper households receive it ---------------------------------------------
def _circular_page(circular_id: int):
    block, c = chosen_block(), sent_circular(circular_id)
    if block is None or c is None:
        return None
    rows = receipts(CIRCULAR, c.id, block)
    if not rows:
        return None  # not delivered in this 班
    return block, c, [d for d in rows if on_paper(d)]


@bp.get(f"/prints/circulars/<{ID}:circular_id>")
@login_required
def print_circular(circular_id: int):
    found = _circular_page(circular_id)
    if found is None:
        return not_found()
    block, c, rows = found
    return render_template("paper/circular.html", block=block, c=c, rows=rows, association=association(),
                           date=dates.date(c.sent_at, tz()))


@bp.route(f"/prints/circulars/<{ID}:circular_id>/record", methods=["GET", "POST"])
@login_required
def print_circular_record(circular_id: int):
    found = _circular_page(circular_id)
    if found is None:
        return not_found()
    block, c, rows = found
    if request.method == "POST":
        by_household = {d.household_id: d for d in rows}
        picked = picked_ids("h")
        if any(hid not in by_household for hid in picked):
            return not_found()  # a household not on this list (another 班, association, or on LINE)
        now, n = utcnow(), 0
        for hid in sorted(picked):
            if by_household[hid].mark_read(g.member, "proxy", now):
                record(g.db, g.member.association_id, g.member.id, "circular.paper_read", f"circular:{c.id}",
                       at=now, household=hid)
                n += 1
        return redirect(url_for("admin.print_circular_record", circular_id=c.id, b=block.id, saved=n), 303)
    return render_template("paper/circular_record.html", block=block, c=c, rows=rows, saved=saved_note())


# --- an event's attendance sheet -----------------------------------------------------------
@dataclass
class EventRow:
    d: Delivery
    paper: bool
    now: str  # the answer so far, in words ("" if none)
    heads: Optional[int]


def _event_rows(ev: Event, block: Block) -> list[EventRow]:
    out = []
    for d in receipts(EVENT, ev.id, block):
        n = (d.answer_data or {}).get("count")
        now = texts.ANSWER_LABELS.get(d.answer or "", "")
        if now and ev.ask_count and d.answer == "yes" and isinstance(n, int) and n > 0:
            now += texts.EV_HEADS.format(n=n)
        if now:
            now += texts.PRINT_NOW_BY.format(who=texts.RECORD_BY_PROXY if d.answered_by_proxy else texts.RECORD_VIA_LINE)
        out.append(EventRow(d, on_paper(d), now, n if isinstance(n, int) else None))
    out.sort(key=lambda r: (not r.paper, r.d.household_id))  # the paper households first
    return out


def _event_page(event_id: int):
    block, ev = chosen_block(), sent_event(event_id)
    if block is None or ev is None:
        return None
    rows = _event_rows(ev, block)
    return (block, ev, rows) if rows else None


def _event_facts(ev: Event) -> dict:
    return {"when": dates.weekday(ev.starts_at, tz()) if ev.starts_at else "",
            "deadline": dates.weekday(ev.deadline, tz()) if ev.deadline else ""}


@bp.get(f"/prints/events/<{ID}:event_id>")
@login_required
def print_event(event_id: int):
    found = _event_page(event_id)
    if found is None:
        return not_found()
    block, ev, rows = found
    return render_template("paper/event.html", block=block, ev=ev, rows=rows, association=association(),
                           **_event_facts(ev))


@bp.route(f"/prints/events/<{ID}:event_id>/record", methods=["GET", "POST"])
@login_required
def print_event_record(event_id: int):
    found = _event_page(event_id)
    if found is None:
        return not_found()
    block, ev, rows = found
    now = utcnow()
    if request.method == "POST":
        by_household = {r.d.household_id: r.d for r in rows}
        answers, heads = picked_ids("a"), picked_ids("n")
        if any(hid not in by_household for hid in [*answers, *heads]) or any(v not in ANSWERS for v in answers.values()):
            return not_found()
        if not ev.is_open(now):
            return message(texts.RECORD_EVENT_CLOSED, 409)
        halt = event_halt(g.db, ev.association_id, ev.id)
        if halt is not None:  # 中止・延期: no answers, as the chat's buttons say
            return message(texts.RECORD_EVENT_HALTED.format(what=texts.EV_HALT_MARK[halt.action]), 409)
        counts: dict[int, int] = {}
        for hid, value in heads.items():
            if hid in answers and answers[hid] == "yes" and ev.ask_count:
                v = value.strip()
                if not v.isascii() or not v.isdigit() or not 0 < int(v) <= MAX_HEADS:
                    return message(texts.RECORD_BAD_HEADS.format(max=MAX_HEADS), 400)
                counts[hid] = int(v)
        for hid in sorted(answers):
            d, answer = by_household[hid], answers[hid]
            # as the chat's 代理回答 (handlers/events/answers.py record and on_heads)
            d.record_answer(answer, g.member, proxy=True, at=now)
            record(g.db, g.member.association_id, g.member.id, "event.proxy", f"event:{ev.id}", at=now,
                   household=hid, answer=answer, via="paper")
            if hid in counts:
                amend(d, count=counts[hid])
        return redirect(url_for("admin.print_event_record", event_id=ev.id, b=block.id, saved=len(answers)), 303)
    return render_template("paper/event_record.html", block=block, ev=ev, rows=rows, open=ev.is_open(now),
                           saved=saved_note(), max_heads=MAX_HEADS, **_event_facts(ev))


# --- the 安否確認 checklist ------------------------------------------------------------------
@dataclass
class SafetyRow:
    h: Household
    d: Optional[Delivery]
    now: str


def _safety_rows(d: Disaster, block: Block) -> list[SafetyRow]:
    households = list(g.db.scalars(select(Household).where(
        Household.association_id == g.member.association_id, Household.block_id == block.id)
        .order_by(Household.needs_support.desc(), Household.id)))
    reports = {r.household_id: r for r in receipts(SAFETY, d.id, block)}
    out = []
    for h in households:
        r = reports.get(h.id)
        now = ""
        if r is not None and r.answer:
            now = texts.SAFETY_LABELS.get(r.answer, "")
            if r.answered_at:
                now += " " + dates.short(r.answered_at, tz())
            if r.answered_by_proxy:
                now += texts.PRINT_NOW_BY.format(who=texts.RECORD_BY_PROXY)
        out.append(SafetyRow(h, r, now))
    return out


def _safety_page():
    block, d = chosen_block(), None
    if block is None:
        return None
    asked = id_arg("d")
    if request.args.get("d") is not None:
        if asked is None:
            return None
        d = g.db.get(Disaster, asked)
        if d is None or d.association_id != g.member.association_id:
            return None
    d = d or latest_disaster()
    return block, d


@bp.get("/prints/safety")
@login_required
def print_safety():
    found = _safety_page()
    if found is None:
        return not_found()
    block, d = found
    if d is None:
        return message(texts.PRINT_SAFETY_NONE, 404)
    return render_template("paper/safety.html", block=block, d=d, rows=_safety_rows(d, block), association=association(),
                           kind=texts.DISASTER_KINDS.get(d.kind, ""), since=dates.short(d.started_at, tz()),
                           boxes=[(s, texts.PRINT_SAFETY_BOXES[s]) for s in SAFETY_ORDER])


@bp.route("/prints/safety/record", methods=["GET", "POST"])
@login_required
def print_safety_record():
    found = _safety_page()
    if found is None:
        return not_found()
    block, d = found
    if d is None:
        return message(texts.PRINT_SAFETY_NONE, 404)
    rows = _safety_rows(d, block)
    if request.method == "POST":
        by_household = {r.h.id: r.h for r in rows}
        picked = picked_ids("s")
        if any(hid not in by_household for hid in picked) or any(v not in STATUSES for v in picked.values()):
            return not_found()
        if d.ended_at is not None:
            return message(texts.RECORD_SAFETY_CLOSED, 409)
        now = utcnow()
        ctx = chat_ctx(now)
        for hid in sorted(picked):
            _proxy_status(ctx, d, by_household[hid], picked[hid])
        return redirect(url_for("admin.print_safety_record", b=block.id, d=d.id, saved=len(picked)), 303)
    return render_template("paper/safety_record.html", block=block, d=d, rows=rows, saved=saved_note(),
                           kind=texts.DISASTER_KINDS.get(d.kind, ""),
                           boxes=[(s, texts.PRINT_SAFETY_BOXES[s]) for s in SAFETY_ORDER])


def _proxy_status(ctx: Ctx, d: Disaster, h: Household, status: str) -> None:
    """What the chat's [代理で記録] writes (handlers/safety/board.py on_proxy_status)."""
    row = g.db.scalar(select(Delivery).where(Delivery.of(SAFETY, d.id), Delivery.household_id == h.id)
                      .with_for_update().execution_options(populate_existing=True))
    if row is None:  # a household added after the start
        row = Delivery(association_id=g.member.association_id, disaster_id=d.id,
                       household_id=h.id, via_line=False, delivered_at=ctx.now)
        g.db.add(row)
    was_rescue = row.answer == "rescue"
    row.record_answer(status, g.member, data=dict(row.answer_data or {}), proxy=True, at=ctx.now)
    g.db.flush()
    if status == "rescue" and not was_rescue:
        rescue_alert(ctx, row)
    ctx.audit("safety.proxy", f"household:{h.id}", status=status, via="paper")


# --- 連絡網: who to phone or visit when LINE is down ----------------------------------------------
@bp.get("/prints/contacts")
@login_required
def print_contacts():
    """The 班's households with how they receive (LINE / 紙), 要支援, the phone if the roster has
    one, and the latest answer of the active (or latest) disaster; for when LINE is down."""
    block = chosen_block()
    if block is None:
        return not_found()
    d = latest_disaster()
    rows = [{"h": h, "way": texts.CONTACTS_WAY_LINE if on_line else texts.CONTACTS_WAY_PAPER,
             "status": contact_status(r, tz()) if d is not None else ""}
            for h, on_line, r in contact_rows(g.db, g.member.association_id, block.id, d.id if d else None)]
    return render_template("paper/contacts.html", block=block, d=d, rows=rows, association=association(),
                           kind=texts.DISASTER_KINDS.get(d.kind, "") if d else "")


from bot.web import paper_join  # noqa: E402,F401 - the join sheets, on the same blueprint

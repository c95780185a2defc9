"""Attendance (出欠): officers draft an event (出欠) → preview → [送信]; residents answer [参加]
[不参加] [未定], then a head count and a comment; 「集計」 shows the results; officers and block
leaders answer for paper households (代理回答).

As for circulars, the draft lives in `events` (state draft) and the dialog step in
`dialog_states`. Buttons carry the event id (later steps of an answer: the receipt id) and are
re-checked here: who may do it, whether the event still exists and whether it is still open.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from bot import messages as msg
from bot import texts
from models import Association, Block, Delivery, Event, EventState, OFFICER_ROLES, Role, Target
from models.circulars import audience, target_label
from models.events import ANSWERS, SUBJECT, amend, delivery_of, mark_sent, recent_events, results
from models.reminders import pending_recipients, plan_times_before, planned, schedule
from models.roster import normalize_name

from .circulars import parse_reminder
from .registration import fallback
from .pickers import block_toggles, paged
from .sending import notify_paper, outside_own_block, within_quota
from .sending import quota as sending_quota
from .router import Ctx, normalize, pb, router

STEPS = ("name", "when", "place", "deadline", "target", "unit", "count", "note")
REQUIRED = ("name", "when", "place", "deadline")
BUTTON_STEPS = ("target", "unit", "count")  # typed text there is not an answer: the question comes again
MAX_NAME, MAX_PLACE, MAX_NOTE, MAX_COMMENT = 40, 60, 2000, 200
MAX_HEADS = 99
PICK_PAGE = 11  # households per page for 代理回答 (11 + 次へ + 取消 = 13)
COMMENT_WINDOW = dt.timedelta(hours=1)  # a comment typed later than this is not taken as one
DATE = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
TIME = re.compile(r"(\d{1,2})\s*(?::\s*(\d{2})|時\s*(?:(\d{1,2})\s*分|(半))?)")
FORM_LINE = re.compile(rf"^({'|'.join(texts.EV_FORM_KEYS)})\s*[:：]?\s*(.*)$")


def num(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def when_text(ctx: Ctx, at: dt.datetime) -> str:
    return msg.local_datetime(at, ctx.settings.timezone)


# A month/day without a year (「12/5」) means this year's day, unless that day is long past: a day more
# than RECENT_PAST ago (「1/10」 typed in December) means next year's, silently. A day within the last
# RECENT_PAST (「12/1」 typed on 12/2) stays in the past, and the setters say so: the deadline is refused
# with the reason, the event's date is asked about (「来年の12月1日ですか？」). Never a silent move to a
# year the officer did not mean.
RECENT_PAST = dt.timedelta(days=61)  # about two months


def parse_when(text: str, now: dt.datetime, tz: str) -> tuple[dt.datetime, bool] | None:
    """「12/5 10:00」「12月5日 午後2時」「2026-12-05T10:00」 → (aware datetime, whether a time was given)."""
    t = unicodedata.normalize("NFKC", text or "")
    m = DATE.search(t)
    if m is None:
        return None
    tm = TIME.search(t, m.end())
    hour, minute = (int(tm[1]), int(tm[2] or tm[3] or (30 if tm[4] else 0))) if tm else (0, 0)
    if tm and hour < 12 and re.search(r"午後|PM", t, re.I):
        hour += 12
    today = now.astimezone(ZoneInfo(tz)).date()
    year = int(m[1]) if m[1] else today.year
    try:
        at = dt.datetime(year, int(m[2]), int(m[3]), hour, minute, tzinfo=ZoneInfo(tz))
        if not m[1] and at.date() < today - RECENT_PAST:  # 「1/10」 in December: next January
            at = at.replace(year=year + 1)
    except ValueError:
        return None
    return at, tm is not None


def year_given(text: str) -> bool:
    m = DATE.search(unicodedata.normalize("NFKC", text or ""))
    return bool(m and m[1])


def past_day(ctx: Ctx, at: dt.datetime) -> bool:
    """Whether `at` falls on a day before today (in the association's time zone)."""
    tz = ZoneInfo(ctx.settings.timezone)
    return at.astimezone(tz).date() < ctx.now.astimezone(tz).date()


# --- the resident's card (also used by the preview and the reminder) ------------------------
def answer_actions(ev: Event) -> list:
    return [msg.postback(texts.ANSWER_LABELS[v], pb("ev_ans", e=ev.id, v=v)) for v in ANSWERS]


def resident_card(session, settings, ev: Event) -> dict:
    tz = settings.timezone
    return msg.event(association_name=session.get(Association, ev.association_id).name, name=ev.name,
                     when=msg.local_datetime(ev.starts_at, tz), place=ev.place,
                     deadline=msg.local_datetime(ev.deadline, tz), note=ev.note, per_person=ev.per_person,
                     answers=answer_actions(ev), details=msg.postback(texts.EV_DETAILS, pb("ev_info", e=ev.id)))


def reminder_card(session, settings, ev: Event) -> dict:
    tz = settings.timezone
    body = texts.EV_REMINDER_BODY.format(name=ev.name, when=msg.local_datetime(ev.starts_at, tz),
                                         deadline=msg.local_datetime(ev.deadline, tz))
    return msg.card(texts.EV_REMINDER_TITLE, body,
                    answer_actions(ev) + [msg.postback(texts.EV_DETAILS, pb("ev_info", e=ev.id))],
                    alt=f"{texts.EV_REMINDER_TITLE}：{ev.name}", quick=answer_actions(ev))


# --- drafting --------------------------------------------------------------------------------
def own_draft(ctx: Ctx) -> Event | None:
    """The draft this officer's button or dialog refers to, if it is still a draft of theirs."""
    d = ctx.dialog
    eid = num(ctx.data.get("e")) or (num(d.data.get("event_id")) if d and d.flow == "event" else 0)
    ev = ctx.session.get(Event, eid) if eid else None
    if ev is None or ev.association_id != ctx.association.id or ev.author_id != ctx.member.id \
            or ev.state != EventState.draft:
        ctx.reply(msg.text(texts.STALE_DRAFT))
        return None
    return ev


def filled(ev: Event, step: str) -> bool:
    return bool({"name": ev.name, "when": ev.starts_at, "place": ev.place, "deadline": ev.deadline}.get(step))


def question(ctx: Ctx, ev: Event, step: str) -> tuple[str, list]:
    """What a dialog step asks, with its buttons: pickers for dates, ev_set postbacks for choices."""
    def choice(label: str, value) -> dict:
        return msg.postback(label, pb("ev_set", e=ev.id, f=step, v=value))

    def local_date(at: dt.datetime) -> str:
        return str(at.astimezone(ZoneInfo(ctx.settings.timezone)).date())

    picked = pb("ev_set", e=ev.id, f=step)
    if step == "when":
        return texts.EV_ASK_WHEN.format(name=ev.name), [
            msg.picker(texts.EV_PICK_WHEN, picked, low=f"{local_date(ctx.now)}T00:00")]
    if step == "deadline":
        return texts.EV_ASK_DEADLINE, [msg.picker(texts.EV_PICK_DEADLINE, picked, "date", low=local_date(ctx.now),
                                                  high=local_date(ev.starts_at) if ev.starts_at else None)]
    if step == "target":
        return texts.ASK_TARGET, [choice(texts.TARGET_ALL, Target.all.value),
                                  choice(texts.TARGET_BLOCKS, Target.blocks.value),
                                  choice(texts.TARGET_OFFICERS, Target.officers.value)]
    if step == "unit":
        return texts.EV_ASK_UNIT, [choice(texts.EV_UNIT_HOUSEHOLD, 0), choice(texts.EV_UNIT_PERSON, 1)]
    if step == "count":
        return texts.EV_ASK_COUNT, [choice(texts.EV_COUNT_YES, 1), choice(texts.EV_COUNT_NO, 0)]
    if step == "note":
        return texts.EV_ASK_NOTE, [msg.say(texts.EV_NO_NOTE)]
    return (texts.EV_ASK_NAME if step == "name" else texts.EV_ASK_PLACE), []


def ask(ctx: Ctx, ev: Event, step: str, problem: str | tuple[str, list] | None = None, **flags) -> None:
    old = ctx.dialog.data if ctx.dialog and ctx.dialog.flow == "event" else {}
    ctx.start_dialog("event", step, **{**old, **flags, "event_id": ev.id})
    if step == "target" and ctx.member.role == Role.block_leader:
        return advance(ctx, ev, "target")  # a block leader asks in their own 班 (set with the draft)
    if isinstance(problem, tuple):  # a question of its own, with its buttons (e.g. [はい] [いいえ])
        problem, choices = problem
        return ctx.reply(msg.text(problem, choices + [msg.say(texts.CANCEL)]))
    text, actions = question(ctx, ev, step)
    ctx.reply(msg.text(f"{problem}\n{text}" if problem else text, actions + [msg.say(texts.CANCEL)]))


def advance(ctx: Ctx, ev: Event, done: str | None) -> None:
    """After an answer: back to the preview when editing, else on to the next question.

    Filled-in required steps are skipped; in the one-shot form so are the optional ones."""
    flags = ctx.dialog.data if ctx.dialog and ctx.dialog.flow == "event" else {}
    if not flags.get("edit"):
        for step in STEPS[STEPS.index(done) + 1 if done else 0:]:
            if not (filled(ev, step) or (flags.get("oneshot") and step not in REQUIRED)):
                return ask(ctx, ev, step)
    preview(ctx, ev)


# setters: (ctx, event, value) → a problem to tell (a text, or a text with buttons), or None when taken
def set_name(ctx: Ctx, ev: Event, v: str) -> str | None:
    if len(v) > MAX_NAME:
        return texts.EV_NAME_TOO_LONG
    ev.name = v
    return None


def set_when(ctx: Ctx, ev: Event, v: str) -> str | tuple[str, list] | None:
    got = parse_when(v, ctx.now, ctx.settings.timezone)
    if got is None:
        return texts.EV_BAD_WHEN
    if not got[1]:
        return texts.EV_NEED_TIME
    if past_day(ctx, got[0]) and not year_given(v):  # 「12/1」 on 12/2: ask whether next year's is meant
        day = dict(month=got[0].month, day=got[0].day)
        try:
            later = got[0].replace(year=got[0].year + 1)
        except ValueError:  # 29 Feb: no such day next year
            return texts.EV_DATE_PAST.format(**day)
        return texts.EV_WHEN_NEXT_YEAR.format(**day), [
            msg.postback(texts.EV_YES, pb("ev_set", e=ev.id, f="when", v=later.strftime("%Y-%m-%dT%H:%M"))),
            msg.postback(texts.EV_NO, pb("ev_set", e=ev.id, f="when"))]  # no value: the question again
    if got[0] <= ctx.now:
        return texts.EV_PAST_WHEN
    ev.starts_at = got[0].astimezone(dt.timezone.utc)
    if ev.deadline and ev.deadline > ev.starts_at:
        ev.deadline = None  # asked again before the preview
    return None


def set_place(ctx: Ctx, ev: Event, v: str) -> str | None:
    if len(v) > MAX_PLACE:
        return texts.EV_PLACE_TOO_LONG
    ev.place = v
    return None


def set_deadline(ctx: Ctx, ev: Event, v: str) -> str | None:
    got = parse_when(v, ctx.now, ctx.settings.timezone)
    if got is None:
        return texts.EV_BAD_WHEN
    at = got[0] if got[1] else got[0].replace(hour=23, minute=59)
    if past_day(ctx, at):  # 「締切 12/1」 on 12/2: refused, saying why (never moved to next year)
        return texts.EV_DATE_PAST.format(month=at.month, day=at.day)
    if not (ctx.now < at and (ev.starts_at is None or at <= ev.starts_at)):
        return texts.EV_BAD_DEADLINE
    ev.deadline = at.astimezone(dt.timezone.utc)
    return None


def set_target(ctx: Ctx, ev: Event, v: str) -> str | None:
    if ctx.member.role == Role.block_leader:
        return None
    words = normalize(v)
    if words in (Target.all.value, normalize(texts.TARGET_ALL)):
        ev.target, ev.target_block_ids = Target.all, []
    elif words in (Target.officers.value, normalize(texts.TARGET_OFFICERS), "役員"):
        ev.target, ev.target_block_ids = Target.officers, []
    else:  # 「1班・2班」
        blocks = {normalize_name(b.name): b.id for b in ctx.association.blocks}
        names = [w for w in re.split(r"[・、,，/]", unicodedata.normalize("NFKC", v)) if w.strip()]
        ids = [blocks.get(normalize_name(w)) for w in names]
        if not ids or None in ids:
            return texts.EV_BAD_TARGET
        ev.target, ev.target_block_ids = Target.blocks, ids
    return None


def set_unit(ctx: Ctx, ev: Event, v: str) -> str | None:
    ev.per_person = v == "1" or any(w in v for w in texts.EV_PERSON_WORDS)
    return None


def set_count(ctx: Ctx, ev: Event, v: str) -> str | None:
    ev.ask_count = v == "1" or any(w in v for w in texts.EV_YES_WORDS)
    return None


def set_note(ctx: Ctx, ev: Event, v: str) -> str | None:
    ev.note = "" if normalize(v) == texts.EV_NO_NOTE else v[:MAX_NOTE]
    return None


SETTERS = {"name": set_name, "when": set_when, "place": set_place, "deadline": set_deadline,
           "target": set_target, "unit": set_unit, "count": set_count, "note": set_note}


def take(ctx: Ctx, ev: Event, step: str, value: str) -> None:
    if not value.strip():
        return ask(ctx, ev, step)
    problem = SETTERS[step](ctx, ev, value.strip())
    if problem:
        return ask(ctx, ev, step, problem)
    ev.version += 1
    advance(ctx, ev, step)


def new_draft(ctx: Ctx, name: str) -> Event:
    old = ctx.dialog
    if old is not None and old.flow == "event":
        prev = ctx.session.get(Event, num(old.data.get("event_id")))
        if prev is not None and prev.state == EventState.draft:
            ctx.session.delete(prev)
    ev = Event(association_id=ctx.association.id, author_id=ctx.member.id, name=name[:MAX_NAME], target=Target.all)
    if ctx.member.role == Role.block_leader:
        ev.target, ev.target_block_ids = Target.blocks, [ctx.member.led_block_id]
    ctx.session.add(ev)
    ctx.session.flush()
    return ev


@router.command(texts.CMD_EVENT, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    """「出欠」 starts the dialog; 「出欠 行事名」 + lines 「日時 …」「場所 …」「締切 …」… is the one-shot form."""
    first, *lines = ctx.text[len(texts.CMD_EVENT):].strip().split("\n")
    ev = new_draft(ctx, first.strip())
    ctx.start_dialog("event", "name", event_id=ev.id, oneshot=bool(lines))
    problems: dict[str, str] = {}
    for line in filter(str.strip, lines):
        m = FORM_LINE.match(line.strip())
        if m is None:  # a line without a key belongs to the note
            ev.note = f"{ev.note}\n{line.strip()}".strip()[:MAX_NOTE]
            continue
        step = texts.EV_FORM_KEYS[m[1]]
        problem = SETTERS[step](ctx, ev, m[2].strip())
        if problem:
            problems.setdefault(step, problem)
    first_problem = next((s for s in STEPS if s in problems), None)
    if first_problem:
        return ask(ctx, ev, first_problem, problems[first_problem])
    advance(ctx, ev, None)


def on_typed(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return ctx.end_dialog()
    step = ctx.dialog.step
    if ctx.event.message.type != "text" or step in BUTTON_STEPS:
        return ask(ctx, ev, step)
    take(ctx, ev, step, ctx.text)


for _step in STEPS:
    router.dialog("event", _step, takes_text=_step not in BUTTON_STEPS)(on_typed)


@router.postback("ev_set", roles=OFFICER_ROLES)
def on_set(ctx: Ctx) -> None:
    """A button or picker of a dialog step: f = the step, v = the value (pickers: params)."""
    ev = own_draft(ctx)
    step = ctx.data.get("f")
    if ev is None or step not in SETTERS:
        return
    params = getattr(ctx.event.postback, "params", None) or {}
    value = ctx.data.get("v") or params.get("datetime") or params.get("date") or ""
    if step == "target" and value == Target.blocks.value and ctx.member.role != Role.block_leader:
        ev.target, ev.target_block_ids = Target.blocks, []
        return block_picker(ctx, ev)
    take(ctx, ev, step, value)


def block_picker(ctx: Ctx, ev: Event, offset: int = 0) -> None:
    actions, names = block_toggles(ctx.association.blocks, set(ev.target_block_ids or []), offset,
                                   toggle=lambda b, o: pb("ev_block", e=ev.id, b=b.id, o=o),
                                   page=lambda o: pb("ev_block_page", e=ev.id, o=o), done=pb("ev_blocks_done", e=ev.id))
    ctx.reply(msg.text(texts.ASK_BLOCKS.format(chosen=names or texts.EV_NONE), actions))


@router.postback("ev_block_page", roles=OFFICER_ROLES)
def on_block_page(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is not None:
        block_picker(ctx, ev, num(ctx.data.get("o")))


@router.postback("ev_block", roles=OFFICER_ROLES)
def on_block_toggle(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    block = ctx.session.get(Block, num(ctx.data.get("b")))
    if ev is None or block is None or block.association_id != ctx.association.id \
            or ctx.member.role == Role.block_leader:
        return
    chosen = list(ev.target_block_ids or [])
    chosen.remove(block.id) if block.id in chosen else chosen.append(block.id)
    ev.target_block_ids = chosen
    block_picker(ctx, ev, num(ctx.data.get("o")))


@router.postback("ev_blocks_done", roles=OFFICER_ROLES)
def on_blocks_done(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return
    if not ev.target_block_ids:
        return block_picker(ctx, ev)
    ev.version += 1
    advance(ctx, ev, "target")


# --- preview, edit, send, cancel -----------------------------------------------------------
def reminder_times(ctx: Ctx, ev: Event) -> list[dt.datetime]:
    st = ctx.settings
    return plan_times_before(ev.deadline, ev.reminder_plan or [], st.timezone, st.reminder_hour,
                             (st.quiet_start_hour, st.quiet_end_hour), ev.sent_at or ctx.now)


def preview(ctx: Ctx, ev: Event) -> None:
    missing = next((s for s in REQUIRED if not filled(ev, s)), None)
    if missing:  # e.g. the date moved after the deadline: ask the deadline again
        return ask(ctx, ev, missing)
    aud = audience(ctx.session, ev)
    ctx.start_dialog("event", "preview", event_id=ev.id)
    pushes = len(aud.recipients)
    summary = texts.EV_PREVIEW_SUMMARY.format(
        target=target_label(ctx.session, ev), unit=texts.EV_UNIT_LABELS[ev.per_person],
        count=texts.EV_COUNT_LABEL if ev.ask_count else "", line_households=len(aud.line_households),
        recipients=pushes, paper_households=len(aud.paper_households), pushes=pushes)
    limit, used = sending_quota(ctx)
    if limit is not None and used is not None:
        summary += "\n" + texts.PREVIEW_QUOTA.format(remaining=max(0, limit - used))
    times = reminder_times(ctx, ev)
    summary += "\n\n" + (texts.EV_REMINDER_PLAN.format(when="・".join(when_text(ctx, t) for t in times),
                                                       pushes=pushes * len(times)) if times else texts.REMINDER_NONE)
    choices = [msg.say(texts.EV_REMINDER_CHOICE.format(n=n), texts.EV_REMINDER_SET.format(n=n)) for n in (1, 3, 7)]
    choices.append(msg.say(texts.EV_REMINDER_OFF, texts.EV_REMINDER_SET_OFF))
    ctx.reply(
        msg.text(texts.PREVIEW_INTRO),
        resident_card(ctx.session, ctx.settings, ev),
        msg.card(texts.CONFIRM_QUESTION, summary, [
            msg.postback(texts.SEND, pb("ev_send", e=ev.id, v=ev.version)),
            msg.postback(texts.EDIT, pb("ev_edit", e=ev.id)),
            msg.postback(texts.CANCEL, pb("ev_cancel", e=ev.id)),
        ], note=texts.EV_REMINDER_HINT, quick=choices),
    )


@router.dialog("event", "preview", takes_text=False)
def on_preview_text(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return ctx.end_dialog()
    plan = parse_reminder(ctx.text)
    if plan is not None:
        ev.reminder_plan, ev.version = plan, ev.version + 1
    preview(ctx, ev)


@router.postback("ev_edit", roles=OFFICER_ROLES)
def on_edit(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return
    steps = [s for s in STEPS if not (s == "target" and ctx.member.role == Role.block_leader)]
    ctx.reply(msg.text(texts.EDIT_WHICH, [msg.postback(texts.EV_FIELDS[s], pb("ev_field", e=ev.id, f=s))
                                          for s in steps]))


@router.postback("ev_field", roles=OFFICER_ROLES)
def on_field(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return
    f = ctx.data.get("f")
    ask(ctx, ev, f if f in STEPS else "name", edit=True)


@router.postback("ev_cancel", roles=OFFICER_ROLES)
def on_cancel(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return
    ctx.session.delete(ev)
    ctx.end_dialog()
    ctx.reply(msg.text(texts.EV_CANCELLED))


@router.postback("ev_send", roles=OFFICER_ROLES, needs_quota=True)
def on_send(ctx: Ctx) -> None:
    ev = own_draft(ctx)
    if ev is None:
        return
    if str(ev.version) != ctx.data.get("v"):
        return ctx.reply(msg.text(texts.STALE_PREVIEW))
    if outside_own_block(ctx.member, ev.target, ev.target_block_ids):
        return ctx.reply(msg.text(texts.OFFICERS_ONLY))
    if not all(filled(ev, s) for s in REQUIRED) or ev.deadline <= ctx.now:  # a draft left for days
        return ask(ctx, ev, "deadline", texts.EV_BAD_DEADLINE, edit=True)
    aud = audience(ctx.session, ev)
    if ctx.data.get("force") != "1" and not within_quota(
            ctx, len(aud.recipients), pb("ev_send", e=ev.id, v=ev.version, force=1), pb("ev_cancel", e=ev.id)):
        return
    mark_sent(ctx.session, ev, aud, ctx.now)
    ctx.push(aud.user_ids, [resident_card(ctx.session, ctx.settings, ev)], purpose=f"event:{ev.id}")
    schedule(ctx.session, ev.association_id, SUBJECT, ev.id, reminder_times(ctx, ev))
    notify_paper(ctx, aud.paper_households, lambda block, names: texts.EV_PAPER_LIST.format(
        name=ev.name, block=block, names=names), purpose=f"paper:event:{ev.id}")
    ctx.end_dialog()
    ctx.audit("event.send", f"event:{ev.id}", households=len(aud.households), pushes=len(aud.recipients))
    ctx.reply(msg.text(texts.EV_SENT.format(households=len(aud.households), line_households=len(aud.line_households),
                                            paper_households=len(aud.paper_households))))


# --- answering (residents, and officers by proxy) ---------------------------------------------
def open_event(ctx: Ctx, event_id) -> Event | None:
    ev = ctx.session.get(Event, num(event_id))
    if ev is None or ev.association_id != ctx.association.id or ev.state != EventState.sent:
        ctx.reply(msg.text(texts.EV_GONE))
        return None
    if not ev.is_open(ctx.now):
        ctx.reply(msg.text(texts.EV_CLOSED.format(name=ev.name)))
        return None
    return ev


def my_delivery(ctx: Ctx, ev: Event) -> Delivery | None:
    if not ctx.is_member:
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None
    d = delivery_of(ctx.session, ev, ctx.member)
    if d is not None and ev.target == Target.officers and not ctx.member.is_officer:
        d = None  # 役員のみ: the officer's family shares the household receipt but was not asked
    if d is None:
        ctx.reply(msg.text(texts.EV_NOT_FOR_YOU))
    return d


def may_proxy(ctx: Ctx, d: Delivery) -> bool:
    """Officers answer for a household (person_key 0); block leaders only in their own 班."""
    m = ctx.member
    return m is not None and m.is_officer and d.person_key == 0 and m.led_block_id in (None, d.household.block_id)


def answerable(ctx: Ctx, delivery_id, proxy: bool) -> tuple[Event, Delivery] | tuple[None, None]:
    """The open event and receipt a later answer step refers to, if this user may still answer it."""
    d = ctx.session.get(Delivery, num(delivery_id))
    if d is None or d.event_id is None or d.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None, None
    ev = open_event(ctx, d.event_id)
    if ev is None:
        return None, None
    if proxy and not may_proxy(ctx, d):
        ctx.reply(msg.text(texts.OFFICERS_ONLY))
        return None, None
    if not proxy and (not ctx.is_member or delivery_of(ctx.session, ev, ctx.member) is not d):
        ctx.reply(msg.text(texts.EV_NOT_FOR_YOU))
        return None, None
    return ev, d


def record(ctx: Ctx, ev: Event, d: Delivery, answer: str, proxy: bool) -> None:
    if answer not in ANSWERS:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    d.record_answer(answer, ctx.member, proxy=proxy, at=ctx.now)
    if proxy:
        ctx.audit("event.proxy", f"event:{ev.id}", household=d.household_id, answer=answer)
    if answer == "yes" and ev.ask_count:
        return ask_heads(ctx, d, proxy)
    ask_comment(ctx, ev, d, proxy)


def in_answer(ctx: Ctx) -> bool:
    """Whether the user's dialog (if any) is an answer's: drafting dialogs are not cut off by a tap."""
    return ctx.dialog is None or ctx.dialog.flow == "ev_answer"


def ask_heads(ctx: Ctx, d: Delivery, proxy: bool) -> None:
    p = {"p": 1} if proxy else {}
    if in_answer(ctx):  # a number typed instead of tapped is taken too
        ctx.start_dialog("ev_answer", "heads", delivery_id=d.id, proxy=proxy)
    chips = [msg.postback(texts.EV_HEADS_CHIP.format(n=n), pb("ev_cnt", d=d.id, n=n, **p)) for n in range(1, 6)]
    ctx.reply(msg.text(texts.EV_ASK_HEADS, chips + [msg.postback(texts.EV_MORE_PEOPLE, pb("ev_cnt", d=d.id, n=0, **p))]))


def ask_comment(ctx: Ctx, ev: Event, d: Delivery, proxy: bool) -> None:
    if not in_answer(ctx):  # in the middle of drafting: no comment question, just the confirmation
        return confirm(ctx, ev, d, proxy)
    ctx.start_dialog("ev_answer", "comment", delivery_id=d.id, proxy=proxy)
    p = {"p": 1} if proxy else {}
    ctx.reply(msg.text(texts.EV_ASK_COMMENT.format(answer=texts.ANSWER_LABELS[d.answer]),
                       [msg.postback(texts.EV_NO_COMMENT, pb("ev_note", d=d.id, **p))]))


def answer_text(ev: Event, d: Delivery) -> str:
    """「参加（2人）」"""
    n = (d.answer_data or {}).get("count")
    heads = texts.EV_HEADS.format(n=n) if ev.ask_count and d.answer == "yes" and n else ""
    return texts.ANSWER_LABELS.get(d.answer, "") + heads


def comment_text(d: Delivery) -> str:
    return (d.answer_data or {}).get("comment") or texts.EV_NONE


def summary(ctx: Ctx, ev: Event, d: Delivery) -> str:
    return texts.EV_SUMMARY.format(name=ev.name, when=when_text(ctx, ev.starts_at), answer=answer_text(ev, d),
                                   comment=comment_text(d))


def who_answered(ctx: Ctx, d: Delivery) -> str:
    if d.answered_by_proxy:
        return texts.EV_BY_PROXY
    if d.answered_by_id == ctx.member.id:
        return texts.EV_SELF
    return f"{d.answered_by.name}さん" if d.answered_by and d.answered_by.name else texts.EV_FAMILY


def confirm(ctx: Ctx, ev: Event, d: Delivery, proxy: bool) -> None:
    if ctx.dialog is not None and in_answer(ctx):
        ctx.end_dialog()
    if proxy:
        text = texts.EV_PROXY_RECORDED.format(household=d.household.name, summary=summary(ctx, ev, d))
        more = msg.postback(texts.EV_PROXY_MORE, pb("ev_proxy", e=ev.id, b=d.household.block_id))
        return ctx.reply(msg.text(text, [more]))
    text = texts.EV_RECORDED.format(summary=summary(ctx, ev, d), deadline=when_text(ctx, ev.deadline))
    if not ev.per_person:  # the household's answer: say who gave it
        text += "\n" + texts.EV_ANSWERED_BY.format(who=f"{ctx.member.name}さん" if ctx.member.name else texts.EV_SELF)
    ctx.reply(msg.text(text))


@router.postback("ev_ans")
def on_answer(ctx: Ctx) -> None:
    ev = open_event(ctx, ctx.data.get("e"))
    d = my_delivery(ctx, ev) if ev else None
    if d is not None:
        record(ctx, ev, d, ctx.data.get("v", ""), proxy=False)


@router.postback("ev_cnt")
def on_heads(ctx: Ctx) -> None:
    proxy = ctx.data.get("p") == "1"
    ev, d = answerable(ctx, ctx.data.get("d"), proxy)
    if d is None:
        return
    n = num(ctx.data.get("n"))
    if not n:  # 6人以上: the number comes as text (in a dialog, even if another one was waiting)
        ctx.start_dialog("ev_answer", "heads", delivery_id=d.id, proxy=proxy)
        return ctx.reply(msg.text(texts.EV_ASK_HEADS_TEXT))
    amend(d, count=min(n, MAX_HEADS))
    ask_comment(ctx, ev, d, proxy)


@router.postback("ev_note")
def on_no_comment(ctx: Ctx) -> None:
    proxy = ctx.data.get("p") == "1"
    ev, d = answerable(ctx, ctx.data.get("d"), proxy)
    if d is not None:
        confirm(ctx, ev, d, proxy)


def dialog_answer(ctx: Ctx) -> tuple[Event, Delivery, bool] | None:
    """The answer a typed head count or comment belongs to (None: the dialog is over)."""
    data = ctx.dialog.data
    if ctx.now - ctx.dialog.updated_at > COMMENT_WINDOW:  # long forgotten: not a comment
        ctx.end_dialog()
        fallback(ctx)
        return None
    ev, d = answerable(ctx, data.get("delivery_id"), bool(data.get("proxy")))
    if d is None:
        ctx.end_dialog()
        return None
    return ev, d, bool(data.get("proxy"))


@router.dialog("ev_answer", "heads", takes_text=False)
def on_heads_text(ctx: Ctx) -> None:
    got = dialog_answer(ctx)
    if got is None:
        return
    ev, d, proxy = got
    n = num(unicodedata.normalize("NFKC", ctx.text).strip().rstrip("人名"))
    if not 0 < n <= MAX_HEADS:
        return ctx.reply(msg.text(texts.EV_BAD_HEADS))
    amend(d, count=n)
    ask_comment(ctx, ev, d, proxy)


@router.dialog("ev_answer", "comment", takes_text=False)
def on_comment_text(ctx: Ctx) -> None:
    got = dialog_answer(ctx)
    if got is None:
        return
    ev, d, proxy = got
    if not ctx.text:
        return ask_comment(ctx, ev, d, proxy)
    if normalize(ctx.text) != texts.EV_NO_COMMENT:
        amend(d, comment=ctx.text[:MAX_COMMENT])
    confirm(ctx, ev, d, proxy)


@router.postback("ev_info")
def on_details(ctx: Ctx) -> None:
    """[詳細を見る]: the whole event and this household's (or person's) answer; counts as read."""
    ev = ctx.session.get(Event, num(ctx.data.get("e")))
    if ev is None or ev.association_id != ctx.association.id or ev.state != EventState.sent:
        return ctx.reply(msg.text(texts.EV_GONE))
    d = my_delivery(ctx, ev)
    if d is None:
        return
    d.mark_read(ctx.member, "button", ctx.now)
    lines = [texts.EV_DETAIL.format(name=ev.name, when=when_text(ctx, ev.starts_at), place=ev.place,
                                    deadline=when_text(ctx, ev.deadline))
             + (texts.EV_CLOSED_MARK if not ev.is_open(ctx.now) else "")]
    if ev.note:
        lines.append(ev.note[:3000])
    if d.answer:
        lines.append(texts.EV_YOUR_ANSWER.format(answer=answer_text(ev, d), who=who_answered(ctx, d),
                                                 when=when_text(ctx, d.answered_at), comment=comment_text(d)))
    elif ev.is_open(ctx.now):
        lines.append(texts.EV_NO_ANSWER_YET)
    ctx.reply(msg.text("\n\n".join(lines), answer_actions(ev) if ev.is_open(ctx.now) else None))


# --- 代理回答 ---------------------------------------------------------------------------------
@router.postback("ev_proxy", roles=OFFICER_ROLES)
def on_proxy(ctx: Ctx) -> None:
    """Pick the 班 (board members), then the household: paper households first, 11 a page."""
    ev = open_event(ctx, ctx.data.get("e"))
    if ev is None:
        return
    block_id = ctx.member.led_block_id or num(ctx.data.get("b"))
    if not block_id:
        chips = paged(ctx.association.blocks, num(ctx.data.get("bo")), 1,
                      lambda b: msg.postback(b.name, pb("ev_proxy", e=ev.id, b=b.id)),
                      lambda o: pb("ev_proxy", e=ev.id, bo=o))
        return ctx.reply(msg.text(texts.EV_PROXY_PICK_BLOCK, chips + [msg.say(texts.CANCEL)]))
    rows = [r for r in results(ctx.session, ev, block_id).rows if r.delivery.person_key == 0]
    if not rows:
        return ctx.reply(msg.text(texts.EV_PROXY_NONE))
    rows.sort(key=lambda r: r.delivery.via_line)
    offset = num(ctx.data.get("o"))
    actions = [msg.postback(r.name + (texts.EV_PROXY_ANSWERED if r.delivery.answer else ""),
                            pb("ev_pick", d=r.delivery.id), f"{r.name}様") for r in rows[offset:offset + PICK_PAGE]]
    if offset + PICK_PAGE < len(rows):
        actions.append(msg.postback(texts.NEXT, pb("ev_proxy", e=ev.id, b=block_id, o=offset + PICK_PAGE)))
    ctx.reply(msg.text(texts.EV_PROXY_PICK.format(block=rows[0].block), actions + [msg.say(texts.CANCEL)]))


@router.postback("ev_pick", roles=OFFICER_ROLES)
def on_proxy_pick(ctx: Ctx) -> None:
    ev, d = answerable(ctx, ctx.data.get("d"), proxy=True)
    if d is not None:
        ctx.reply(msg.text(texts.EV_PROXY_ASK.format(household=d.household.name),
                           [msg.postback(texts.ANSWER_LABELS[v], pb("ev_pans", d=d.id, v=v)) for v in ANSWERS]))


@router.postback("ev_pans", roles=OFFICER_ROLES)
def on_proxy_answer(ctx: Ctx) -> None:
    ev, d = answerable(ctx, ctx.data.get("d"), proxy=True)
    if d is not None:
        record(ctx, ev, d, ctx.data.get("v", ""), proxy=True)


# --- 集計 -----------------------------------------------------------------------------------
def results_text(ctx: Ctx, ev: Event, res, board: bool) -> str:
    c = res.counts
    lines = [texts.EV_RESULTS_ITEM.format(name=ev.name, when=when_text(ctx, ev.starts_at),
                                          deadline=when_text(ctx, ev.deadline),
                                          closed="" if ev.is_open(ctx.now) else texts.EV_CLOSED_MARK),
             texts.EV_RESULTS_COUNTS.format(**c, total=res.total, unit=texts.EV_UNIT_COUNTERS[ev.per_person])]
    if ev.ask_count:
        lines.append(texts.EV_RESULTS_HEADS.format(heads=res.heads))
    if board and len(res.blocks) > 1:
        lines += [texts.EV_RESULTS_BLOCK.format(block=b.block, **b.counts) for b in res.blocks]
    waiting = res.waiting
    if waiting:
        names = "、".join(f"{r.name}様" + ("" if r.delivery.via_line else texts.PAPER_MARK) for r in waiting[:40])
        more = texts.EV_RESULTS_MORE.format(n=len(waiting) - 40) if len(waiting) > 40 else ""
        lines.append(texts.EV_RESULTS_WAITING.format(names=names + more))
    else:
        lines.append(texts.EV_RESULTS_ALL)
    if board:
        for r in planned(ctx.session, SUBJECT, ev.id):
            if r.status == "planned":
                users, n = pending_recipients(ctx.session, SUBJECT, ev.id, until_answered=True)
                lines.append(texts.EV_RESULTS_REMINDER.format(when=when_text(ctx, r.due_at), n=n, pushes=len(users)))
    return "\n".join(lines)


@router.command(texts.CMD_RESULTS, roles=OFFICER_ROLES)
def on_results(ctx: Ctx) -> None:
    """Counts per answer, head count, per 班, and who has not answered (block leaders: their 班)."""
    block = ctx.member.led_block_id
    parts, proxies = [], []
    for ev in recent_events(ctx.session, ctx.association.id):
        res = results(ctx.session, ev, block)
        if block is not None and res.total == 0:
            continue  # not asked in this block leader's 班
        parts.append(results_text(ctx, ev, res, board=block is None))
        if ev.is_open(ctx.now):
            proxies.append(msg.postback(texts.EV_PROXY_CHIP.format(name=ev.name), pb("ev_proxy", e=ev.id),
                                        texts.EV_PROXY))
    if not parts:
        return ctx.reply(msg.text(texts.EV_RESULTS_NONE))
    ctx.reply(msg.text("\n\n".join(parts + [texts.EV_RESULTS_PAGE])[:4900], proxies))

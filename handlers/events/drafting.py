"""Drafting an event (officers): 出欠 → name, date and time, place, deadline, whom, per household or
per person, head count, note → preview → [送信] (or edit, cancel)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from handlers.messages import builders as msg
from handlers.messages import texts
from models import Block, Event, EventState, OFFICER_ROLES, Role, Target
from models.circulars import audience, target_label
from models.events import SUBJECT, mark_sent
from models.reminders import plan_times_before, schedule
from models.roster import normalize_name

from handlers.framework.sending import parse_reminder
from handlers.messages.pickers import block_toggles
from handlers.framework.sending import notify_paper, outside_own_block, within_quota
from handlers.framework.sending import quota as sending_quota
from handlers.framework.ctx import Ctx
from handlers.messages.codec import normalize, pb
from handlers.framework.router import router
from handlers.events.common import (
    BUTTON_STEPS,
    FORM_LINE,
    MAX_NAME,
    MAX_NOTE,
    MAX_PLACE,
    REQUIRED,
    STEPS,
    num,
    parse_when,
    past_day,
    resident_card,
    when_text,
    year_given,
)


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

"""Drafting an event (officers): 出欠 → name, date and time, place, deadline, whom, per household or
per person, head count, note → preview → [送信] (or edit, cancel). The lifecycle is DraftFlow's
(handlers/framework/draft.py); here are the steps and what a send does.

```mermaid
stateDiagram-v2
    [*] --> name
    name --> when
    when --> place
    place --> deadline
    deadline --> target
    target --> unit
    unit --> count
    count --> note
    note --> preview
    target --> target: ev_block
    preview --> preview: reminder
    preview --> name: ev_field
    preview --> when: ev_field
    preview --> place: ev_field
    preview --> deadline: ev_field
    preview --> target: ev_field
    preview --> unit: ev_field
    preview --> count: ev_field
    preview --> note: ev_field
    preview --> [*]: ev_send
    preview --> [*]: ev_cancel
```
"""
from __future__ import annotations

import datetime as dt

from handlers.events.common import resident_card
from handlers.events.form import FORM_LINE, parse_when, past_day, year_given
from handlers.framework.ctx import Ctx
from handlers.framework.draft import DraftFlow, Field, ModelDrafts, Reminders, Sent, target_field
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import normalize
from handlers.messages.labels import target_label
from models import OFFICER_ROLES, Event, EventState, Target
from models.circulars import audience, target_block_names
from models.events import SUBJECT, mark_sent
from models.reminders import plan_times_before, schedule

MAX_NAME, MAX_PLACE, MAX_NOTE = 40, 60, 2000


# setters: (ctx, event, value) → a problem to tell (a text, or a text with buttons), or None when taken
def set_name(ctx: Ctx, ev: Event, v: str) -> str | None:
    if len(v) > MAX_NAME:
        return texts.EV_NAME_TOO_LONG + texts.TOO_LONG_COUNT.format(n=len(v))
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
            ("set", texts.EV_YES, later.strftime("%Y-%m-%dT%H:%M")),
            ("set", texts.EV_NO, "")]  # no value: the question again
    if got[0] <= ctx.now:
        return texts.EV_PAST_WHEN
    ev.starts_at = got[0].astimezone(dt.timezone.utc)
    if ev.deadline and ev.deadline > ev.starts_at:
        ev.deadline = None  # asked again before the preview
    return None


def set_place(ctx: Ctx, ev: Event, v: str) -> str | None:
    if len(v) > MAX_PLACE:
        return texts.EV_PLACE_TOO_LONG + texts.TOO_LONG_COUNT.format(n=len(v))
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


def set_unit(ctx: Ctx, ev: Event, v: str) -> str | None:
    ev.per_person = v == "1" or any(w in v for w in texts.EV_PERSON_WORDS)
    return None


def set_count(ctx: Ctx, ev: Event, v: str) -> str | None:
    ev.ask_count = v == "1" or any(w in v for w in texts.EV_YES_WORDS)
    return None


def set_note(ctx: Ctx, ev: Event, v: str) -> str | None:
    if len(v) > MAX_NOTE:  # never cut: the limit, and asked again
        return texts.EV_NOTE_TOO_LONG.format(max=MAX_NOTE) + texts.TOO_LONG_COUNT.format(n=len(v))
    ev.note = "" if normalize(v) == texts.EV_NO_NOTE else v
    return None


def ask_when(ctx: Ctx, ev: Event) -> tuple[str, list]:
    return texts.EV_ASK_WHEN.format(name=ev.name), [
        msg.picker(texts.EV_PICK_WHEN, FLOW.set_data(ev, "when"),
                   low=f"{dates.iso_date(ctx.now, ctx.settings.timezone)}T00:00")]


def ask_deadline(ctx: Ctx, ev: Event) -> tuple[str, list]:
    return texts.EV_ASK_DEADLINE, [msg.picker(texts.EV_PICK_DEADLINE, FLOW.set_data(ev, "deadline"), "date",
                                              low=dates.iso_date(ctx.now, ctx.settings.timezone),
                                              high=dates.iso_date(ev.starts_at, ctx.settings.timezone)
                                              if ev.starts_at else None)]


def field(name: str, ask, take, filled=None, **kw) -> Field:
    return Field(name, ask, take, filled or (lambda ev: False), label=texts.EV_FIELDS[name], **kw)


STEPS = [
    field("name", lambda ctx, ev: (texts.EV_ASK_NAME, []), set_name, lambda ev: bool(ev.name), required=True),
    field("when", ask_when, set_when, lambda ev: bool(ev.starts_at), required=True),
    field("place", lambda ctx, ev: (texts.EV_ASK_PLACE, []), set_place, lambda ev: bool(ev.place), required=True),
    field("deadline", ask_deadline, set_deadline, lambda ev: bool(ev.deadline), required=True),
    target_field(texts.EV_FIELDS["target"]),
    field("unit", lambda ctx, ev: (texts.EV_ASK_UNIT, [("set", texts.EV_UNIT_HOUSEHOLD, 0),
                                                       ("set", texts.EV_UNIT_PERSON, 1)]),
          set_unit, buttons_only=True, typed=False),
    field("count", lambda ctx, ev: (texts.EV_ASK_COUNT, [("set", texts.EV_COUNT_YES, 1),
                                                         ("set", texts.EV_COUNT_NO, 0)]),
          set_count, buttons_only=True, typed=False),
    field("note", lambda ctx, ev: (texts.EV_ASK_NOTE, [msg.say(texts.EV_NO_NOTE)]), set_note),
]


# --- preview and send ------------------------------------------------------------------------
def reminder_times(ctx: Ctx, ev: Event) -> list[dt.datetime]:
    st = ctx.settings
    return plan_times_before(ev.deadline, ev.reminder_plan or [], st.timezone, st.reminder_hour,
                             (st.quiet_start_hour, st.quiet_end_hour), ev.sent_at or ctx.now)


def summary(ctx: Ctx, ev: Event, aud) -> str:
    pushes = len(aud.recipients)
    return texts.EV_PREVIEW_SUMMARY.format(
        target=target_label(ev.target, target_block_names(ctx.session, ev)), unit=texts.EV_UNIT_LABELS[ev.per_person],
        count=texts.EV_COUNT_LABEL if ev.ask_count else "", line_households=len(aud.line_households),
        recipients=pushes, paper_households=len(aud.paper_households), pushes=pushes)


def ready(ctx: Ctx, ev: Event) -> tuple[str, str] | None:
    """A draft left for days: its deadline may have passed since the preview."""
    if not (ev.name and ev.starts_at and ev.place and ev.deadline) or ev.deadline <= ctx.now:
        return "deadline", texts.EV_BAD_DEADLINE
    return None


def send(ctx: Ctx, ev: Event, aud) -> Sent:
    mark_sent(ctx.session, ev, aud, ctx.now)
    ctx.push(aud.user_ids, [resident_card(ctx.session, ctx.settings, ev)], purpose=f"event:{ev.id}")
    schedule(ctx.session, ev.association_id, SUBJECT, ev.id, reminder_times(ctx, ev))
    return Sent(texts.EV_SENT.format(households=len(aud.households), line_households=len(aud.line_households),
                                     paper_households=len(aud.paper_households)),
                f"event:{ev.id}", {"households": len(aud.households), "pushes": len(aud.recipients)})


FLOW = DraftFlow(
    "event", "ev", ModelDrafts(Event, EventState.draft, key="e", id_key="event_id"), STEPS,
    roles=OFFICER_ROLES, resident=lambda ctx, ev: resident_card(ctx.session, ctx.settings, ev),
    summary=summary, send=send, audit="event.send", audience=lambda ctx, ev: audience(ctx.session, ev),
    reminders=Reminders(texts.EV_REMINDER_CHOICE, texts.EV_REMINDER_SET, texts.EV_REMINDER_HINT,
                        texts.EV_REMINDER_PLAN, reminder_times, dates.weekday),
    paper=lambda ev, block, names: (texts.EV_PAPER_LIST.format(name=ev.name, block=block, names=names),
                                    f"paper:event:{ev.id}"),
    ready=ready, cancelled=texts.EV_CANCELLED)


@router.command(texts.CMD_EVENT, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    """「出欠」 starts the dialog; 「出欠 行事名」 + lines 「日時 …」「場所 …」「締切 …」… is the one-shot form."""
    first, *lines = ctx.text[len(texts.CMD_EVENT):].strip().split("\n")
    ev = FLOW.new(ctx, target=Target.all)
    problems: dict = {}
    if first.strip() and (problem := set_name(ctx, ev, first.strip())):  # never cut: asked again
        problems["name"] = problem
    notes = []
    for line in filter(str.strip, lines):
        m = FORM_LINE.match(line.strip())
        if m is None:  # a line without a key belongs to the note
            notes.append(line.strip())
            continue
        step = texts.EV_FORM_KEYS[m[1]]
        problem = FLOW.fields[step].take(ctx, ev, m[2].strip())
        if problem:
            problems.setdefault(step, problem)
    if notes and (problem := set_note(ctx, ev, "\n".join(filter(None, [ev.note] + notes)))):
        problems.setdefault("note", problem)
    FLOW.open(ctx, ev, oneshot=bool(lines), problems=problems)

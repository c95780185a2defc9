"""行事・出欠: the open events my household (or I, for a per-person event) was asked about, each as
its answer card with the answer given so far; the card's buttons are the events' own (`ev_ans`),
so an answer can be changed until the deadline. Closed, stopped (中止・延期) and not-mine events
are not shown."""
from __future__ import annotations

from sqlalchemy import select

from handlers.events.answers import answer_text
from handlers.events.common import facts
from handlers.framework.ctx import Ctx
from handlers.messages import builders as msg, texts, views as cards
from handlers.views.common import who_answered
from models import Event, EventState, Target
from models.corrections import event_halt
from models.events import delivery_of

SHOWN = cards.MAX_BUBBLES


def open_events(ctx: Ctx) -> list[cards.EventItem]:
    evs = ctx.session.scalars(select(Event).where(
        Event.association_id == ctx.association.id, Event.state == EventState.sent, Event.deadline > ctx.now)
        .order_by(Event.deadline, Event.id))
    items = []
    for ev in evs:
        if not ev.is_open(ctx.now) or event_halt(ctx.session, ctx.association.id, ev.id) is not None:
            continue
        if ev.target == Target.officers and not ctx.member.is_officer:
            continue
        d = delivery_of(ctx.session, ev, ctx.member)
        if d is None:
            continue
        answer = texts.VIEW_EVENT_ANSWERED.format(answer=answer_text(ev, d), who=who_answered(ctx, d)) \
            if d.answer else None
        items.append(cards.EventItem(event=facts(ev), answer=answer))
        if len(items) == SHOWN:
            break
    return items


def show(ctx: Ctx) -> None:
    items = open_events(ctx)
    if not items:
        ctx.reply(msg.text(texts.VIEW_EVENTS_NONE))
        return
    ctx.reply(msg.text(texts.VIEW_EVENTS_HEAD.format(n=len(items))),
              cards.events(ctx.association.name, items, ctx.settings.timezone))

"""出欠 (events): what drafting, answering and 集計 share — the event card residents answer on and
its reminder card. (Reading a typed date and time: handlers/events/form.py.)"""
from __future__ import annotations

import datetime as dt

from handlers.framework.ctx import Ctx
from handlers.messages import cards, dates
from models import Association, Event

MAX_COMMENT = 200
MAX_HEADS = 99
PICK_PAGE = 11  # households per page for 代理回答 (11 + 次へ + 取消 = 13)
COMMENT_WINDOW = dt.timedelta(hours=1)  # a comment typed later than this is not taken as one


def num(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def when_text(ctx: Ctx, at: dt.datetime) -> str:
    return dates.weekday(at, ctx.settings.timezone, ctx.now)


# --- the resident's card (also used by the preview and the reminder): handlers/messages/cards.py
def facts(ev: Event) -> cards.EventFacts:
    return cards.EventFacts(id=ev.id, name=ev.name, starts_at=ev.starts_at, place=ev.place, deadline=ev.deadline,
                            note=ev.note, per_person=ev.per_person)


def answer_actions(ev: Event) -> list:
    return cards.answer_actions(ev.id)


def resident_card(session, settings, ev: Event) -> dict:
    return cards.resident_card(session.get(Association, ev.association_id).name, facts(ev), settings.timezone)


def reminder_card(session, settings, ev: Event) -> dict:
    return cards.reminder_card(facts(ev), settings.timezone)

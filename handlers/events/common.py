"""出欠 (events): what drafting, answering and 集計 share — the event card residents answer on and
its reminder card. (Reading a typed date and time: handlers/events/form.py.)"""
from __future__ import annotations

import datetime as dt

from handlers.messages import builders as msg
from handlers.messages import dates
from handlers.messages import texts
from models import Association, Event
from models.events import ANSWERS

from handlers.framework.ctx import Ctx
from handlers.messages.codec import pb


MAX_COMMENT = 200
MAX_HEADS = 99
PICK_PAGE = 11  # households per page for 代理回答 (11 + 次へ + 取消 = 13)
COMMENT_WINDOW = dt.timedelta(hours=1)  # a comment typed later than this is not taken as one


def num(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def when_text(ctx: Ctx, at: dt.datetime) -> str:
    return dates.weekday(at, ctx.settings.timezone)


# --- the resident's card (also used by the preview and the reminder) ------------------------
def answer_actions(ev: Event) -> list:
    return [msg.postback(texts.ANSWER_LABELS[v], pb("ev_ans", e=ev.id, v=v)) for v in ANSWERS]


def resident_card(session, settings, ev: Event) -> dict:
    tz = settings.timezone
    return msg.event(association_name=session.get(Association, ev.association_id).name, name=ev.name,
                     when=dates.weekday(ev.starts_at, tz), place=ev.place,
                     deadline=dates.weekday(ev.deadline, tz), note=ev.note, per_person=ev.per_person,
                     answers=answer_actions(ev), details=msg.postback(texts.EV_DETAILS, pb("ev_info", e=ev.id)))


def reminder_card(session, settings, ev: Event) -> dict:
    tz = settings.timezone
    body = texts.EV_REMINDER_BODY.format(name=ev.name, when=dates.weekday(ev.starts_at, tz),
                                         deadline=dates.weekday(ev.deadline, tz))
    return msg.card(texts.EV_REMINDER_TITLE, body,
                    answer_actions(ev) + [msg.postback(texts.EV_DETAILS, pb("ev_info", e=ev.id))],
                    alt=f"{texts.EV_REMINDER_TITLE}：{ev.name}", quick=answer_actions(ev))

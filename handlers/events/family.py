"""A household's event answer given by another member (or by an officer for them): the second
member is told what the household answered, by whom and when, and asked [変更する] [そのままにする]
before anything changes. [変更する] carries the number of answers the household had when it was
asked (`k`): a stale or forged one (the household answered again since) changes nothing and asks
again with what stands now. Per-person events (each member answers for themselves) never ask."""
from __future__ import annotations

from handlers.events.common import num
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from models import Delivery, Event, EventState
from models.events import ANSWERS, delivery_of


def answered_by_someone_else(ctx: Ctx, ev: Event, d: Delivery) -> bool:
    return (not ev.per_person and d.answer in ANSWERS
            and (d.answered_by_proxy or d.answered_by_id != ctx.member.id))


def who(d: Delivery) -> str:
    if d.answered_by_proxy:
        return texts.EV_BY_PROXY
    name = d.answered_by.name if d.answered_by is not None else None
    return texts.PERSON_NAME.format(name=name) if name else texts.EV_FAMILY


def conflict(ctx: Ctx, ev: Event, d: Delivery, answer: str) -> bool:
    """True when the answer waits for [変更する] (the question was sent): nothing is recorded."""
    if answer not in ANSWERS or not answered_by_someone_else(ctx, ev, d):
        return False
    if ctx.data.get("k") == str(len(d.history)):
        return False  # confirmed, on what still stands
    at = dates.clock(d.answered_at, ctx.settings.timezone, ctx.now) if d.answered_at else ""
    body = texts.EV_FAMILY_ANSWERED.format(name=ev.name, who=who(d), at=at, answer=texts.ANSWER_LABELS[d.answer],
                                           new=texts.ANSWER_LABELS[answer])
    ctx.reply(msg.text(body, [msg.postback(texts.EV_FAMILY_CHANGE, pb("ev_ans", e=ev.id, v=answer, k=len(d.history), **heads(ctx))),
                              msg.postback(texts.EV_FAMILY_KEEP, pb("ev_keep", e=ev.id))]))
    return True


def heads(ctx: Ctx) -> dict:
    """A head count typed with the answer (「参加 2名」) travels with [変更する]."""
    n = num(ctx.data.get("n"))
    return {"n": n} if n else {}


@router.postback("ev_keep")
def on_keep(ctx: Ctx) -> None:
    """[そのままにする]: nothing changes; the member hears what stands."""
    ev = ctx.session.get(Event, num(ctx.data.get("e")))
    if ev is None or ev.association_id != ctx.association.id or ev.state != EventState.sent or not ctx.is_member:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    d = delivery_of(ctx.session, ev, ctx.member)
    if d is None or d.answer not in ANSWERS:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    ctx.reply(msg.text(texts.EV_FAMILY_KEPT.format(name=ev.name, who=who(d), answer=texts.ANSWER_LABELS[d.answer])))

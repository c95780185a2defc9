"""An answer typed instead of tapped (issue 10): 「参加します」, 「不参加です」, 「新年会　参加　２名」 sent
while an event is open is recorded exactly as the card's button (the same family question, the same
confirmation); the head count comes from the text (「２名」「3人」, full width too). With two open
events and no name, the member is asked which, with buttons. Anything that is not clearly an answer
(「車いすで参加します」) is left to the help.

It hears only what nothing else took (a router interceptor, situation "free"): a dialog's step
and a typed command come first."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from sqlalchemy import select

from handlers.framework import now as doable
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from handlers.messages.limits import QUICK_REPLY_MAX_ITEMS
from models import Event, EventState, MemberStatus, Target
from models.corrections import event_halt
from models.events import delivery_of

MAX_TYPED = 60  # longer texts are messages, not answers
HEADS = re.compile(r"(\d{1,3})\s*(?:" + "|".join(map(re.escape, texts.TYPED_HEAD_UNITS)) + ")")
LABEL_MAX = 20


def answerable(session, member, now) -> list[Event]:
    """The events this member may answer now (sent, before the deadline, not stopped, theirs)."""
    evs = session.scalars(select(Event).where(
        Event.association_id == member.association_id, Event.state == EventState.sent, Event.deadline > now)
        .order_by(Event.deadline, Event.id)).all()
    return [ev for ev in evs if ev.is_open(now) and event_halt(session, member.association_id, ev.id) is None
            and (ev.target != Target.officers or member.is_officer)
            and delivery_of(session, ev, member) is not None]


def open_events(ctx: Ctx) -> list[Event]:
    return answerable(ctx.session, ctx.member, ctx.now)


@doable.provider
def unanswered_now(session, settings, member, now) -> list[doable.Item]:
    """For the help (handlers/framework/now.py): the open events not answered yet, with [詳細を見る]'s
    answer buttons a tap away."""
    return [doable.Item(texts.HELP_NOW_EVENT.format(name=ev.name, deadline=dates.weekday(ev.deadline, settings.timezone)),
                        [msg.postback(ev.name, pb("ev_info", e=ev.id))])
            for ev in answerable(session, member, now) if delivery_of(session, ev, member).answer is None]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def parse(text: str, events: list[Event]) -> Optional[tuple[str, int, list[Event]]]:
    """(answer, head count or 0, the events named in it) if the text is clearly an answer."""
    t = squeeze(text)
    heads = 0
    found = HEADS.search(t)
    if found:
        heads = int(found.group(1))
        t = t[:found.start()] + t[found.end():]
    named = []
    for ev in sorted(events, key=lambda e: -len(squeeze(e.name))):
        name = squeeze(ev.name)
        if name and name in t:
            named.append(ev)
            t = t.replace(name, "", 1)
    for opening in texts.TYPED_OPENINGS:
        if t.startswith(opening):
            t = t[len(opening):].lstrip(texts.TYPED_SEPARATORS)
    changed = True
    while changed:  # 「参加します。」: the endings, one after another
        changed = False
        for end in texts.TYPED_ENDINGS:
            if t.endswith(end) and len(t) > len(end):
                t, changed = t[:-len(end)], True
    answer = texts.TYPED_ANSWER_WORDS.get(t)
    return (answer, heads, named) if answer else None


@router.intercept()
def typed_answer(ctx: Ctx, situation: str) -> bool:
    if situation != "free" or ctx.event.message.type != "text" or not ctx.text or len(ctx.text) > MAX_TYPED:
        return False
    m = ctx.member
    if m is None or m.status != MemberStatus.active:
        return False
    if not any(w in squeeze(ctx.text) for w in texts.TYPED_ANSWER_WORDS):
        return False  # (no look-up for what cannot be an answer)
    events = open_events(ctx)
    got = parse(ctx.text, events) if events else None
    if got is None:
        return False
    answer, heads, named = got
    among = named or events
    extra = {"n": heads} if heads else {}
    if len(among) == 1:
        return router.tap(ctx, pb("ev_ans", e=among[0].id, v=answer, **extra))
    chips = [msg.postback(ev.name[:LABEL_MAX], pb("ev_ans", e=ev.id, v=answer, **extra), ev.name)
             for ev in among[:QUICK_REPLY_MAX_ITEMS]]
    ctx.reply(msg.text(texts.TYPED_WHICH_EVENT.format(answer=texts.ANSWER_LABELS[answer]), chips))
    return True

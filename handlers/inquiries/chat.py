"""問い合わせ in the chat: a resident writes to the officers (the menu's 問い合わせ, or typed), an
officer answers with [返信する]; the dashboard answers through `answer` too (bot/web/inquiries_page.py).

The resident: message (text, or a photo) → confirm [送信する] [やめる] → the officers of the
resident's 班 (its 班長, the chair and the 役員) get a push with [返信する]. The officer: reply text →
confirm → the resident gets 「【自治会からの返事】…」 (the association answers, not a person).

```mermaid
stateDiagram-v2
    [*] --> message
    message --> confirm
    confirm --> confirm
    confirm --> [*]: inq_send
```

```mermaid
stateDiagram-v2
    [*] --> text
    text --> check
    check --> check
    [*] --> text: inq_reply
    check --> [*]: inq_rsend
```
"""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from models import OFFICER_ROLES, Block, Member, MemberStatus
from models.inquiries import DAILY_LIMIT, MAX_TEXT, Inquiry, InquiryAnswer, sent_since
from models.messaging import enqueue
from models.roster import officers_for_block


# --- the resident ------------------------------------------------------------------------------
def _day_start(ctx: Ctx) -> dt.datetime:
    tz = ZoneInfo(ctx.settings.timezone)
    local = ctx.now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)


def start(ctx: Ctx) -> None:
    """The menu's 問い合わせ and the typed word: an active member only, within the daily limit."""
    m = ctx.member
    if m is None or m.status != MemberStatus.active:
        return ctx.reply(msg.text(texts.INQ_NEED_MEMBER))
    if sent_since(ctx.session, m.id, _day_start(ctx)) >= DAILY_LIMIT:
        return ctx.reply(msg.text(texts.INQ_DAILY_LIMIT.format(n=DAILY_LIMIT)))
    INQUIRY.start(ctx)


@router.command(texts.CMD_INQUIRY)
def on_word(ctx: Ctx) -> None:
    start(ctx)


def ask_message(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.INQ_ASK))


def take_message(ctx: Ctx) -> Next:
    kind = ctx.event.message.type
    if kind == "image":
        return Go("confirm", photo=ctx.event.message.id[:64], text=INQUIRY.data(ctx).get("text", ""))
    if kind != "text" or not ctx.text:
        ask_message(ctx)
        return None
    if len(ctx.text) > MAX_TEXT:
        ctx.reply(msg.text(texts.INQ_TOO_LONG.format(n=MAX_TEXT)))
        return None
    return Go("confirm", text=ctx.text, photo=INQUIRY.data(ctx).get("photo"))


def ask_confirm(ctx: Ctx) -> None:
    d = INQUIRY.data(ctx)
    body = d.get("text") or ""
    if d.get("photo"):
        body = (body + "\n" if body else "") + texts.INQ_PHOTO_ONLY
    ctx.reply(msg.card(texts.INQ_CONFIRM_TITLE, body,
                       [msg.postback(texts.INQ_SEND, pb("inq_send")), msg.say(texts.INQ_CANCEL)]))


def take_at_confirm(ctx: Ctx) -> Next:
    """A second text or a photo before [送信する]: it joins (a text replaces the text)."""
    return take_message(ctx)


def on_send(ctx: Ctx) -> Next:
    m = ctx.member
    if m is None or m.status != MemberStatus.active:
        ctx.reply(msg.text(texts.INQ_NEED_MEMBER))
        return END
    if sent_since(ctx.session, m.id, _day_start(ctx)) >= DAILY_LIMIT:
        ctx.reply(msg.text(texts.INQ_DAILY_LIMIT.format(n=DAILY_LIMIT)))
        return END
    d = INQUIRY.data(ctx)
    block_id = m.household.block_id if m.household is not None else m.block_id
    q = Inquiry(association_id=ctx.association.id, member_id=m.id, block_id=block_id, text=d.get("text") or "",
                photo_message_id=d.get("photo"), photo_status="pending" if d.get("photo") else None,
                created_at=ctx.now)
    ctx.session.add(q)
    ctx.session.flush()
    ctx.audit("inquiry.send", f"inquiry:{q.id}")
    block = ctx.session.get(Block, block_id) if block_id else None
    title = texts.INQ_OFFICER_TITLE.format(block=block.name if block else "", name=m.name or "")
    body = q.text + ("\n" + texts.INQ_OFFICER_PHOTO if q.photo_message_id else "")
    officers = [o.line_user_id for o in officers_for_block(ctx.session, ctx.association.id, block_id)
                if o.line_user_id and o.id != m.id]
    if officers:
        enqueue(ctx.session, ctx.association.id, officers,
                [msg.card(title, body or texts.INQ_PHOTO_ONLY, [msg.postback(texts.INQ_REPLY, pb("inq_reply", i=q.id))])],
                f"inquiry:{q.id}", now=ctx.now)
    ctx.reply(msg.text(texts.INQ_SENT))
    return END


INQUIRY = Dialog("inquiry", steps=[
    Step("message", take=take_message, ask=ask_message, to=("confirm",)),
    Step("confirm", take=take_at_confirm, ask=ask_confirm, to=("confirm",)),
], buttons=[Button("inq_send", take=on_send, to=(END,), at=("confirm",))],
    timeout=dt.timedelta(hours=6))


# --- the officers -----------------------------------------------------------------------------------
def own_inquiry(ctx: Ctx, raw: Optional[str]) -> Optional[Inquiry]:
    q = ctx.session.get(Inquiry, int(raw)) if raw and raw.isdigit() and len(raw) < 10 else None
    return q if q is not None and q.association_id == ctx.association.id else None


def answer(session, q: Inquiry, officer: Member, text: str, now: dt.datetime) -> bool:
    """The officer's answer to the resident, through the outbox (the chat's and the page's)."""
    resident = session.get(Member, q.member_id) if q.member_id else None
    if resident is None or resident.status != MemberStatus.active or not resident.line_user_id:
        return False
    session.add(InquiryAnswer(inquiry_id=q.id, member_id=officer.id, text=text, at=now))
    q.status = "answered"
    enqueue(session, q.association_id, [resident.line_user_id],
            [msg.text(texts.INQ_ANSWER_TO_RESIDENT.format(text=text))], f"inquiry-answer:{q.id}", now=now)
    return True


def on_reply(ctx: Ctx) -> Next:
    q = own_inquiry(ctx, ctx.data.get("i"))
    if q is None or q.member_id is None:
        ctx.reply(msg.text(texts.INQ_GONE if q is not None else texts.STALE_BUTTON))
        return None
    return Go("text", i=q.id)


def ask_reply(ctx: Ctx) -> None:
    q = own_inquiry(ctx, str(REPLY.data(ctx).get("i", "")))
    if q is None:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    resident = ctx.session.get(Member, q.member_id) if q.member_id else None
    said = texts.INQ_REPLY_ASK.format(name=resident.name if resident and resident.name else "")
    if q.answers:
        last = q.answers[-1]
        who = ctx.session.get(Member, last.member_id) if last.member_id else None
        said += "\n" + texts.INQ_REPLIED_BEFORE.format(who=who.name if who and who.name else "",
                                                       at=dates.short(last.at, ctx.settings.timezone))
    ctx.reply(msg.text(said))


def take_reply(ctx: Ctx) -> Next:
    if ctx.event.message.type != "text" or not ctx.text:
        ask_reply(ctx)
        return None
    if len(ctx.text) > MAX_TEXT:
        ctx.reply(msg.text(texts.INQ_TOO_LONG.format(n=MAX_TEXT)))
        return None
    return Go("check", i=REPLY.data(ctx).get("i"), text=ctx.text)


def ask_check(ctx: Ctx) -> None:
    d = REPLY.data(ctx)
    ctx.reply(msg.card(texts.INQ_REPLY_CONFIRM_TITLE, d.get("text", ""),
                       [msg.postback(texts.INQ_SEND, pb("inq_rsend")), msg.say(texts.INQ_CANCEL)]))


def take_check(ctx: Ctx) -> Next:
    return take_reply(ctx)


def on_reply_send(ctx: Ctx) -> Next:
    d = REPLY.data(ctx)
    q = own_inquiry(ctx, str(d.get("i", "")))
    if q is None:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    if not answer(ctx.session, q, ctx.member, d.get("text", ""), ctx.now):
        ctx.reply(msg.text(texts.INQ_GONE))
        return END
    ctx.audit("inquiry.answer", f"inquiry:{q.id}", via="chat")
    ctx.reply(msg.text(texts.INQ_REPLY_SENT))
    return END


REPLY = Dialog("inq_reply", entries=("text",), steps=[
    Step("text", take=take_reply, ask=ask_reply, to=("check",)),
    Step("check", take=take_check, ask=ask_check, to=("check",)),
], buttons=[Button("inq_reply", take=on_reply, to=("text",), opens=True, roles=frozenset(OFFICER_ROLES)),
            Button("inq_rsend", take=on_reply_send, to=(END,), at=("check",), roles=frozenset(OFFICER_ROLES))],
    timeout=dt.timedelta(hours=6))


def answered_by(session, q: Inquiry) -> list[tuple[str, dt.datetime]]:
    """(officer's name, when) of each answer, for the page."""
    ids = [a.member_id for a in q.answers if a.member_id]
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all()) if ids else {}
    return [(names.get(a.member_id) or "", a.at) for a in q.answers]

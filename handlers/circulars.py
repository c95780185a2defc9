"""Circulars: officers draft (回覧) → preview → [送信]; residents tap [読みました] / [全文を見る].

The draft lives in the `circulars` table (state draft) and the dialog step in `dialog_states`,
so any gunicorn worker can take the next message. The lifecycle is DraftFlow's
(handlers/framework/draft.py): every button carries the circular id (and the preview's version),
and is re-checked there: a stale or forged tap changes nothing.

```mermaid
stateDiagram-v2
    [*] --> title
    title --> body
    body --> attach
    attach --> category
    category --> target
    target --> preview
    target --> target: circ_block
    preview --> preview: reminder
    preview --> title: circ_field
    preview --> body: circ_field
    preview --> category: circ_field
    preview --> target: circ_field
    preview --> [*]: circ_send
    preview --> [*]: circ_cancel
```
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers.framework import joined, now as doable
from handlers.framework.ctx import Ctx
from handlers.framework.full_text import reply_full_text
from handlers.framework.draft import KEEP, DraftFlow, Field, ModelDrafts, Reminders, Sent, target_field
from handlers.framework.router import router
from handlers.messages import builders as msg, cards, dates, texts
from handlers.messages.codec import pb
from handlers.messages.labels import target_label
from models import OFFICER_ROLES, Attachment, Circular, CircularState, Target
from models.circulars import CATEGORIES, SUBJECT, audience, circular_and_delivery, delivery_for, mark_sent, target_block_names
from models.delivery import write_receipts
from models.reminders import plan_times, schedule

MAX_TITLE = 40
MAX_BODY = 20000  # the page shows it all; [全文を見る] sends what fits a chat (handlers/framework/full_text.py)
MAX_ATTACHMENT = 10 * 1024 * 1024  # a PDF larger than this is a link to share, not a circular page


# --- the draft's steps -----------------------------------------------------------------------
def take_title(ctx: Ctx, c: Circular, v: str):
    if len(v) > MAX_TITLE:
        return texts.TITLE_TOO_LONG + texts.TOO_LONG_COUNT.format(n=len(v)), None
    c.title = v
    return None


def take_body(ctx: Ctx, c: Circular, v: str):
    if len(v) > MAX_BODY:  # never cut: the limit, and asked again
        return texts.BODY_TOO_LONG.format(max=MAX_BODY) + texts.TOO_LONG_COUNT.format(n=len(v)), None
    c.body = v
    return None


def take_attach(ctx: Ctx, c: Circular, v: str):
    return None if v in (texts.NEXT, texts.NO_ATTACHMENT) else (texts.ASK_ATTACH, [msg.say(texts.NEXT)])


def attach(ctx: Ctx, c: Circular):
    """A photo or a PDF sent while drafting: kept with the circular (the dialog stays)."""
    m = ctx.event.message
    is_pdf = m.type == "file" and (m.file_name or "").lower().endswith(".pdf")
    if is_pdf and (m.file_size or 0) > MAX_ATTACHMENT:
        return texts.ATTACH_TOO_BIG, None
    content = ctx.line.get_content(m.id) if (m.type == "image" or is_pdf) else None
    if content is None:
        return texts.ATTACH_FAILED, None
    data, ctype = content
    filename = m.file_name if m.type == "file" else texts.PHOTO_NAME.format(n=len(c.attachments) + 1)
    c.attachments.append(Attachment(association_id=c.association_id, kind=m.type, filename=filename[:200],
                                    content_type="application/pdf" if is_pdf else ctype, data=data))
    c.version += 1
    ctx.reply(msg.text(texts.ATTACHED.format(filename=filename), [msg.say(texts.NEXT), msg.say(texts.CANCEL)]))
    return KEEP


def take_category(ctx: Ctx, c: Circular, v: str):
    words = {w: k for k, w in texts.CIRCULAR_CATEGORIES.items()}
    key = v if v in CATEGORIES else words.get(v)
    if key is None:
        return texts.ASK_CATEGORY
    c.category = key
    return None


STEPS = [
    Field("title", lambda ctx, c: (texts.ASK_TITLE, []), take_title, lambda c: bool(c.title), required=True,
          label=texts.FIELD_TITLE, empty=texts.ASK_TITLE),
    Field("body", lambda ctx, c: (texts.ASK_BODY, []), take_body, lambda c: bool(c.body), required=True,
          media=attach, label=texts.FIELD_BODY, empty=texts.BODY_EMPTY),
    Field("attach", lambda ctx, c: (texts.ASK_ATTACH, [msg.say(texts.NEXT)]), take_attach, buttons_only=True,
          media=attach),
    # 分類: その他 unless changed ([修正] → 分類; never asked on the way: a draft needs none)
    Field("category", lambda ctx, c: (texts.ASK_CATEGORY, [("set", texts.CIRCULAR_CATEGORIES[k], k) for k in CATEGORIES]),
          take_category, lambda c: True, buttons_only=True, label=texts.FIELD_CATEGORY),
    target_field(),
]


# --- preview and send ------------------------------------------------------------------------
def resident_message(ctx: Ctx, c: Circular) -> dict:
    return msg.circular(association_name=ctx.association.name, title=c.title, body=c.body,
                        when=c.sent_at or ctx.now, tz=ctx.settings.timezone, read_data=pb("read", c=c.id),
                        full_data=pb("full", c=c.id), attachments=len(c.attachments),
                        hero=cards.hero_url(ctx.settings.base_url, c.hero_token))


def reminder_times(ctx: Ctx, c: Circular):
    st = ctx.settings
    return plan_times(c.sent_at or ctx.now, c.reminder_plan or [], st.timezone, st.reminder_hour,
                      (st.quiet_start_hour, st.quiet_end_hour))


def summary(ctx: Ctx, c: Circular, aud) -> str:
    pushes = len(aud.recipients)
    return texts.PREVIEW_CATEGORY.format(category=texts.CIRCULAR_CATEGORIES.get(c.category, "")) + "\n" + texts.PREVIEW_SUMMARY.format(
        target=target_label(c.target, target_block_names(ctx.session, c)), line_households=len(aud.line_households),
        recipients=pushes, paper_households=len(aud.paper_households), pushes=pushes)


def send(ctx: Ctx, c: Circular, aud) -> Sent:
    mark_sent(ctx.session, c, aud, ctx.now)
    ctx.push(aud.user_ids, [resident_message(ctx, c)], purpose=f"circular:{c.id}")
    schedule(ctx.session, c.association_id, SUBJECT, c.id, reminder_times(ctx, c))
    return Sent(texts.CIRCULAR_SENT.format(households=len(aud.households), line_households=len(aud.line_households),
                                           paper_households=len(aud.paper_households)),
                f"circular:{c.id}", {"households": len(aud.households), "pushes": len(aud.recipients)})


FLOW = DraftFlow(
    "circular", "circ", ModelDrafts(Circular, CircularState.draft, key="c", id_key="circular_id"), STEPS,
    roles=OFFICER_ROLES, resident=resident_message, summary=summary, send=send, audit="circular.send",
    audience=lambda ctx, c: audience(ctx.session, c),
    reminders=Reminders(texts.REMINDER_CHOICE, texts.REMINDER_SET, texts.REMINDER_HINT, texts.REMINDER_PLAN,
                        reminder_times, dates.short),
    paper=lambda c, block, names: (texts.PAPER_LIST.format(title=c.title, block=block, names=names), f"paper:{c.id}"),
    cancelled=texts.CIRCULAR_CANCELLED)


@router.command(texts.CMD_CIRCULAR, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    """「回覧」 asks title, body, attachments, whom; 「回覧 タイトル」 + newline + body goes straight
    to the preview."""
    rest = ctx.text[len(texts.CMD_CIRCULAR):].strip()
    title, _, body = rest.partition("\n")
    days = ctx.settings.reminder_days
    title, body = title.strip(), body.strip()
    c = FLOW.new(ctx, target=Target.all, reminder_plan=[days] if days > 0 else [])
    # nothing cut silently: a value over its limit is asked again at its step, saying the limit
    problems = {name: problem for name, value in (("title", title), ("body", body))
                if value and (problem := FLOW.fields[name].take(ctx, c, value))}
    FLOW.open(ctx, c, oneshot=bool(title and body), problems=problems)


# --- residents -------------------------------------------------------------------------------
def sent_circular_and_delivery(ctx: Ctx):
    c, d = circular_and_delivery(ctx.session, ctx.num("c"), ctx.member.household_id if ctx.member else None)
    if c is not None and c.association_id == ctx.association.id and c.state == CircularState.draft \
            and ctx.member is not None and c.author_id == ctx.member.id:
        ctx.reply(msg.text(texts.PREVIEW_TAPPED))  # the officer's own preview, before [送信]
        return None, None
    if c is None or c.association_id != ctx.association.id or c.state != CircularState.sent:
        ctx.reply(msg.text(texts.CIRCULAR_GONE))
        return None, None
    if not ctx.is_member:
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None, None
    if d is None or (c.target == Target.officers and not ctx.member.is_officer):  # 役員のみ: not the family
        ctx.reply(msg.text(texts.READ_NOT_FOR_YOU))
        return None, None
    return c, d


def who_read(ctx: Ctx, d) -> tuple[str, str]:
    who = texts.READ_BY_SELF if d.read_by_id == ctx.member.id else (
        texts.READ_BY_NAME.format(name=d.read_by.name) if d.read_by and d.read_by.name else texts.READ_BY_FAMILY)
    return who, dates.month_day(d.read_at, ctx.settings.timezone)


@router.postback("read")
def on_read(ctx: Ctx) -> None:
    c, d = sent_circular_and_delivery(ctx)
    if d is None:
        return
    if d.mark_read(ctx.member, "button", ctx.now):
        ctx.reply(msg.text(texts.READ_THANKS.format(title=c.title)))
    else:
        who, when = who_read(ctx, d)
        ctx.reply(msg.text(texts.READ_ALREADY.format(title=c.title, who=who, when=when)))


@router.postback("full")
def on_full(ctx: Ctx) -> None:
    """[全文を見る]: the full text with this household's page (handlers/framework/full_text.py)."""
    c, d = sent_circular_and_delivery(ctx)
    if d is None:
        return
    reply_full_text(ctx, d, c.title, c.body, len(c.attachments), f"{ctx.settings.base_url}/c/{d.page_token}")


# --- someone approved late (handlers/framework/joined.py) -----------------------------------
LATE_WINDOW = dt.timedelta(days=30)


@joined.provider
def open_for(session, settings, member, now) -> list[dict]:
    """The circulars of the last 30 days their household has not read: their household's receipt
    (written now for a household made after the send, if the circular was for it)."""
    household = member.household
    if household is None:
        return []
    rows = session.scalars(select(Circular).where(
        Circular.association_id == member.association_id, Circular.state == CircularState.sent,
        Circular.sent_at >= now - LATE_WINDOW).order_by(Circular.sent_at, Circular.id)).all()
    name = member.household.block.association.name
    out = []
    for c in rows:
        if c.target == Target.officers and not member.is_officer:
            continue
        if c.target == Target.blocks and household.block_id not in (c.target_block_ids or []):
            continue
        d = delivery_for(session, c, household.id)
        if d is None:
            write_receipts(session, c.association_id, SUBJECT, c.id, [(household.id, 0, True)], now, pages=True)
        elif d.read_at is not None:
            continue
        out.append(msg.circular(association_name=name, title=c.title, body=c.body, when=c.sent_at,
                                tz=settings.timezone, read_data=pb("read", c=c.id), full_data=pb("full", c=c.id),
                                attachments=len(c.attachments),
                                hero=cards.hero_url(settings.base_url, c.hero_token)))
    return out


# --- what a member can do now (handlers/framework/now.py): the household's unread circulars ------
NOW_SHOWN = 3


@doable.provider
def unread_now(session, settings, member, now) -> list[doable.Item]:
    household = member.household
    if household is None:
        return []
    rows = [c for c in session.scalars(select(Circular).where(
        Circular.association_id == member.association_id, Circular.state == CircularState.sent,
        Circular.sent_at >= now - LATE_WINDOW).order_by(Circular.sent_at.desc(), Circular.id.desc()))
        if (c.target != Target.officers or member.is_officer)
        and (d := delivery_for(session, c, household.id)) is not None and d.read_at is None]
    items = [doable.Item(texts.HELP_NOW_CIRCULAR.format(title=c.title), [msg.postback(c.title, pb("full", c=c.id))])
             for c in rows[:NOW_SHOWN]]
    if len(rows) > NOW_SHOWN:
        items.append(doable.Item(texts.HELP_NOW_MORE_CIRCULARS.format(n=len(rows) - NOW_SHOWN),
                                 [msg.postback(texts.MENU_CIRCULARS, pb("view", v="circulars"))]))
    return items

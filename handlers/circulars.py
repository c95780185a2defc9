"""Circulars: officers draft (回覧) → preview → [送信]; residents tap [読みました] / [全文を見る].

The draft lives in the `circulars` table (state draft) and the dialog step in `dialog_states`,
so any gunicorn worker can take the next message. Every button carries the circular id (and
the preview's version), and is re-checked here: a stale or forged tap changes nothing.
"""
from __future__ import annotations

import re
import unicodedata

from handlers.messages import builders as msg
from handlers.messages import dates
from handlers.messages import texts
from handlers.messages.limits import MAX_MESSAGES, check_message
from models import Attachment, Block, Circular, CircularState, OFFICER_ROLES, Role, Target
from models.circulars import SUBJECT, audience, delivery_for, mark_sent, target_label
from models.reminders import plan_times, schedule

from handlers.messages.pickers import block_toggles
from handlers.sending import notify_paper, outside_own_block, within_quota
from handlers.sending import quota as sending_quota
from handlers.framework.ctx import Ctx
from handlers.messages.codec import pb
from handlers.framework.router import router

MAX_TITLE = 40
MAX_BODY = 4500
MAX_ATTACHMENT = 10 * 1024 * 1024  # a PDF larger than this is a link to share, not a circular page


# --- drafting --------------------------------------------------------------------------------
def own_draft(ctx: Ctx) -> Circular | None:
    """The draft this officer's button or dialog refers to, if it is still a draft of theirs."""
    cid = ctx.num("c") or (ctx.dialog.data.get("circular_id") if ctx.dialog and ctx.dialog.flow == "circular" else 0)
    c = ctx.session.get(Circular, cid) if cid else None
    if c is None or c.association_id != ctx.association.id or c.author_id != ctx.member.id \
            or c.state != CircularState.draft:
        ctx.reply(msg.text(texts.STALE_DRAFT))
        return None
    return c


def ask(ctx: Ctx, c: Circular, step: str, edit: bool = False) -> None:
    ctx.start_dialog("circular", step, circular_id=c.id, edit=edit)
    cancel = [msg.say(texts.CANCEL)]
    if step == "title":
        ctx.reply(msg.text(texts.ASK_TITLE, cancel))
    elif step == "body":
        ctx.reply(msg.text(texts.ASK_BODY, cancel))
    elif step == "attach":
        ctx.reply(msg.text(texts.ASK_ATTACH, [msg.say(texts.NEXT), msg.say(texts.CANCEL)]))
    elif step == "target":
        if ctx.member.role == Role.block_leader:  # a block leader circulates in their own 班
            c.target, c.target_block_ids = Target.blocks, [ctx.member.led_block_id]
            preview(ctx, c)
            return
        ctx.reply(msg.text(texts.ASK_TARGET, [
            msg.postback(texts.TARGET_ALL, pb("circ_target", c=c.id, t="all")),
            msg.postback(texts.TARGET_BLOCKS, pb("circ_target", c=c.id, t="blocks")),
            msg.postback(texts.TARGET_OFFICERS, pb("circ_target", c=c.id, t="officers")),
            msg.say(texts.CANCEL),
        ]))


def next_step(ctx: Ctx, c: Circular, step: str) -> None:
    """After an answer: back to the preview when editing, else on to the next question."""
    if ctx.dialog and ctx.dialog.data.get("edit"):
        preview(ctx, c)
    else:
        ask(ctx, c, step)


def new_draft(ctx: Ctx, title: str = "", body: str = "") -> Circular:
    old = ctx.dialog
    if old is not None and old.flow == "circular":
        prev = ctx.session.get(Circular, old.data.get("circular_id") or 0)
        if prev is not None and prev.state == CircularState.draft:
            ctx.session.delete(prev)
    days = ctx.settings.reminder_days
    c = Circular(association_id=ctx.association.id, author_id=ctx.member.id, title=title[:MAX_TITLE],
                 body=body[:MAX_BODY], target=Target.all, reminder_plan=[days] if days > 0 else [])
    ctx.session.add(c)
    ctx.session.flush()
    return c


@router.on_cancel("circular")
def drop_draft(ctx: Ctx) -> None:
    """「取消」 in the middle of drafting: the draft (and its attachments) goes too."""
    c = ctx.session.get(Circular, ctx.dialog.data.get("circular_id") or 0)
    if c is not None and c.state == CircularState.draft:
        ctx.session.delete(c)


@router.command(texts.CMD_CIRCULAR, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    rest = ctx.text[len(texts.CMD_CIRCULAR):].strip()
    title, _, body = rest.partition("\n")
    c = new_draft(ctx, title.strip(), body.strip())
    if not c.title:
        ask(ctx, c, "title")
    elif not c.body:
        ask(ctx, c, "body")
    else:  # one-shot form 「回覧 タイトル」+ newline + body: straight to the preview
        ask(ctx, c, "target") if ctx.member.role == Role.block_leader else preview(ctx, c)


@router.dialog("circular", "title")
def on_title(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return ctx.end_dialog()
    if not ctx.text:
        return ctx.reply(msg.text(texts.ASK_TITLE))
    if len(ctx.text) > MAX_TITLE:
        return ctx.reply(msg.text(texts.TITLE_TOO_LONG))
    c.title, c.version = ctx.text, c.version + 1
    next_step(ctx, c, "body")


@router.dialog("circular", "body")
def on_body(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return ctx.end_dialog()
    if ctx.event.message.type in ("image", "file"):
        return attach(ctx, c)
    if not ctx.text:
        return ctx.reply(msg.text(texts.BODY_EMPTY))
    c.body, c.version = ctx.text[:MAX_BODY], c.version + 1
    next_step(ctx, c, "attach")


@router.dialog("circular", "attach", takes_text=False)
def on_attach(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return ctx.end_dialog()
    if ctx.event.message.type in ("image", "file"):
        return attach(ctx, c)
    if ctx.text in (texts.NEXT, texts.NO_ATTACHMENT):
        return ask(ctx, c, "target")
    ctx.reply(msg.text(texts.ASK_ATTACH, [msg.say(texts.NEXT), msg.say(texts.CANCEL)]))


def attach(ctx: Ctx, c: Circular) -> None:
    m = ctx.event.message
    is_pdf = m.type == "file" and (m.file_name or "").lower().endswith(".pdf")
    if is_pdf and (m.file_size or 0) > MAX_ATTACHMENT:
        return ctx.reply(msg.text(texts.ATTACH_TOO_BIG))
    content = ctx.line.get_content(m.id) if (m.type == "image" or is_pdf) else None
    if content is None:
        return ctx.reply(msg.text(texts.ATTACH_FAILED))
    data, ctype = content
    filename = m.file_name if m.type == "file" else f"写真{len(c.attachments) + 1}.jpg"
    c.attachments.append(Attachment(association_id=c.association_id, kind=m.type, filename=filename[:200],
                                    content_type="application/pdf" if is_pdf else ctype, data=data))
    c.version += 1
    ctx.reply(msg.text(texts.ATTACHED.format(filename=filename), [msg.say(texts.NEXT), msg.say(texts.CANCEL)]))


@router.dialog("circular", "target", takes_text=False)
def on_target_text(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return ctx.end_dialog()
    ask(ctx, c, "target")


@router.postback("circ_target", roles=OFFICER_ROLES)
def on_target(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None or ctx.member.role == Role.block_leader:
        return
    t = ctx.data.get("t")
    if t == "blocks":
        c.target = Target.blocks
        c.target_block_ids = []
        return block_picker(ctx, c)
    c.target, c.target_block_ids, c.version = Target(t) if t in ("all", "officers") else Target.all, [], c.version + 1
    preview(ctx, c)


def block_picker(ctx: Ctx, c: Circular, offset: int = 0) -> None:
    actions, names = block_toggles(ctx.association.blocks, set(c.target_block_ids or []), offset,
                                   toggle=lambda b, o: pb("circ_block", c=c.id, b=b.id, o=o),
                                   page=lambda o: pb("circ_block_page", c=c.id, o=o), done=pb("circ_blocks_done", c=c.id))
    ctx.reply(msg.text(texts.ASK_BLOCKS.format(chosen=names or "なし"), actions))


@router.postback("circ_block_page", roles=OFFICER_ROLES)
def on_block_page(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is not None:
        block_picker(ctx, c, ctx.num("o"))


@router.postback("circ_block", roles=OFFICER_ROLES)
def on_block_toggle(ctx: Ctx) -> None:
    c = own_draft(ctx)
    block = ctx.session.get(Block, ctx.num("b"))
    if c is None or block is None or block.association_id != ctx.association.id:
        return
    chosen = list(c.target_block_ids or [])
    chosen.remove(block.id) if block.id in chosen else chosen.append(block.id)
    c.target_block_ids = chosen
    block_picker(ctx, c, ctx.num("o"))


@router.postback("circ_blocks_done", roles=OFFICER_ROLES)
def on_blocks_done(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return
    if not c.target_block_ids:
        return block_picker(ctx, c)
    c.version += 1
    preview(ctx, c)


# --- preview, edit, send, cancel -----------------------------------------------------------
def resident_message(ctx: Ctx, c: Circular) -> dict:
    return msg.circular(association_name=ctx.association.name, title=c.title, body=c.body,
                        when=c.sent_at or ctx.now, tz=ctx.settings.timezone, read_data=pb("read", c=c.id),
                        full_data=pb("full", c=c.id), attachments=len(c.attachments))


def reminder_times(ctx: Ctx, c: Circular):
    st = ctx.settings
    return plan_times(c.sent_at or ctx.now, c.reminder_plan or [], st.timezone, st.reminder_hour,
                      (st.quiet_start_hour, st.quiet_end_hour))


def when_text(ctx: Ctx, at) -> str:
    return dates.short(at, ctx.settings.timezone)


def preview(ctx: Ctx, c: Circular) -> None:
    aud = audience(ctx.session, c)
    ctx.start_dialog("circular", "preview", circular_id=c.id)
    pushes = len(aud.recipients)
    summary = texts.PREVIEW_SUMMARY.format(
        target=target_label(ctx.session, c), line_households=len(aud.line_households),
        recipients=pushes, paper_households=len(aud.paper_households), pushes=pushes)
    limit, used = sending_quota(ctx)
    if limit is not None and used is not None:
        summary += "\n" + texts.PREVIEW_QUOTA.format(remaining=max(0, limit - used))
    times = reminder_times(ctx, c)
    summary += "\n\n" + (texts.REMINDER_PLAN.format(when="・".join(when_text(ctx, t) for t in times),
                                                    pushes=pushes * len(times)) if times else texts.REMINDER_NONE)
    choices = [msg.say(f"{n}日後", f"リマインド: {n}日後") for n in (1, 2, 3, 7)] + [msg.say("リマインドなし", "リマインド: なし")]
    ctx.reply(
        msg.text(texts.PREVIEW_INTRO),
        resident_message(ctx, c),
        msg.card(texts.CONFIRM_QUESTION, summary, [
            msg.postback(texts.SEND, pb("circ_send", c=c.id, v=c.version)),
            msg.postback(texts.EDIT, pb("circ_edit", c=c.id)),
            msg.postback(texts.CANCEL, pb("circ_cancel", c=c.id)),
        ], note=texts.REMINDER_HINT, quick=choices),
    )


def parse_reminder(text: str) -> list[int] | None:
    """「リマインド: 3日後」 → [3]; 「リマインド: 2日後と5日後」 → [2, 5]; 「リマインド なし」 → []."""
    t = unicodedata.normalize("NFKC", text)
    if not t.startswith("リマインド"):
        return None
    if any(w in t for w in texts.REMINDER_OFF_WORDS):
        return []
    days = sorted({int(n) for n in re.findall(r"\d+", t) if 0 < int(n) <= 30})
    return days[:3] or None


@router.dialog("circular", "preview", takes_text=False)
def on_preview_text(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return ctx.end_dialog()
    plan = parse_reminder(ctx.text)
    if plan is not None:
        c.reminder_plan, c.version = plan, c.version + 1
    preview(ctx, c)


@router.postback("circ_edit", roles=OFFICER_ROLES)
def on_edit(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return
    fields = [msg.postback(texts.FIELD_TITLE, pb("circ_field", c=c.id, f="title")),
              msg.postback(texts.FIELD_BODY, pb("circ_field", c=c.id, f="body"))]
    if ctx.member.role != Role.block_leader:
        fields.append(msg.postback(texts.FIELD_TARGET, pb("circ_field", c=c.id, f="target")))
    ctx.reply(msg.text(texts.EDIT_WHICH, fields))


@router.postback("circ_field", roles=OFFICER_ROLES)
def on_field(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return
    f = ctx.data.get("f")
    ask(ctx, c, f if f in ("title", "body", "target") else "title", edit=True)


@router.postback("circ_cancel", roles=OFFICER_ROLES)
def on_cancel(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return
    ctx.session.delete(c)
    ctx.end_dialog()
    ctx.reply(msg.text(texts.CIRCULAR_CANCELLED))


@router.postback("circ_send", roles=OFFICER_ROLES, needs_quota=True)
def on_send(ctx: Ctx) -> None:
    c = own_draft(ctx)
    if c is None:
        return
    if str(c.version) != ctx.data.get("v"):
        return ctx.reply(msg.text(texts.STALE_PREVIEW))
    if outside_own_block(ctx.member, c.target, c.target_block_ids):
        return ctx.reply(msg.text(texts.OFFICERS_ONLY))
    aud = audience(ctx.session, c)
    if ctx.data.get("force") != "1" and not within_quota(
            ctx, len(aud.recipients), pb("circ_send", c=c.id, v=c.version, force=1), pb("circ_cancel", c=c.id)):
        return
    mark_sent(ctx.session, c, aud, ctx.now)
    ctx.push(aud.user_ids, [resident_message(ctx, c)], purpose=f"circular:{c.id}")
    schedule(ctx.session, c.association_id, SUBJECT, c.id, reminder_times(ctx, c))
    notify_paper(ctx, aud.paper_households, lambda block, names: texts.PAPER_LIST.format(
        title=c.title, block=block, names=names), purpose=f"paper:{c.id}")
    ctx.end_dialog()
    ctx.audit("circular.send", f"circular:{c.id}", households=len(aud.households), pushes=len(aud.recipients))
    ctx.reply(msg.text(texts.CIRCULAR_SENT.format(households=len(aud.households),
                                                 line_households=len(aud.line_households),
                                                 paper_households=len(aud.paper_households))))


# --- residents -------------------------------------------------------------------------------
def sent_circular_and_delivery(ctx: Ctx):
    c = ctx.session.get(Circular, ctx.num("c"))
    if c is None or c.association_id != ctx.association.id or c.state != CircularState.sent:
        ctx.reply(msg.text(texts.CIRCULAR_GONE))
        return None, None
    if not ctx.is_member:
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None, None
    d = delivery_for(ctx.session, c, ctx.member.household_id)
    if d is None or (c.target == Target.officers and not ctx.member.is_officer):  # 役員のみ: not the family
        ctx.reply(msg.text(texts.READ_NOT_FOR_YOU))
        return None, None
    return c, d


def who_read(ctx: Ctx, d) -> tuple[str, str]:
    who = "ご自身" if d.read_by_id == ctx.member.id else (f"{d.read_by.name}さん" if d.read_by and d.read_by.name else "ご家族")
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
    """[全文を見る]: the full text as free replies (split by LINE's own count: a body of emoji is
    twice as long as it looks), with this household's page. It counts as read only when the text
    goes out; otherwise the page link alone is sent, and opening the page counts."""
    c, d = sent_circular_and_delivery(ctx)
    if d is None:
        return
    what = texts.ATTACHMENT_COUNT.format(n=len(c.attachments)) if c.attachments else texts.FULL_READ_ON_PAGE
    page = msg.link(c.title, what, texts.OPEN_PAGE, f"{ctx.settings.base_url}/c/{d.page_token}")
    body = msg.long_text(f"【{c.title}】\n{c.body}", MAX_MESSAGES - 1)
    if any(check_message(m) for m in body):
        ctx.reply(page)
        return
    d.mark_read(ctx.member, "button", ctx.now)
    ctx.reply(*body, page)

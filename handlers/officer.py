"""Officer shortcuts: 「状況」 (read rates) and 「管理画面」 (one-time sign-in link)."""
from __future__ import annotations

from sqlalchemy import func, select

from handlers.corrections import chips
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.labels import names_by_block
from handlers.messages.limits import TEXT_MAX
from models import OFFICER_ROLES, OutboxMessage, Target
from models.circulars import SUBJECT
from models.reminders import planned, unread_recipients
from models.stats import read_stats, recent_circulars


def when_text(ctx: Ctx, at) -> str:
    return dates.short(at, ctx.settings.timezone)


def reminder_lines(ctx: Ctx, c) -> list[str]:
    lines = []
    for r in planned(ctx.session, SUBJECT, c.id):
        if r.status == "planned":
            users, households = unread_recipients(ctx.session, SUBJECT, c.id, officers_only=c.target == Target.officers)
            lines.append(texts.STATUS_REMINDER.format(when=when_text(ctx, r.due_at), households=households,
                                                      pushes=len(users)))
        elif r.status == "sent":
            lines.append(texts.STATUS_REMINDER_DONE.format(when=when_text(ctx, r.sent_at), households=r.households,
                                                           pushes=r.recipients))
    return lines


def delivery_problems(ctx: Ctx) -> list[str]:
    """Sends that did not go out: failed (with LINE's answer) and held for the monthly quota."""
    out = []
    rows = ctx.session.execute(select(OutboxMessage.status, func.count(), func.max(OutboxMessage.last_error))
                               .where(OutboxMessage.association_id == ctx.association.id,
                                      OutboxMessage.status.in_(("failed", "held")))
                               .group_by(OutboxMessage.status)).all()
    for status, n, error in rows:
        if status == "failed":
            out.append(texts.STATUS_FAILED.format(n=n, error=(error or texts.STATUS_ERROR_UNKNOWN)[:120]))
        else:
            out.append(texts.STATUS_HELD.format(n=n))
    return out


def status_text(ctx: Ctx) -> str:
    block = ctx.member.led_block_id  # block leaders see their own 班 only
    circulars = recent_circulars(ctx.session, ctx.association.id)
    problems = delivery_problems(ctx) if block is None else []
    if not circulars:
        return "\n".join(problems + [texts.STATUS_NONE])
    parts = problems + [texts.STATUS_HEADER]
    for c in circulars:
        st = read_stats(ctx.session, c, block)
        lines = [texts.STATUS_ITEM.format(title=c.title, date=dates.date(c.sent_at, ctx.settings.timezone),
                                          read=st.read, total=st.total, rate=st.rate)]
        if block is None and len(st.blocks) > 1:
            lines += [texts.STATUS_BLOCK.format(block=b.block, read=b.read, total=b.total) for b in st.blocks]
        if st.unread:  # by 班; the officer's own household named as his (issue 10)
            names = names_by_block([(h.block.name, (texts.SELF_HOUSEHOLD if h.id == ctx.member.household_id
                                                    else texts.HOUSEHOLD_NAME.format(name=h.name))
                                     + (texts.PAPER_MARK if h.id in st.unread_paper else "")) for h in st.unread])
            lines.append(texts.STATUS_UNREAD.format(names=names))
        else:
            lines.append(texts.STATUS_ALL_READ)
        if block is None:
            lines += reminder_lines(ctx, c)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


@router.command(texts.CMD_STATUS, roles=OFFICER_ROLES)
def on_status(ctx: Ctx) -> None:
    # [訂正：…] for what this officer sent (or, for the board, any): handlers/corrections.py
    ctx.reply(msg.text(status_text(ctx)[:TEXT_MAX - 100], chips(ctx, "circular", recent_circulars(ctx.session, ctx.association.id)) or None))


@router.command(texts.CMD_ADMIN, roles=OFFICER_ROLES)
def on_admin(ctx: Ctx) -> None:
    url = ctx.links.sign_in(ctx.session, ctx.member, ctx.now)
    ctx.audit("admin.link", f"member:{ctx.member.id}")
    ctx.reply(msg.link(texts.CMD_ADMIN, texts.ADMIN_LINK, texts.ADMIN_OPEN, url))

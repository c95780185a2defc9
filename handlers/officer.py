"""Officer shortcuts: 「状況」 (read rates) and 「管理画面」 (one-time sign-in link)."""
from __future__ import annotations

from bot import messages as msg
from bot import texts
from bot.signin import issue_login_link
from models import OFFICER_ROLES
from models.stats import read_stats, recent_circulars

from .router import Ctx, router


def status_text(ctx: Ctx) -> str:
    block = ctx.member.led_block_id  # block leaders see their own 班 only
    circulars = recent_circulars(ctx.session, ctx.association.id)
    if not circulars:
        return texts.STATUS_NONE
    parts = [texts.STATUS_HEADER]
    for c in circulars:
        st = read_stats(ctx.session, c, block)
        lines = [texts.STATUS_ITEM.format(title=c.title, date=msg.local_date(c.sent_at, ctx.settings.timezone),
                                          read=st.read, total=st.total, rate=st.rate)]
        if block is None and len(st.blocks) > 1:
            lines += [texts.STATUS_BLOCK.format(block=b.block, read=b.read, total=b.total) for b in st.blocks]
        if st.unread:
            names = "、".join(f"{h.name}様" + (texts.PAPER_MARK if h.id in st.unread_paper else "") for h in st.unread[:40])
            more = f" ほか{len(st.unread) - 40}世帯" if len(st.unread) > 40 else ""
            lines.append(texts.STATUS_UNREAD.format(names=names + more))
        else:
            lines.append(texts.STATUS_ALL_READ)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


@router.command(texts.CMD_STATUS, roles=OFFICER_ROLES)
def on_status(ctx: Ctx) -> None:
    ctx.reply(msg.text(status_text(ctx)[:4900]))


@router.command(texts.CMD_ADMIN, roles=OFFICER_ROLES)
def on_admin(ctx: Ctx) -> None:
    url = issue_login_link(ctx.session, ctx.settings, ctx.member, ctx.now)
    ctx.audit("admin.link", f"member:{ctx.member.id}")
    ctx.reply(msg.link(texts.CMD_ADMIN, texts.ADMIN_LINK, texts.ADMIN_OPEN, url))

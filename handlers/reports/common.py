"""What the resident's 通報 modules share: the daily limit, and telling the officers."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from handlers.framework.ctx import Ctx
from handlers.messages import builders as msg, texts
from models import Block, Report
from models.reports import DAILY_LIMIT, confirmed_since
from models.roster import officers_for_block

REPORTS_PAGE = "/admin/reports/{id}"  # the officers' page of a report (bot/web, the triage side)


def _day_start(ctx: Ctx) -> dt.datetime:
    tz = ZoneInfo(ctx.settings.timezone)
    local = ctx.now.astimezone(tz)
    return dt.datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(dt.timezone.utc)


def over_limit(ctx: Ctx) -> bool:
    if confirmed_since(ctx.session, ctx.member.id, _day_start(ctx)) >= DAILY_LIMIT:
        ctx.reply(msg.text(texts.RPT_DAILY_LIMIT.format(n=DAILY_LIMIT)))
        return True
    return False


def _officers(ctx: Ctx, r: Report) -> list[str]:
    """The chair, the officers and the reporter's 班長 (not the reporter themselves)."""
    me = ctx.member.line_user_id if ctx.member else None
    return [m.line_user_id for m in officers_for_block(ctx.session, ctx.association.id, r.block_id)
            if m.line_user_id and m.line_user_id != me]


def tell_officers(ctx: Ctx, r: Report, template: str, purpose: str) -> None:
    block = ctx.session.get(Block, r.block_id) if r.block_id else None
    url = ctx.settings.base_url + REPORTS_PAGE.format(id=r.id)
    body = template.format(number=r.number, category=r.category, block=block.name if block else texts.RPT_NO_BLOCK,
                           url=url)
    to = _officers(ctx, r)
    if to:
        ctx.push(to, [msg.text(body)], purpose=purpose)

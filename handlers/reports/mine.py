"""通報 after the confirm: [取り下げる] (the resident's own open report: 対応しない with the reason
取り下げ, officers told) and [私の通報] (their latest reports with each one's status). The buttons
carry the report's id: only the member's own report of this association is found."""
from __future__ import annotations

from typing import Optional

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.reports.common import tell_officers
from models import Report, ReportUpdate
from models.reports import OPEN_STATUSES, own_report, own_reports

MINE_SHOWN = 10


def _mine(ctx: Ctx) -> Optional[Report]:
    r = own_report(ctx.session, ctx.association.id, ctx.member.id, ctx.num("r")) if ctx.is_member else None
    if r is None:
        ctx.reply(msg.text(texts.RPT_NOT_FOUND))
    return r


@router.postback("rp_wd")
def on_withdraw(ctx: Ctx) -> None:
    """[取り下げる]: asks first."""
    r = _mine(ctx)
    if r is None:
        return None
    if r.status not in OPEN_STATUSES:
        ctx.reply(msg.text(texts.RPT_WITHDRAW_CLOSED.format(number=r.number)))
        return None
    ctx.reply(msg.text(texts.RPT_WITHDRAW_ASK.format(number=r.number, category=r.category),
                       [msg.postback(texts.RPT_WITHDRAW_YES, pb("rp_wd2", r=r.id)),
                        msg.postback(texts.RPT_CANCEL, pb("rp_mine"))]))
    return None


@router.postback("rp_wd2")
def on_withdraw_yes(ctx: Ctx) -> None:
    """[はい、取り下げる]: 対応しない with the reason 取り下げ; officers are told."""
    r = _mine(ctx)
    if r is None:
        return None
    if r.status not in OPEN_STATUSES:
        ctx.reply(msg.text(texts.RPT_WITHDRAW_CLOSED.format(number=r.number)))
        return None
    r.status, r.status_reason, r.closed_at, r.updated_at = "declined", texts.RPT_WITHDRAW_REASON, ctx.now, ctx.now
    ctx.session.add(ReportUpdate(report_id=r.id, status="declined", note=texts.RPT_WITHDRAW_REASON, public=True,
                                 by_member_id=ctx.member.id, at=ctx.now))
    ctx.audit("report.withdraw", f"report:{r.id}", number=r.number)
    tell_officers(ctx, r, texts.RPT_OFFICER_WITHDRAWN, f"report:{r.id}:withdrawn")
    ctx.reply(msg.text(texts.RPT_WITHDRAW_DONE.format(number=r.number)))
    return None


@router.postback("rp_mine")
def on_mine(ctx: Ctx) -> None:
    """[私の通報]: the member's latest reports with their status; open ones can be withdrawn."""
    if not ctx.is_member:
        ctx.reply(msg.text(texts.RPT_NOT_MEMBER))
        return None
    rows = own_reports(ctx.session, ctx.association.id, ctx.member.id, MINE_SHOWN)
    if not rows:
        ctx.reply(msg.text(texts.RPT_MINE_EMPTY))
        return None
    lines = [texts.RPT_MINE_TITLE] + [texts.RPT_MINE_LINE.format(
        number=r.number, category=r.category, status=texts.RPT_STATUS.get(r.status, r.status)) for r in rows]
    quick = [msg.postback(texts.RPT_MINE_WITHDRAW.format(number=r.number), pb("rp_wd", r=r.id))
             for r in rows if r.status in OPEN_STATUSES]
    ctx.reply(msg.text("\n".join(lines), quick[:13] or None))
    return None



"""Officers in disaster mode: 「安否状況」 (the counts, and the sign-in link to the live page for those
who may see it) and proxy reports for households without LINE."""
from __future__ import annotations

import logging

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, cards, dates, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from handlers.safety.common import SAFETY_PAGE, marked
from handlers.safety.rescue import rescue_alert
from handlers.safety.visits import visit_label
from models import OFFICER_ROLES, Delivery, Disaster, Household
from models.safety import STATUSES, SUBJECT, active_disaster, board, may_see_safety

log = logging.getLogger(__name__)


# --- officers: status and proxy reports ------------------------------------------------------
@router.command(texts.CMD_SAFETY_STATUS, roles=OFFICER_ROLES)
def on_board(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    b = board(ctx.session, d, ctx.member.led_block_id)
    facts = cards.BoardFacts(
        kind=d.kind, since=dates.fmt(d.started_at, ctx.settings.timezone, texts.SAFETY_SINCE), counts=b.counts,
        total=b.total, silent_count=len(b.silent),
        rescue=[(r.household.block.name, r.household.name) for r in b.rescue],
        per_block=dict(b.per_block), silent=[visit_label(r) for r in b.silent[:cards.SILENT_SHOWN]])
    url = None
    if may_see_safety(ctx.member):  # the same rule as the page itself (bot/web/auth.py, bot/web/safety_page.py)
        # the live page (table and map) in one tap: the sign-in link lands there
        url = ctx.links.sign_in(ctx.session, ctx.member, ctx.now, next_path=SAFETY_PAGE)
        ctx.audit("admin.link", f"member:{ctx.member.id}", page="safety")
    ctx.reply(*marked(d, *cards.board_messages(facts, d.id, url)))


def proxy_target(ctx: Ctx) -> tuple[Disaster, Household] | None:
    d = active_disaster(ctx.session, ctx.association.id)
    h = ctx.session.get(Household, ctx.num("h"))
    if d is None or str(d.id) != ctx.data.get("d"):
        ctx.reply(msg.text(texts.SAFETY_CLOSED))
        return None
    led = ctx.member.led_block_id
    if h is None or h.association_id != ctx.association.id or (led is not None and h.block_id != led):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    return d, h


@router.postback("sfp", roles=OFFICER_ROLES)
def on_proxy(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or str(d.id) != ctx.data.get("d"):
        return ctx.reply(msg.text(texts.SAFETY_CLOSED))
    silent = board(ctx.session, d, ctx.member.led_block_id).silent
    actions = paged(silent, ctx.num("o"), 0,
                    lambda r: msg.postback(r.household.name, pb("sfp_h", d=d.id, h=r.household_id),
                                           texts.HOUSEHOLD_NAME.format(name=r.household.name)),
                    lambda o: pb("sfp", d=d.id, o=o))
    ctx.reply(msg.text(texts.SAFETY_PROXY_PICK if actions else texts.SAFETY_ALL_ANSWERED, actions))


@router.postback("sfp_h", roles=OFFICER_ROLES)
def on_proxy_household(ctx: Ctx) -> None:
    found = proxy_target(ctx)
    if found is None:
        return
    d, h = found
    ctx.reply(msg.text(texts.SAFETY_PROXY_STATUS.format(household=h.name),
                       [msg.postback(texts.SAFETY_LABELS[s], pb("sfp_s", d=d.id, h=h.id, s=s)) for s in
                        ("safe", "injured", "rescue", "evacuated")]))


@router.postback("sfp_s", roles=OFFICER_ROLES)
def on_proxy_status(ctx: Ctx) -> None:
    found = proxy_target(ctx)
    status = ctx.data.get("s")
    if found is None or status not in STATUSES:
        return
    d, h = found
    row = ctx.session.scalar(select(Delivery).where(Delivery.of(SUBJECT, d.id),
                                                    Delivery.household_id == h.id)
                             .with_for_update().execution_options(populate_existing=True))  # as lock_report
    if row is None:  # a household added after the start
        row = Delivery(association_id=ctx.association.id, disaster_id=d.id,
                       household_id=h.id, via_line=False, delivered_at=ctx.now)
        ctx.session.add(row)
    was_rescue = row.answer == "rescue"
    row.record_answer(status, ctx.member, data=dict(row.answer_data or {}), proxy=True, at=ctx.now)
    ctx.session.flush()
    if status == "rescue" and not was_rescue:
        rescue_alert(ctx, row)
    ctx.audit("safety.proxy", f"household:{h.id}", status=status)
    ctx.reply(msg.text(texts.SAFETY_PROXY_DONE.format(household=h.name, status=texts.SAFETY_LABELS[status])))

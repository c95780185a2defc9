"""集計 (officers): an event's answers per 班 and in all, with who has not answered yet."""
from __future__ import annotations

from handlers.corrections import chips
from handlers.messages.limits import QUICK_REPLY_MAX_ITEMS
from handlers.events.common import when_text
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.labels import names_by_block
from models import OFFICER_ROLES, Event
from models.events import SUBJECT, recent_events, results
from models.corrections import event_halt
from models.reminders import pending_recipients, planned

QUICK_MAX = QUICK_REPLY_MAX_ITEMS


def halt_mark(ctx: Ctx, ev: Event) -> str:
    halt = event_halt(ctx.session, ctx.association.id, ev.id)
    return texts.EV_HALT_MARK[halt.action] if halt is not None else ""


# --- 集計 -----------------------------------------------------------------------------------
def waiting_name(ctx: Ctx, ev: Event, r) -> str:
    """「佐藤 花子様」; the officer's own household is 「あなたの世帯」 (per person, he is 「ご自身」)."""
    if ev.per_person and r.delivery.person_key:
        return texts.EV_SELF if r.delivery.person_key == ctx.member.id else texts.HOUSEHOLD_NAME.format(name=r.name)
    mine = r.delivery.household_id == ctx.member.household_id
    return texts.SELF_HOUSEHOLD if mine else texts.HOUSEHOLD_NAME.format(name=r.name)


def results_text(ctx: Ctx, ev: Event, res, board: bool) -> str:
    c = res.counts
    lines = [texts.EV_RESULTS_ITEM.format(name=ev.name, when=when_text(ctx, ev.starts_at),
                                          deadline=when_text(ctx, ev.deadline),
                                          closed=halt_mark(ctx, ev) or ("" if ev.is_open(ctx.now) else texts.EV_CLOSED_MARK)),
             texts.EV_RESULTS_COUNTS.format(**c, total=res.total, unit=texts.EV_UNIT_COUNTERS[ev.per_person])
             + (texts.EV_RESULTS_LEGEND if c.get("unanswered") and c.get("unread") else "")]
    if ev.ask_count:
        lines.append(texts.EV_RESULTS_HEADS.format(heads=res.heads))
    if board and len(res.blocks) > 1:
        lines += [texts.EV_RESULTS_BLOCK.format(block=b.block, **b.counts) for b in res.blocks]
    waiting = res.waiting
    if waiting:
        names = names_by_block([(r.block, waiting_name(ctx, ev, r) + ("" if r.delivery.via_line else texts.PAPER_MARK))
                                for r in waiting])  # by 班 (issue 10)
        lines.append(texts.EV_RESULTS_WAITING.format(names=names))
    else:
        lines.append(texts.EV_RESULTS_ALL)
    if board:
        for r in planned(ctx.session, SUBJECT, ev.id):
            if r.status == "planned":
                users, n = pending_recipients(ctx.session, SUBJECT, ev.id, until_answered=True)
                lines.append(texts.EV_RESULTS_REMINDER.format(when=when_text(ctx, r.due_at), n=n, pushes=len(users)))
    return "\n".join(lines)


@router.command(texts.CMD_RESULTS, roles=OFFICER_ROLES)
def on_results(ctx: Ctx) -> None:
    """Counts per answer, head count, per 班, and who has not answered (block leaders: their 班)."""
    block = ctx.member.led_block_id
    parts, proxies, shown = [], [], []
    for ev in recent_events(ctx.session, ctx.association.id):
        res = results(ctx.session, ev, block)
        if block is not None and res.total == 0:
            continue  # not asked in this block leader's 班
        parts.append(results_text(ctx, ev, res, board=block is None))
        shown.append(ev)
        if ev.is_open(ctx.now) and not halt_mark(ctx, ev):
            proxies.append(msg.postback(texts.EV_PROXY_CHIP.format(name=ev.name), pb("ev_proxy", e=ev.id),
                                        texts.EV_PROXY))
    if not parts:
        return ctx.reply(msg.text(texts.EV_RESULTS_NONE))
    fixes = chips(ctx, "event", shown)[:max(0, QUICK_MAX - len(proxies))]
    ctx.reply(msg.text("\n\n".join(parts + [texts.EV_RESULTS_PAGE])[:4900], (proxies + fixes) or None))

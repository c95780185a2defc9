"""The disaster menu's views: 安否を伝える (the safety check card while disaster mode is on, else what
happens in a disaster), 家族の状況 (my household's latest safety report: what, who, when) and
避難所・連絡先 (the association's own text, kept on the dashboard: /admin/shelter)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.messages import builders as msg, dates, texts
from handlers.messages.limits import TEXT_MAX
from handlers.safety.common import check_card, marked, status_actions
from handlers.views.common import who_answered
from models import Delivery, Disaster
from models.safety import SUBJECT, active_disaster


def household_report(ctx: Ctx, d: Disaster) -> Optional[Delivery]:
    """The household's report for `d` (read only: the report's own handlers write it)."""
    return ctx.session.scalars(select(Delivery).where(
        Delivery.of(SUBJECT, d.id), Delivery.association_id == ctx.association.id,
        Delivery.household_id == ctx.member.household_id).order_by(Delivery.id).limit(1)).first()


def when(ctx: Ctx, r: Delivery) -> str:
    return dates.short(r.answered_at, ctx.settings.timezone)


def show_safety(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        ctx.reply(msg.text(texts.VIEW_SAFETY_CALM))
        return
    if ctx.member.household_id is None:
        ctx.reply(msg.text(texts.SAFETY_NOT_REGISTERED))
        return
    r = household_report(ctx, d)
    if r is not None and r.answer:
        ctx.reply(*marked(d, msg.text(texts.VIEW_SAFETY_NOW.format(status=texts.SAFETY_LABELS[r.answer],
                                                                   who=who_answered(ctx, r), when=when(ctx, r)))),
                  check_card(d))
    else:
        ctx.reply(check_card(d))


def report_lines(ctx: Ctx, r: Delivery) -> list[str]:
    lines = [texts.VIEW_FAMILY_STATUS.format(status=texts.SAFETY_LABELS.get(r.answer, r.answer)),
             texts.VIEW_FAMILY_BY.format(who=who_answered(ctx, r)), texts.VIEW_FAMILY_AT.format(when=when(ctx, r))]
    note = (r.answer_data or {}).get("comment")
    if isinstance(note, str) and note:
        lines.append(texts.VIEW_FAMILY_NOTE.format(note=note))
    return lines


def show_family(ctx: Ctx) -> None:
    household = ctx.member.household
    if household is None:
        ctx.reply(msg.text(texts.VIEW_FAMILY_NO_HOUSEHOLD))
        return
    title = texts.VIEW_FAMILY_TITLE.format(household=household.name)
    d = active_disaster(ctx.session, ctx.association.id)
    if d is not None:
        r = household_report(ctx, d)
        if r is None or not r.answer:
            ctx.reply(*marked(d, msg.text(title + "\n" + texts.VIEW_FAMILY_UNANSWERED,
                                          status_actions(d) + [msg.location(texts.SAFETY_LOCATION)])))
            return
        ctx.reply(*marked(d, msg.text("\n".join([title] + report_lines(ctx, r))[:TEXT_MAX])))
        return
    last = ctx.session.scalars(select(Disaster).where(Disaster.association_id == ctx.association.id)
                               .order_by(Disaster.started_at.desc(), Disaster.id.desc()).limit(1)).first()
    r = household_report(ctx, last) if last is not None else None
    if r is None or not r.answer:
        ctx.reply(msg.text(texts.VIEW_FAMILY_NONE))
        return
    ended = texts.VIEW_FAMILY_ENDED.format(date=dates.month_day(last.started_at, ctx.settings.timezone))
    ctx.reply(*marked(last, msg.text("\n".join([title] + report_lines(ctx, r) + [ended])[:TEXT_MAX])))


MAX_SHELTER = 2000  # what the dashboard's form takes (a LINE text holds 5,000)


def show_shelter(ctx: Ctx) -> None:
    info = (ctx.association.shelter_info or "").strip()
    ctx.reply(msg.text(texts.VIEW_SHELTER_TITLE + "\n" + (info[:MAX_SHELTER] or texts.VIEW_SHELTER_EMPTY)))

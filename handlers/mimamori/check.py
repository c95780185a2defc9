"""見守り's taps: the resident's 「元気です」 / 「少し困っています」 (→ 体調, 買い物, 通院, 話し相手がほしい),
the watchers' [連絡がとれました] / [訪問します] / [つながりません], and the sign of life: any message
or tap of an enrolled resident (`observe`, before the router picks a route).

A button carries its check's id; it counts only for the resident of that check (their answer) or
for a watcher of it (`common.may_act`), in this association: anything else is told it cannot be
used, and nothing changes. A check already settled answers so, and changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from models import MemberStatus
from models.mimamori import ANSWERED, CONTACT, OPEN, UNREACHABLE, VISITING, MimamoriCheck, MimamoriEnrolment

from .common import ALERT, CHAIR, block_name, escalate, ladder, may_act, need_chips, sign_of_life, told


@router.observe()
def observe(ctx: Ctx) -> None:
    """Any message or tap of an enrolled resident: a sign of life (no reply of its own)."""
    m = ctx.member
    if m is None or m.status != MemberStatus.active or ctx.watched is False:
        return  # (watched: resolve already asked whether an enrolment exists, and none does)
    e = ctx.session.scalar(select(MimamoriEnrolment).where(MimamoriEnrolment.member_id == m.id,
                                                           MimamoriEnrolment.active.is_(True)))
    if e is not None:
        sign_of_life(ctx.session, e, ctx.now)


def _check(ctx: Ctx) -> MimamoriCheck | None:
    c = ctx.session.get(MimamoriCheck, ctx.num("c"))
    return c if c is not None and c.association_id == ctx.association.id else None


def _own(ctx: Ctx) -> MimamoriCheck | None:
    c = _check(ctx)
    if c is None or ctx.member is None or c.enrolment.member_id != ctx.member.id:
        ctx.reply(msg.text(texts.MM_NOT_YOURS))
        return None
    return c


@router.postback("mm_ans")
def on_answer(ctx: Ctx) -> None:
    c = _own(ctx)
    if c is None:
        return
    v = ctx.data.get("v")
    if v not in ("fine", "trouble"):
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    c.status, c.answer = ANSWERED, v  # the observer has already marked it answered ("life")
    c.answered_at = c.answered_at or ctx.now
    ctx.audit("mimamori.answer", f"member:{ctx.member.id}", check=c.id, answer=v)
    if v == "fine":
        return ctx.reply(msg.text(texts.MM_THANKS))
    ctx.reply(msg.text(texts.MM_ASK_NEED, need_chips(c)))


@router.postback("mm_need")
def on_need(ctx: Ctx) -> None:
    """少し困っています → what: kept on the check, and told to the first watchers (not an alarm)."""
    c = _own(ctx)
    if c is None:
        return
    v = ctx.data.get("v", "")
    if v not in texts.MM_NEEDS:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    c.status, c.answer, c.need = ANSWERED, "trouble", v
    ctx.audit("mimamori.answer", f"member:{ctx.member.id}", check=c.id, answer="trouble", need=v)
    rungs = ladder(ctx.session, c.enrolment)
    if rungs:
        e = c.enrolment
        ctx.push(rungs[0].users, [msg.text(texts.MM_NEED_ALERT.format(
            name=e.member.name or "", block=block_name(e.member), need=texts.MM_NEEDS[v]))],
            purpose=f"mimamori:need:{c.id}", priority=ALERT)
    ctx.reply(msg.text(texts.MM_NEED_NOTED))


@router.postback("mm_out")
def on_outcome(ctx: Ctx) -> None:
    """A watcher's report: 連絡がとれました ends the ladder (everyone told hears it), 訪問します holds
    it (nobody else is asked while someone goes), つながりません goes to the chair and the 民生委員."""
    c = _check(ctx)
    if c is None or not may_act(ctx.session, c, ctx.user_id):
        return ctx.reply(msg.text(texts.MM_NOT_YOURS))
    v = ctx.data.get("v")
    if v not in ("contact", "visit", "unreachable"):
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    if c.status not in OPEN:
        return ctx.reply(msg.text(texts.MM_CLOSED))
    e, by = c.enrolment, ctx.member.id if ctx.member is not None else None
    target = f"member:{e.member_id}"
    if v == "contact":
        others = [u for u in told(ctx.session, c) if u != ctx.user_id]
        c.status, c.outcome_at, c.outcome_by_id = CONTACT, ctx.now, by
        ctx.audit("mimamori.contact", target, check=c.id)
        if others:
            who = ctx.member.name if ctx.member is not None and ctx.member.name else texts.MM_LADDER_FAMILY
            ctx.push(others, [msg.text(texts.MM_CONTACT_DONE.format(name=e.member.name or "", by=who))],
                     purpose=f"mimamori:done:{c.id}")
        return ctx.reply(msg.text(texts.MM_CONTACT_NOTED))
    if v == "visit":
        c.status, c.outcome_at, c.outcome_by_id = VISITING, ctx.now, by
        ctx.audit("mimamori.visit", target, check=c.id)
        return ctx.reply(msg.text(texts.MM_VISIT_NOTED))
    c.outcome_at, c.outcome_by_id = ctx.now, by
    if c.status == UNREACHABLE or c.escalated_to == CHAIR:  # the chair and the 民生委員 have it already
        c.status = UNREACHABLE
        ctx.audit("mimamori.unreachable", target, check=c.id)
    else:
        escalate(ctx.session, c, ctx.settings.timezone, ctx.now, actor_id=by, final=True)
    ctx.reply(msg.text(texts.MM_UNREACHABLE_NOTED))

"""Drills (訓練, issue 14): the chair or a 防災担当 types 「訓練」: kind → when (now, or a time they
pick: an unannounced drill the scheduler starts, scheduler.safety.start_planned_drills) → message →
the preview and confirm, as for disaster mode. A drill is disaster mode with `drill` set: the same
safety check, re-asks, visit lists and rescue alerts, every message marked 【訓練】, its figures kept
apart (models/drills.py, bot/web/drills_page.py). 「訓練終了」 (or 「災害モード終了」) ends it; a
real disaster mode ends it by starting.

```mermaid
stateDiagram-v2
    [*] --> kind
    kind --> when
    when --> message
    message --> confirm
    confirm --> [*]: dr_send
    confirm --> [*]: dr_cancel
```
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.draft import DialogDrafts, DraftFlow, Field, Sent
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from handlers.safety.common import STARTERS, check_card
from handlers.safety.start import MAX_MESSAGE, ask_end, audience_counts, start_disaster
from models import OFFICER_ROLES, Disaster
from models.drills import DrillPlan
from models.safety import active_disaster

log = logging.getLogger(__name__)
PLAN_DAYS = 30  # how far ahead a drill may be planned
NOW = "now"


def planned(ctx: Ctx) -> DrillPlan | None:
    return ctx.session.scalar(select(DrillPlan).where(DrillPlan.association_id == ctx.association.id,
                                                      DrillPlan.state == "planned")
                              .order_by(DrillPlan.start_at).limit(1))


def take_kind(ctx: Ctx, d, v: str):
    if v not in texts.DISASTER_KINDS:  # a forged tap
        return texts.STALE_BUTTON, None
    d.kind = v
    return None


def take_when(ctx: Ctx, d, v: str):
    """「今すぐ」, or the picker's local 「2026-12-05T10:00」: a moment ahead, within PLAN_DAYS."""
    if v == NOW:
        d.when = NOW
        return None
    try:
        at = dt.datetime.fromisoformat(v[:16]).replace(tzinfo=ZoneInfo(ctx.settings.timezone))
    except ValueError:
        return texts.DRILL_BAD_TIME.format(days=PLAN_DAYS)
    if not ctx.now < at <= ctx.now + dt.timedelta(days=PLAN_DAYS):
        return texts.DRILL_BAD_TIME.format(days=PLAN_DAYS)
    d.when = at.astimezone(dt.timezone.utc).isoformat()
    return None


def take_message(ctx: Ctx, d, v: str):
    d.message = "" if v == texts.DISASTER_NO_MESSAGE else v[:MAX_MESSAGE]
    return None


def no_message(ctx: Ctx, d):
    d.message = ""
    return None


def ask_when(ctx: Ctx, d):
    tz = ctx.settings.timezone
    return texts.DRILL_ASK_WHEN, [("set", texts.DRILL_NOW, NOW),
                                  msg.picker(texts.DRILL_PICK_TIME, FLOW.set_data(d, "when"),
                                             low=f"{dates.iso_date(ctx.now, tz)}T00:00",
                                             high=f"{dates.iso_date(ctx.now + dt.timedelta(days=PLAN_DAYS), tz)}T23:59")]


def start_at(d) -> dt.datetime | None:
    return None if not d.when or d.when == NOW else dt.datetime.fromisoformat(d.when)


STEPS = [
    Field("kind", lambda ctx, d: (texts.DRILL_ASK_KIND, [("set", label, key) for key, label in texts.DISASTER_KINDS.items()]),
          take_kind, lambda d: bool(d.kind), required=True, buttons_only=True, typed=False),
    Field("when", ask_when, take_when, lambda d: bool(d.when), required=True, buttons_only=True, typed=False),
    Field("message", lambda ctx, d: (texts.DISASTER_ASK_MESSAGE, [msg.say(texts.DISASTER_NO_MESSAGE)]),
          take_message, media=no_message),
]


def summary(ctx: Ctx, d, aud) -> str:
    at = start_at(d)
    when = (texts.DRILL_CONFIRM_AT.format(at=dates.short(at, ctx.settings.timezone)) if at else texts.DRILL_CONFIRM_NOW)
    households, recipients = audience_counts(ctx)
    return texts.DRILL_CONFIRM.format(households=households, recipients=recipients, when=when)


def send(ctx: Ctx, d, aud) -> Sent | None:
    if active_disaster(ctx.session, ctx.association.id):
        ctx.reply(msg.text(texts.DRILL_DURING_DISASTER))
        return None
    kind = texts.DISASTER_KINDS[d.kind]
    at = start_at(d)
    if at is not None:  # unannounced: the scheduler starts it at its time
        other = planned(ctx)
        if other is not None:  # one plan at a time
            ctx.reply(msg.text(texts.DRILL_PLAN_EXISTS.format(at=dates.short(other.start_at, ctx.settings.timezone),
                                                              kind=texts.DISASTER_KINDS[other.kind])))
            return None
        plan = DrillPlan(association_id=ctx.association.id, kind=d.kind, message=d.message or "", start_at=at,
                         created_by_id=ctx.member.id, created_at=ctx.now)
        ctx.session.add(plan)
        ctx.session.flush()
        ctx.audit("drill.plan", f"drill_plan:{plan.id}", start_at=at.isoformat())
        return Sent(texts.DRILL_PLANNED.format(kind=kind, at=dates.short(at, ctx.settings.timezone)),
                    f"drill_plan:{plan.id}", {"kind": d.kind})
    disaster, recipients = start_disaster(ctx.session, ctx.association.id, d.kind, d.message or "", ctx.member.id,
                                          ctx.now, drill=True)
    return Sent(texts.DRILL_STARTED.format(kind=kind), f"disaster:{disaster.id}",
                {"kind": d.kind, "recipients": recipients, "drill": True})


FLOW = DraftFlow(
    "drill", "dr", DialogDrafts("kind", "when", "message"), STEPS, roles=STARTERS,
    resident=lambda ctx, d: check_card(Disaster(id=0, kind=d.kind, message=d.message or "", drill=True)),
    summary=summary, send=send, audit="drill.start", confirm_title=texts.DRILL_CONFIRM_TITLE,
    send_label=texts.DRILL_SEND, intro=False, preview_step="confirm")


@router.command(texts.CMD_DRILL, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DRILL_ONLY_ROLES))
    d = active_disaster(ctx.session, ctx.association.id)
    if d is not None:
        return ctx.reply(msg.text(texts.DRILL_ALREADY if d.drill else texts.DRILL_DURING_DISASTER))
    plan = planned(ctx)
    if plan is not None:  # one plan at a time: it can be called off here
        return ctx.reply(msg.text(texts.DRILL_PLAN_EXISTS.format(
            at=dates.short(plan.start_at, ctx.settings.timezone), kind=texts.DISASTER_KINDS[plan.kind]),
            [msg.postback(texts.DRILL_PLAN_CANCEL, pb("dr_plan_no", p=plan.id)), msg.say(texts.CANCEL)]))
    FLOW.open(ctx, FLOW.new(ctx))


@router.postback("dr_plan_no", roles=STARTERS)
def on_cancel_plan(ctx: Ctx) -> None:
    plan = ctx.session.get(DrillPlan, ctx.num("p"))
    if plan is None or plan.association_id != ctx.association.id or plan.state != "planned":
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    plan.state = "cancelled"
    ctx.audit("drill.cancel", f"drill_plan:{plan.id}")
    ctx.reply(msg.text(texts.DRILL_PLAN_CANCELLED))


@router.command(texts.CMD_DRILL_END, roles=OFFICER_ROLES)
def end(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DRILL_ONLY_ROLES))
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or not d.drill:
        return ctx.reply(msg.text(texts.DRILL_NONE))
    ask_end(ctx, d)

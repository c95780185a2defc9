"""The chair's and disaster officers' side of the automatic start: [開始する][開始しない] on the
question a JMA telegram asked, and 「自動開始」 (the rule, with buttons to change the mode and the
threshold; the municipality codes are set by `kairan jma rule`)."""
from __future__ import annotations


from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.jma.trigger import do_start
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.safety.common import STARTERS
from models.jma import INTENSITIES, MODES, JmaRule, JmaStart, own_rule, rule_for



def _own_start(ctx: Ctx):
    sid = ctx.data.get("s", "")
    start = ctx.session.get(JmaStart, int(sid)) if sid.isdigit() else None
    if start is None or start.association_id != ctx.association.id:
        return None
    return start


@router.postback("jma_go", roles=STARTERS)
def on_go(ctx: Ctx) -> None:
    start = _own_start(ctx)
    if start is None:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    if start.state != "asked":
        return ctx.reply(msg.text(texts.ALREADY_HANDLED))
    if not do_start(ctx.session, start, ctx.member.id, ctx.now):
        return ctx.reply(msg.text(texts.DISASTER_ALREADY))
    ctx.reply(msg.text(texts.JMA_STARTED_BY))


@router.postback("jma_no", roles=STARTERS)
def on_no(ctx: Ctx) -> None:
    start = _own_start(ctx)
    if start is None:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    if start.state != "asked":
        return ctx.reply(msg.text(texts.ALREADY_HANDLED))
    start.state, start.decided_by_id = "declined", ctx.member.id
    ctx.audit("jma.decline", f"jma:{start.telegram_id}", telegram=start.telegram_id)
    ctx.reply(msg.text(texts.JMA_DECLINED))


def rule_text(rule: JmaRule) -> str:
    return texts.JMA_RULE.format(
        codes=rule.city_codes or "―",
        quake=texts.JMA_RULE_QUAKE.format(intensity=texts.JMA_INTENSITY[rule.min_intensity])
        if rule.quake else texts.JMA_RULE_OFF,
        tsunami=texts.JMA_RULE_TSUNAMI if rule.tsunami and rule.tsunami_areas else texts.JMA_RULE_OFF,
        special=texts.JMA_RULE_SPECIAL if rule.special else texts.JMA_RULE_OFF,
        mode=texts.JMA_MODE[rule.mode].format(minutes=rule.ask_minutes))


def show(ctx: Ctx, rule: JmaRule) -> None:
    other = "ask" if rule.mode == "auto" else "auto"
    label = texts.JMA_SET_ASK if other == "ask" else texts.JMA_SET_AUTO
    quick = [msg.postback(label, pb("jma_mode", v=other))]
    quick += [msg.postback(texts.JMA_SET_INT.format(intensity=texts.JMA_INTENSITY[v]), pb("jma_int", v=v))
              for v in ("5-", "5+", "6-") if v != rule.min_intensity]
    ctx.reply(msg.card(texts.CMD_JMA_RULE, rule_text(rule), quick))


@router.command(texts.CMD_JMA_RULE, roles=STARTERS)
def rule_command(ctx: Ctx) -> None:
    rule = rule_for(ctx.session, ctx.association)
    if rule is None:
        return ctx.reply(msg.text(texts.JMA_RULE_NONE))
    show(ctx, rule)


def _own_rule(ctx: Ctx) -> JmaRule | None:
    """The association's own rule; a municipality's rule is copied into one before a change."""
    return own_rule(ctx.session, ctx.association)


def _change(ctx: Ctx, field: str, value) -> None:
    rule = _own_rule(ctx)
    if rule is None:
        return ctx.reply(msg.text(texts.JMA_RULE_NONE))
    before = getattr(rule, field)
    setattr(rule, field, value)
    rule.updated_at = ctx.now
    ctx.session.flush()
    ctx.audit("jma.rule", f"jma-rule:{rule.id}", before={field: before}, after={field: value})
    ctx.reply(msg.text(texts.JMA_RULE_SAVED))
    show(ctx, rule)


@router.postback("jma_mode", roles=STARTERS)
def on_mode(ctx: Ctx) -> None:
    v = ctx.data.get("v")
    if v not in MODES:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    _change(ctx, "mode", v)


@router.postback("jma_int", roles=STARTERS)
def on_intensity(ctx: Ctx) -> None:
    v = ctx.data.get("v")
    if v not in INTENSITIES[3:]:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    _change(ctx, "min_intensity", v)

"""On a city channel (it serves every association of its municipality that has no channel of its
own) a resident who has consented picks their association: 地区 → 自治会 by quick replies, paged
past 13 with [前へ] [次へ]. A 地区 with one association skips the second question; associations
without a 地区 are under 「その他」; with at most one 地区 the first question is skipped. A
登録コード typed at either question names the association at once (codes.py). The choice is kept
with the dialog (DialogState.association_id, `enter_association`), and registration goes on in that
association: 班 → name, approval by its officers (join.py); [自治会を選び直す] at the 班 question goes
back, as long as nothing but the consent was given.
"""
from __future__ import annotations

from typing import Optional

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Go, Next
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import pages
from models import Association, MemberStatus
from models.tenancy import served_associations

from .codes import join_by_code
from .common import consent_card, consent_of, consented, enter_association, looks_like_code

ALL = 0  # the association question without a 地区: every association the channel serves


def district_of(a: Association) -> Optional[str]:
    return (a.district or "").strip() or None


def districts(served: list[Association]) -> list[tuple[int, str]]:
    """(key, label) per 地区, by name, 「その他」 last. A 地区's key is the lowest id of its
    associations (a postback carries a number, not a name that may be long)."""
    first: dict[Optional[str], int] = {}
    for a in served:  # in id order
        first.setdefault(district_of(a), a.id)
    named = sorted((name, key) for name, key in first.items() if name is not None)
    return [(key, name) for name, key in named] + ([(first[None], texts.DISTRICT_OTHER)] if None in first else [])


def in_district(served: list[Association], key: int) -> Optional[list[Association]]:
    """The associations of the 地区 whose key this is (ALL: every one); None for a key that names
    no association served here (a forged or stale button)."""
    if key == ALL:
        return served
    anchor = next((a for a in served if a.id == key), None)
    if anchor is None:
        return None
    return [a for a in served if district_of(a) == district_of(anchor)]


def first_step(ctx: Ctx, **data: str) -> Next:
    """After the consent: the 地区 question, or the 自治会 question when there is only one 地区."""
    served = served_associations(ctx.session, ctx.channel)
    if not served:
        ctx.end_dialog()
        ctx.reply(msg.text(texts.NO_ASSOCIATIONS))
        return END
    if len(districts(served)) > 1:
        return Go("district", **data)
    return Go("assoc", district=ALL, **data)


# --- the questions ---------------------------------------------------------------------------
def district_question(ctx: Ctx, offset: int = 0) -> dict:
    chips = pages(districts(served_associations(ctx.session, ctx.channel)), offset, 0,
                  lambda d: msg.postback(d[1], pb("reg_district", d=d[0])), lambda o: pb("reg_districts", o=o))
    return msg.text(texts.ASK_DISTRICT, chips)


def association_question(ctx: Ctx, offset: int = 0) -> dict:
    served = served_associations(ctx.session, ctx.channel)
    key = int(ctx.dialog.data.get("district") or ALL)
    chosen = in_district(served, key) or served
    several = len(districts(served)) > 1
    back = [msg.postback(texts.REPICK_DISTRICT, pb("reg_redistrict"))] if several else []
    chips = pages(sorted(chosen, key=lambda a: (a.name, a.id)), offset, len(back),
                  lambda a: msg.postback(a.name, pb("reg_assoc", s=a.id)), lambda o: pb("reg_assocs", o=o))
    if several and key != ALL:
        label = district_of(chosen[0]) or texts.DISTRICT_OTHER
        return msg.text(texts.ASK_ASSOCIATION_IN.format(district=label), chips + back)
    return msg.text(texts.ASK_ASSOCIATION, chips + back)


def ask_district(ctx: Ctx) -> None:
    ctx.reply(district_question(ctx))


def ask_association(ctx: Ctx) -> None:
    ctx.reply(association_question(ctx))


# --- the steps and buttons -------------------------------------------------------------------
def on_picker_text(ctx: Ctx) -> Next:
    """At either question: a 登録コード (a typed name of a button taps it, anything else hears
    「下のボタンから選んでください」 with the buttons: Step.pick)."""
    if looks_like_code(ctx):
        return join_by_code(ctx, ctx.text)
    return None


def picking(ctx: Ctx) -> bool:
    """Whether a picker button may act: consented, and nothing linked yet (else: stale)."""
    m = ctx.member
    if consented(ctx) and (m is None or (m.household_id is None and m.status == MemberStatus.registering)):
        return True
    if consented(ctx):
        ctx.reply(msg.text(texts.STALE_BUTTON))
    else:
        ctx.reply(*consent_card(ctx, texts.CONSENT_FIRST))
    return False


def enter(ctx: Ctx, association: Association) -> Next:
    enter_association(ctx, association)
    return "block"


def on_district(ctx: Ctx) -> Next:
    if not picking(ctx):
        return None
    served = served_associations(ctx.session, ctx.channel)
    chosen = in_district(served, ctx.num("d"))
    if not chosen:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    if len(chosen) == 1:  # nothing to choose: that 地区's association
        return enter(ctx, chosen[0])
    return Go("assoc", district=ctx.num("d"))


def on_district_page(ctx: Ctx) -> Next:
    ctx.reply(district_question(ctx, ctx.num("o")))
    return None


def on_association(ctx: Ctx) -> Next:
    if not picking(ctx):
        return None
    chosen = next((a for a in served_associations(ctx.session, ctx.channel) if a.id == ctx.num("s")), None)
    if chosen is None:  # not an association of this channel: nothing changes
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    return enter(ctx, chosen)


def on_association_page(ctx: Ctx) -> Next:
    ctx.reply(association_question(ctx, ctx.num("o")))
    return None


def on_redistrict(ctx: Ctx) -> Next:
    return "district" if picking(ctx) else None


def on_repick(ctx: Ctx) -> Next:
    """[自治会を選び直す] at the 班 question: the member row that holds only the consent goes; the
    consent stays with the dialog, and the first question comes again."""
    m = ctx.member
    if not ctx.channel.is_city or m is None or m.status != MemberStatus.registering or m.household_id is not None:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    at, policy = consent_of(ctx)
    ctx.session.delete(m)
    ctx.session.flush()
    ctx.enter(None, None)
    return first_step(ctx, consent_at=at.isoformat(), policy=policy)


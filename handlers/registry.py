"""「会長交代」: the chair records the new chair in the association registry (自治会台帳) after the
yearly general meeting, so the city's copy is never stale.

The chair only (a refusal for anyone else). The new chair's name, its furigana ([省略] skips),
phone ([省略] skips), the day they took office ([今日から] or a date picker), then a confirm card
[登録する] [やめる]. On [登録する] the entry gets the new chair; the old chair (the entry's, else
the member who speaks) becomes the predecessor, with their phone (else address) as contact; the
old chair's postcode and address leave the entry (they were theirs). Every field goes through
models.registry.apply_changes, which writes the history (actor: this member, via "chat"), and
the other board members are told by a push.

kairan's own roles do not change: the member who is chair in kairan stays chair until the
operator hands the role over (`kairan roles`); the reply says so.

```mermaid
stateDiagram-v2
    [*] --> name
    name --> kana
    kana --> phone
    phone --> since
    since --> since
    confirm --> confirm
    since --> confirm: chg_since
    since --> since: chg_since
    confirm --> [*]: chg_ok
```
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import normalize, pb
from models import BOARD_ROLES, Member, MemberStatus, Role
from models.registry import BY_KEY, Actor, apply_changes, entry_of, normalize_phone, values

NAME_MAX = BY_KEY["chair_name"].size
PICK_RANGE = dt.timedelta(days=366)  # the picker offers a year back and a year ahead
CHAIR_ONLY = frozenset({Role.chair})


def _is_chair(ctx: Ctx) -> bool:
    return ctx.member is not None and ctx.member.status == MemberStatus.active and ctx.member.role == Role.chair


@router.command(texts.CMD_CHAIR_CHANGE)
def on_chair_change(ctx: Ctx) -> None:
    if ctx.association is None:
        ctx.reply(msg.text(texts.CHAIR_CHANGE_NO_ASSOCIATION))
        return
    if not _is_chair(ctx):
        ctx.reply(msg.text(texts.CHAIR_CHANGE_CHAIR_ONLY))
        return
    CHAIR_CHANGE.start(ctx)


# --- the steps -----------------------------------------------------------------------------------


def ask_name(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.CHAIR_ASK_NAME, [msg.say(texts.CANCEL)]))


def on_name(ctx: Ctx) -> Next:
    name = " ".join(ctx.text.split())
    if ctx.event.message.type != "text" or not name or len(name) > NAME_MAX:
        ctx.reply(msg.text(texts.CHAIR_BAD_NAME.format(size=NAME_MAX), [msg.say(texts.CANCEL)]))
        return None
    return Go("kana", name=name)


def _skipped(ctx: Ctx) -> bool:
    return normalize(ctx.text) == normalize(texts.CHAIR_SKIP)


def ask_kana(ctx: Ctx) -> None:
    name = CHAIR_CHANGE.data(ctx)["name"]
    ctx.reply(msg.text(texts.CHAIR_ASK_KANA.format(name=name), [msg.say(texts.CHAIR_SKIP), msg.say(texts.CANCEL)]))


def on_kana(ctx: Ctx) -> Next:
    kana = " ".join(ctx.text.split())
    if ctx.event.message.type != "text" or not kana or len(kana) > NAME_MAX:
        ask_kana(ctx)
        return None
    return Go("phone", kana=None if _skipped(ctx) else kana)


def ask_phone(ctx: Ctx) -> None:
    name = CHAIR_CHANGE.data(ctx)["name"]
    ctx.reply(msg.text(texts.CHAIR_ASK_PHONE.format(name=name), [msg.say(texts.CHAIR_SKIP), msg.say(texts.CANCEL)]))


def on_phone(ctx: Ctx) -> Next:
    if ctx.event.message.type == "text" and _skipped(ctx):
        return Go("since", phone=None)
    phone = normalize_phone(ctx.text) if ctx.event.message.type == "text" else None
    if phone is None:
        ctx.reply(msg.text(texts.CHAIR_BAD_PHONE, [msg.say(texts.CHAIR_SKIP), msg.say(texts.CANCEL)]))
        return None
    return Go("since", phone=phone)


def _today(ctx: Ctx) -> dt.date:
    return dt.date.fromisoformat(dates.iso_date(ctx.now, ctx.settings.timezone))


def ask_since(ctx: Ctx) -> None:
    today = _today(ctx)
    name = CHAIR_CHANGE.data(ctx)["name"]
    ctx.reply(msg.text(texts.CHAIR_ASK_SINCE.format(name=name), [
        msg.postback(texts.CHAIR_TODAY, pb("chg_since", v="today")),
        msg.picker(texts.CHAIR_PICK_DATE, pb("chg_since"), "date", low=(today - PICK_RANGE).isoformat(),
                   high=(today + PICK_RANGE).isoformat()),
        msg.say(texts.CANCEL)]))


def on_since_typed(ctx: Ctx) -> Next:
    return "since"  # a tap is wanted: the question again


def on_since(ctx: Ctx) -> Next:
    today = _today(ctx)
    if ctx.data.get("v") == "today":
        since = today
    else:
        params = getattr(ctx.event.postback, "params", None) or {}
        try:
            since = dt.date.fromisoformat(str(params.get("date", "")))
        except ValueError:
            return "since"
        if abs(since - today) > PICK_RANGE:
            return "since"
    return Go("confirm", since=since.isoformat())


def _day(d: dt.date) -> str:
    return texts.DATE_FULL.format(year=d.year, month=d.month, day=d.day)


def _predecessor(ctx: Ctx) -> tuple[str | None, str | None]:
    """The chair the registry names now (else the member who speaks), and their contact."""
    now = values(ctx.association, entry_of(ctx.session, ctx.association.id))
    return now["chair_name"] or ctx.member.name, now["chair_phone"] or now["chair_address"]


def ask_confirm(ctx: Ctx) -> None:
    d = CHAIR_CHANGE.data(ctx)
    old, _ = _predecessor(ctx)
    body = texts.CHAIR_CONFIRM.format(name=d["name"], kana=texts.CHAIR_KANA.format(kana=d["kana"]) if d.get("kana") else "",
                                      phone=d.get("phone") or texts.CHAIR_NONE,
                                      since=_day(dt.date.fromisoformat(d["since"])),
                                      predecessor=old or texts.CHAIR_NONE)
    ctx.reply(msg.card(texts.CHAIR_CONFIRM_TITLE, body, [msg.postback(texts.CHAIR_YES, pb("chg_ok", v=1)),
                                                         msg.postback(texts.CHAIR_NO, pb("chg_ok", v=0))]))


def on_confirm_typed(ctx: Ctx) -> Next:
    return "confirm"  # the card again: [登録する] or [やめる]


def on_ok(ctx: Ctx) -> Next:
    if ctx.data.get("v") != "1":
        ctx.reply(msg.text(texts.CHAIR_KEPT))
        return END
    d = CHAIR_CHANGE.data(ctx)
    since = dt.date.fromisoformat(d["since"])
    old, contact = _predecessor(ctx)
    changes = {"chair_name": d["name"], "chair_kana": d.get("kana"), "chair_phone": d.get("phone"),
               "chair_since": since, "chair_postcode": None, "chair_address": None,
               "predecessor_name": old, "predecessor_contact": contact}
    m = ctx.member
    actor = Actor("member", texts.REGISTRY_ACTOR_MEMBER.format(name=m.name or texts.REGISTRY_NO_NAME,
                                                               role=texts.ROLE_LABELS.get(m.role, "")),
                  "chat", member_id=m.id)
    written = apply_changes(ctx.session, ctx.association, changes, actor, ctx.now)
    ctx.audit("registry.chair_change", f"association:{ctx.association.id}", fields=len(written))
    board = ctx.session.scalars(select(Member.line_user_id).where(
        Member.association_id == ctx.association.id, Member.status == MemberStatus.active,
        Member.role.in_(BOARD_ROLES), Member.id != m.id, Member.line_user_id.is_not(None)))
    told = texts.CHAIR_TOLD_OFFICERS.format(association=ctx.association.name, name=d["name"], since=_day(since),
                                            predecessor=old or texts.CHAIR_NONE)
    ctx.push(list(board), [msg.text(told)], purpose=f"registry.chair:{ctx.association.id}")
    ctx.reply(msg.text(texts.CHAIR_DONE))
    return END


CHAIR_CHANGE = Dialog("chair_change", entries=("name",), steps=[
    Step("name", take=on_name, ask=ask_name, to=("kana",)),
    Step("kana", take=on_kana, ask=ask_kana, to=("phone",)),
    Step("phone", take=on_phone, ask=ask_phone, to=("since",)),
    Step("since", take=on_since_typed, ask=ask_since, to=("since",), buttons_only=True),
    Step("confirm", take=on_confirm_typed, ask=ask_confirm, to=("confirm",), buttons_only=True),
], buttons=[
    Button("chg_since", take=on_since, at=("since",), to=("confirm", "since"), roles=CHAIR_ONLY),
    Button("chg_ok", take=on_ok, at=("confirm",), to=(END,), roles=CHAIR_ONLY),
], timeout=dt.timedelta(hours=1))

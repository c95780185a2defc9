"""Answering an event (residents, and officers by proxy): 参加 / 不参加 / 未定 with the buttons, then
the head count and a comment when the event asks for them; [詳細を見る]; 代理回答 for households
without LINE. An answer typed instead of tapped (「参加します」「新年会 参加 2名」) comes here as the
same tap (handlers/events/typed.py, with the head count as `n`).

The answer's follow-up, declared as a Dialog (`DIALOG`; taps from any state, drawn from [*]):

```mermaid
stateDiagram-v2
    [*] --> heads
    [*] --> comment
    heads --> comment
    heads --> [*]
    comment --> comment
    comment --> [*]
    [*] --> heads: ev_ans
    [*] --> comment: ev_ans
    [*] --> [*]: ev_ans
    [*] --> heads: ev_pans
    [*] --> comment: ev_pans
    [*] --> [*]: ev_pans
    [*] --> heads: ev_cnt
    [*] --> comment: ev_cnt
    [*] --> [*]: ev_cnt
    [*] --> [*]: ev_note
```
"""
from __future__ import annotations

import unicodedata

from handlers.events.common import (
    COMMENT_WINDOW,
    MAX_COMMENT,
    MAX_HEADS,
    PICK_PAGE,
    answer_actions,
    num,
    when_text,
)
from handlers.events import family, typed
from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import normalize, pb
from handlers.messages.pickers import paged
from models import OFFICER_ROLES, Delivery, Event, EventState, Target
from models.corrections import event_halt
from models.events import ANSWERS, amend, delivery_of, results


# --- answering (residents, and officers by proxy) ---------------------------------------------
def open_event(ctx: Ctx, event_id) -> Event | None:
    ev = ctx.session.get(Event, num(event_id))
    if ev is not None and ev.association_id == ctx.association.id and ev.state == EventState.draft \
            and ctx.member is not None and ev.author_id == ctx.member.id:
        ctx.reply(msg.text(texts.PREVIEW_TAPPED))  # the officer's own preview, before [送信]
        return None
    if ev is None or ev.association_id != ctx.association.id or ev.state != EventState.sent:
        ctx.reply(msg.text(texts.EV_GONE))
        return None
    halt = event_halt(ctx.session, ctx.association.id, ev.id)
    if halt is not None:  # 中止 / 延期 (handlers/corrections.py): nothing is recorded
        ctx.reply(msg.text(texts.EV_HALTED[halt.action].format(name=ev.name, note=halt.note).strip()))
        return None
    if not ev.is_open(ctx.now):
        ctx.reply(msg.text(texts.EV_CLOSED.format(name=ev.name)))
        return None
    return ev


def my_delivery(ctx: Ctx, ev: Event) -> Delivery | None:
    if not ctx.is_member:
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None
    d = delivery_of(ctx.session, ev, ctx.member)
    if d is not None and ev.target == Target.officers and not ctx.member.is_officer:
        d = None  # 役員のみ: the officer's family shares the household receipt but was not asked
    if d is None:
        ctx.reply(msg.text(texts.EV_NOT_FOR_YOU))
    return d


def may_proxy(ctx: Ctx, d: Delivery) -> bool:
    """Officers answer for a household (person_key 0); block leaders only in their own 班."""
    m = ctx.member
    return m is not None and m.is_officer and d.person_key == 0 and m.led_block_id in (None, d.household.block_id)


def answerable(ctx: Ctx, delivery_id, proxy: bool) -> tuple[Event, Delivery] | tuple[None, None]:
    """The open event and receipt a later answer step refers to, if this user may still answer it."""
    d = ctx.session.get(Delivery, num(delivery_id))
    if d is None or d.event_id is None or d.association_id != ctx.association.id:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None, None
    ev = open_event(ctx, d.event_id)
    if ev is None:
        return None, None
    if proxy and not may_proxy(ctx, d):
        ctx.reply(msg.text(texts.OFFICERS_ONLY))
        return None, None
    if not proxy and (not ctx.is_member or delivery_of(ctx.session, ev, ctx.member) is not d):
        ctx.reply(msg.text(texts.EV_NOT_FOR_YOU))
        return None, None
    return ev, d


def answer_data(d: Delivery, proxy: bool) -> dict:
    return {"delivery_id": d.id, "proxy": proxy}


def record(ctx: Ctx, ev: Event, d: Delivery, answer: str, proxy: bool, heads: int = 0) -> Next:
    """heads: a head count already given (typed with the answer: 「参加 2名」): not asked again."""
    if answer not in ANSWERS:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    d.record_answer(answer, ctx.member, proxy=proxy, at=ctx.now)
    if proxy:
        ctx.audit("event.proxy", f"event:{ev.id}", household=d.household_id, answer=answer)
    if answer == "yes" and ev.ask_count and 0 < heads <= MAX_HEADS:
        amend(d, count=heads)
    elif answer == "yes" and ev.ask_count:
        return ask_heads(ctx, d, proxy)
    return to_comment(ctx, ev, d, proxy)


def in_answer(ctx: Ctx) -> bool:
    """Whether the user's dialog (if any) is an answer's: drafting dialogs are not cut off by a tap."""
    return ctx.dialog is None or DIALOG.is_open(ctx)


def ask_heads(ctx: Ctx, d: Delivery, proxy: bool) -> Next:
    p = {"p": 1} if proxy else {}
    chips = [msg.postback(texts.EV_HEADS_CHIP.format(n=n), pb("ev_cnt", d=d.id, n=n, **p)) for n in range(1, 6)]
    question = texts.EV_ASK_HEADS_PROXY.format(household=d.household.name) if proxy else texts.EV_ASK_HEADS
    ctx.reply(msg.text(question, chips + [msg.postback(texts.EV_MORE_PEOPLE, pb("ev_cnt", d=d.id, n=0, **p))]))
    # a number typed instead of tapped is taken too (not in the middle of drafting)
    return Go("heads", **answer_data(d, proxy)) if in_answer(ctx) else None


def to_comment(ctx: Ctx, ev: Event, d: Delivery, proxy: bool) -> Next:
    if not in_answer(ctx):  # in the middle of drafting: no comment question, just the confirmation
        confirm(ctx, ev, d, proxy)
        return END
    return Go("comment", **answer_data(d, proxy))


def ask_comment(ctx: Ctx) -> None:
    """Entering `comment`: the question, with [コメントなし]."""
    data = ctx.dialog.data
    d = ctx.session.get(Delivery, data["delivery_id"])
    p = {"p": 1} if data.get("proxy") else {}
    ev = ctx.session.get(Event, d.event_id)
    answer = answer_text(ev, d)  # 「参加（2人）」: the head count is repeated back
    question = texts.EV_ASK_COMMENT_PROXY.format(household=d.household.name, answer=answer) if p else \
        texts.EV_ASK_COMMENT.format(answer=answer, example=texts.EV_COMMENT_EXAMPLES.get(d.answer, ""))
    ctx.reply(msg.text(question,
                       [msg.postback(texts.EV_NO_COMMENT, pb("ev_note", d=d.id, **p))]))


def answer_text(ev: Event, d: Delivery) -> str:
    """「参加（2人）」"""
    n = (d.answer_data or {}).get("count")
    heads = texts.EV_HEADS.format(n=n) if ev.ask_count and d.answer == "yes" and n else ""
    return texts.ANSWER_LABELS.get(d.answer, "") + heads


def comment_text(d: Delivery) -> str:
    return (d.answer_data or {}).get("comment") or texts.EV_NONE


def summary(ctx: Ctx, ev: Event, d: Delivery) -> str:
    return texts.EV_SUMMARY.format(name=ev.name, when=when_text(ctx, ev.starts_at), answer=answer_text(ev, d),
                                   comment=comment_text(d))


def who_answered(ctx: Ctx, d: Delivery) -> str:
    if d.answered_by_proxy:
        return texts.EV_BY_PROXY
    if d.answered_by_id == ctx.member.id:
        return texts.EV_SELF
    return texts.PERSON_NAME.format(name=d.answered_by.name) if d.answered_by and d.answered_by.name else texts.EV_FAMILY


def confirm(ctx: Ctx, ev: Event, d: Delivery, proxy: bool) -> None:
    """The answer as recorded (the dialog, if it is the answer's, ends: the caller goes to END)."""
    if proxy:
        text = texts.EV_PROXY_RECORDED.format(household=d.household.name, summary=summary(ctx, ev, d))
        more = msg.postback(texts.EV_PROXY_MORE, pb("ev_proxy", e=ev.id, b=d.household.block_id))
        return ctx.reply(msg.text(text, [more]))
    text = texts.EV_RECORDED.format(summary=summary(ctx, ev, d), deadline=when_text(ctx, ev.deadline))
    if not ev.per_person:  # the household's answer: say who gave it
        who = texts.PERSON_NAME.format(name=ctx.member.name) if ctx.member.name else texts.EV_SELF
        text += "\n" + texts.EV_ANSWERED_BY.format(who=who)
    ctx.reply(msg.text(text))


# --- the answer's dialog: taps and typed follow-ups ------------------------------------------
def on_answer(ctx: Ctx) -> Next:
    """[参加] [不参加] [未定] on the event card or its reminder."""
    ev = open_event(ctx, ctx.data.get("e"))
    d = my_delivery(ctx, ev) if ev else None
    if d is None or family.conflict(ctx, ev, d, ctx.data.get("v", "")):  # another member answered: asked first
        return None
    return record(ctx, ev, d, ctx.data.get("v", ""), proxy=False, heads=num(ctx.data.get("n")))


def on_proxy_answer(ctx: Ctx) -> Next:
    """代理回答: an officer's answer for a household."""
    ev, d = answerable(ctx, ctx.data.get("d"), proxy=True)
    return record(ctx, ev, d, ctx.data.get("v", ""), proxy=True) if d is not None else None


def on_heads(ctx: Ctx) -> Next:
    proxy = ctx.data.get("p") == "1"
    ev, d = answerable(ctx, ctx.data.get("d"), proxy)
    if d is None:
        return None
    n = num(ctx.data.get("n"))
    if not n:  # 6人以上: the number comes as text (in a dialog, even if another one was waiting)
        ctx.reply(msg.text(texts.EV_ASK_HEADS_TEXT))
        return Go("heads", **answer_data(d, proxy))
    amend(d, count=min(n, MAX_HEADS))
    return to_comment(ctx, ev, d, proxy)


def on_no_comment(ctx: Ctx) -> Next:
    proxy = ctx.data.get("p") == "1"
    ev, d = answerable(ctx, ctx.data.get("d"), proxy)
    if d is None:
        return None
    confirm(ctx, ev, d, proxy)
    return END


def dialog_answer(ctx: Ctx) -> tuple[Event, Delivery, bool] | None:
    """The answer a typed head count or comment belongs to (None: the dialog is over)."""
    data = ctx.dialog.data
    if ctx.now - ctx.dialog.updated_at > COMMENT_WINDOW:  # long forgotten: not a comment
        ctx.end_dialog()
        router.help(ctx)
        return None
    ev, d = answerable(ctx, data.get("delivery_id"), bool(data.get("proxy")))
    if d is None:
        ctx.end_dialog()
        return None
    return ev, d, bool(data.get("proxy"))


def on_heads_text(ctx: Ctx) -> Next:
    got = dialog_answer(ctx)
    if got is None:
        return None  # ended already
    ev, d, proxy = got
    if retyped(ctx, ev, d, proxy):
        return None
    n = num(unicodedata.normalize("NFKC", ctx.text).strip().rstrip(texts.EV_HEADS_SUFFIXES))
    if not 0 < n <= MAX_HEADS:
        ctx.reply(msg.text(texts.EV_BAD_HEADS))
        return None
    amend(d, count=n)
    return to_comment(ctx, ev, d, proxy)


def retyped(ctx: Ctx, ev: Event, d: Delivery, proxy: bool) -> bool:
    """「やっぱり不参加です」 at the head count or comment question: a new answer (as its button), not
    a count or a comment. The same answer again is left to the step (a comment 「参加します」)."""
    changed = None if proxy else typed.parse(ctx.text, [ev])
    if changed is None or changed[0] == d.answer:
        return False
    return router.tap(ctx, pb("ev_ans", e=ev.id, v=changed[0], **({"n": changed[1]} if changed[1] else {})))


def on_comment_text(ctx: Ctx) -> Next:
    got = dialog_answer(ctx)
    if got is None:
        return None  # ended already
    ev, d, proxy = got
    if not ctx.text:
        return Go("comment", **answer_data(d, proxy))  # the question again
    if retyped(ctx, ev, d, proxy):
        return None
    if normalize(ctx.text) != texts.EV_NO_COMMENT:
        amend(d, comment=ctx.text[:MAX_COMMENT])
    confirm(ctx, ev, d, proxy)
    return END


# Every tap is valid whether or not the dialog is open (`opens`): the card stays in the chat, the
# receipt in its data is re-checked (`answerable`). While a drafting dialog is open, the taps
# answer without opening this one (`in_answer`). The comment window is checked in the steps.
DIALOG = Dialog("ev_answer", entries=("heads", "comment"), steps=[
    Step("heads", take=on_heads_text, to=("comment", END), buttons_only=True),
    Step("comment", take=on_comment_text, ask=ask_comment, to=("comment", END), buttons_only=True),
], buttons=[
    Button("ev_ans", take=on_answer, to=("heads", "comment", END), opens=True),
    Button("ev_pans", take=on_proxy_answer, to=("heads", "comment", END), opens=True, roles=OFFICER_ROLES),
    Button("ev_cnt", take=on_heads, to=("heads", "comment", END), opens=True),
    Button("ev_note", take=on_no_comment, to=(END,), opens=True),
])


@router.postback("ev_info")
def on_details(ctx: Ctx) -> None:
    """[詳細を見る]: the whole event and this household's (or person's) answer; counts as read."""
    ev = ctx.session.get(Event, num(ctx.data.get("e")))
    if ev is not None and ev.association_id == ctx.association.id and ev.state == EventState.draft \
            and ctx.member is not None and ev.author_id == ctx.member.id:
        return ctx.reply(msg.text(texts.PREVIEW_TAPPED))
    if ev is None or ev.association_id != ctx.association.id or ev.state != EventState.sent:
        return ctx.reply(msg.text(texts.EV_GONE))
    d = my_delivery(ctx, ev)
    if d is None:
        return
    d.mark_read(ctx.member, "button", ctx.now)
    lines = [texts.EV_DETAIL.format(name=ev.name, when=when_text(ctx, ev.starts_at), place=ev.place,
                                    deadline=when_text(ctx, ev.deadline))
             + (texts.EV_CLOSED_MARK if not ev.is_open(ctx.now) else "")]
    if ev.note:
        lines.append(ev.note[:3000])
    if d.answer:
        lines.append(texts.EV_YOUR_ANSWER.format(answer=answer_text(ev, d), who=who_answered(ctx, d),
                                                 when=when_text(ctx, d.answered_at), comment=comment_text(d)))
    elif ev.is_open(ctx.now):
        lines.append(texts.EV_NO_ANSWER_YET)
    halt = event_halt(ctx.session, ctx.association.id, ev.id)
    if halt is not None:  # 中止 / 延期: said, and no answer buttons
        lines.append(texts.EV_HALTED[halt.action].format(name=ev.name, note=halt.note).strip())
    ctx.reply(msg.text("\n\n".join(lines), answer_actions(ev) if ev.is_open(ctx.now) and halt is None else None))


# --- 代理回答 ---------------------------------------------------------------------------------
@router.postback("ev_proxy", roles=OFFICER_ROLES)
def on_proxy(ctx: Ctx) -> None:
    """Pick the 班 (board members), then the household: paper households first, 11 a page."""
    ev = open_event(ctx, ctx.data.get("e"))
    if ev is None:
        return
    block_id = ctx.member.led_block_id or num(ctx.data.get("b"))
    if not block_id:
        chips = paged(ctx.association.blocks, num(ctx.data.get("bo")), 1,
                      lambda b: msg.postback(b.name, pb("ev_proxy", e=ev.id, b=b.id)),
                      lambda o: pb("ev_proxy", e=ev.id, bo=o))
        return ctx.reply(msg.text(texts.EV_PROXY_PICK_BLOCK, chips + [msg.say(texts.CANCEL)]))
    rows = [r for r in results(ctx.session, ev, block_id).rows if r.delivery.person_key == 0]
    if not rows:
        return ctx.reply(msg.text(texts.EV_PROXY_NONE))
    rows.sort(key=lambda r: r.delivery.via_line)
    offset = num(ctx.data.get("o"))
    actions = [msg.postback(r.name + (texts.EV_PROXY_ANSWERED if r.delivery.answer else ""),
                            pb("ev_pick", d=r.delivery.id), texts.HOUSEHOLD_NAME.format(name=r.name)) for r in rows[offset:offset + PICK_PAGE]]
    if offset + PICK_PAGE < len(rows):
        actions.append(msg.postback(texts.NEXT, pb("ev_proxy", e=ev.id, b=block_id, o=offset + PICK_PAGE)))
    ctx.reply(msg.text(texts.EV_PROXY_PICK.format(block=rows[0].block), actions + [msg.say(texts.CANCEL)]))


@router.postback("ev_pick", roles=OFFICER_ROLES)
def on_proxy_pick(ctx: Ctx) -> None:
    ev, d = answerable(ctx, ctx.data.get("d"), proxy=True)
    if d is not None:
        ctx.reply(msg.text(texts.EV_PROXY_ASK.format(household=d.household.name),
                           [msg.postback(texts.ANSWER_LABELS[v], pb("ev_pans", d=d.id, v=v)) for v in ANSWERS]))

"""訂正 / 中止 / 延期 of a sent circular or event: a short notice to everyone who got it.

One service (`reach`, `cost`, `apply`) for the chat and the dashboard (bot/web/archive.py,
bot/web/admin_events.py). Only the author or the board may correct (`may_correct`). A correction
changes the text (the archive shows the corrected one; the original stays in models.corrections'
history); 中止 / 延期 of an event stop its answers (handlers/events/answers.py asks `event_halt`).
Everyone who got it: the LINE users of the households (or persons) with a LINE receipt, as they
are now (withdrawn members get nothing), through the outbox; the paper households are listed for
their 班's block leaders (or the officer who corrects, where a 班 has none).

In the chat: [訂正：…] on 「状況」 (circulars) and on 「集計」 (events: then 訂正・延期・中止), the
words of the notice, then the cost and [送る]:

```mermaid
stateDiagram-v2
    [*] --> note
    note --> confirm
    note --> note
    confirm --> confirm
    [*] --> note: fix
    confirm --> [*]: fix_send
    confirm --> [*]: fix_stop
```
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from models import OFFICER_ROLES, Circular, CircularState, Delivery, Event, EventState, Household, Member, MemberStatus, Role, Target
from models import audit, quota as line_quota
from models.corrections import MAX_NOTE, Correction, event_halt
from models.messaging import enqueue
from models.reminders import planned
from models.roster import officers_for_block
from models.tenancy import channel_id_for, quota_key

KIND_OF = {"c": "circular", "e": "event"}
KEY_OF = {v: k for k, v in KIND_OF.items()}
MODEL = {"circular": Circular, "event": Event}
CHIPS_MAX = 6  # [訂正：…] quick replies on one 状況 / 集計 reply (LINE allows 13 in all)


# --- the service ---------------------------------------------------------------------------
def find(session: Session, association_id: int, kind: str, subject_id: int) -> Any:
    """The sent circular or event of this association, or None (forged, draft, another's)."""
    model = MODEL.get(kind)
    item = session.get(model, subject_id) if model is not None and subject_id else None
    sent = CircularState.sent if kind == "circular" else EventState.sent
    if item is None or item.association_id != association_id or item.state != sent:
        return None
    return item


def title_of(item: Any) -> str:
    return item.title if isinstance(item, Circular) else item.name


def may_correct(member: Optional[Member], item: Any) -> bool:
    """The author (a block leader their own send) or the board."""
    return member is not None and member.is_officer and (member.is_board or item.author_id == member.id)


@dataclass
class Reach:
    user_ids: list[str]
    paper: list[Household]  # households that got it on paper
    leaders: dict[int, list[str]]  # 班 id → the LINE ids told about its paper households

    @property
    def pushes(self) -> int:
        return len(self.user_ids) + sum(len(v) for v in self.leaders.values())


def reach(session: Session, kind: str, item: Any, actor: Optional[Member] = None) -> Reach:
    rows = list(session.scalars(select(Delivery).where(Delivery.of(kind, item.id))
                                .options(joinedload(Delivery.household).joinedload(Household.block))))
    households = {d.household_id for d in rows if d.via_line and d.person_key == 0}
    persons = {d.person_key for d in rows if d.via_line and d.person_key}
    paper = sorted((d.household for d in rows if not d.via_line), key=lambda h: (h.block.position, h.id))
    q = select(Member.line_user_id).where(
        Member.association_id == item.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None),
        or_(Member.household_id.in_(households or [-1]), Member.id.in_(persons or [-1])))
    if item.target == Target.officers:
        q = q.where(Member.role.in_(OFFICER_ROLES))
    user_ids = list(dict.fromkeys(session.scalars(q.order_by(Member.id))))
    leaders: dict[int, list[str]] = {}
    for h in paper:
        if h.block_id not in leaders:
            ids = [m.line_user_id for m in officers_for_block(session, item.association_id, h.block_id)
                   if m.role == Role.block_leader and m.line_user_id]
            leaders[h.block_id] = ids or ([actor.line_user_id] if actor is not None and actor.line_user_id else [])
    return Reach(user_ids, paper, leaders)


def paper_households(session: Session, kind: str, item: Any, block_id: Optional[int] = None) -> list[Household]:
    """The households that got it on paper (a block leader's: their 班's): told of a correction
    by hand, listed on the dashboard's page of the item."""
    return [h for h in reach(session, kind, item).paper if block_id is None or h.block_id == block_id]


def remaining(session: Session, association_id: int, now: dt.datetime, tz: str) -> Optional[int]:
    """This month's messages left as every process sees them (None: unknown or no cap)."""
    fig = line_quota.figure(session, None, now, association_id=association_id, tz=tz,
                            channel=quota_key(channel_id_for(session, association_id)))
    return None if fig is None else fig.remaining


def cost_text(session: Session, kind: str, item: Any, action: str, now: dt.datetime, tz: str,
              actor: Optional[Member] = None) -> str:
    r = reach(session, kind, item, actor)
    left = remaining(session, item.association_id, now, tz)
    return texts.FIX_COST.format(mark=texts.FIX_MARKS[action], pushes=len(r.user_ids), paper=len(r.paper),
                                 leaders=sum(len(v) for v in r.leaders.values()),
                                 remaining=texts.FIX_COST_UNKNOWN if left is None else texts.FIX_COST_LEFT.format(n=left))


def notice(kind: str, item: Any, action: str, note: str) -> dict:
    text = texts.FIX_NOTICE.format(mark=texts.FIX_MARKS[action], kind=texts.FIX_KIND_WORDS[kind],
                                   title=title_of(item), note=note)
    if kind == "circular":
        return msg.text(text + texts.FIX_NOTICE_BODY, [msg.postback(texts.FIX_FULL, pb("full", c=item.id))])
    return msg.text(text)


class AlreadyDone(Exception):
    """The same correction or halt was made a moment ago (a second click): nothing was changed."""


def apply(session: Session, actor: Member, kind: str, item: Any, action: str, note: str, now: dt.datetime,
          tz: str, title: Optional[str] = None, body: Optional[str] = None) -> Correction:
    """Change the text (訂正) or stop the answers (中止・延期), queue the notices, write the history
    row and the audit entry. The caller has checked `may_correct` and the action."""
    note = note.strip()[:MAX_NOTE]
    is_circular = kind == "circular"
    # the second of two simultaneous sends (a double click) waits here for the first (a row lock on
    # PostgreSQL), then finds it done: nothing is sent twice
    session.refresh(item, with_for_update=True)
    if action in ("cancel", "postpone") and event_halt(session, item.association_id, item.id) is not None:
        raise AlreadyDone(kind, item.id)
    old_title, old_body = title_of(item), (item.body if is_circular else item.note)
    if action == "correct" and body is not None and (
            ((title or "").strip()[:100] or old_title), body.strip()) == (old_title, (old_body or "").strip()):
        raise AlreadyDone(kind, item.id)
    new_title, new_body = old_title, old_body
    if action == "correct":
        new_title = (title or "").strip()[:100] or old_title
        new_body = body.strip() if body is not None and body.strip() else texts.FIX_CORRECTED_BODY.format(
            body=old_body, date=dates.month_day(now, tz), note=note)
        if is_circular:
            item.title, item.body = new_title, new_body
        else:
            item.name, item.note = new_title, new_body
        if hasattr(item, "version"):
            item.version += 1
    if action in ("cancel", "postpone"):  # no reminder to answer what no longer takes answers
        for rem in planned(session, kind, item.id):
            if rem.status == "planned":
                rem.status = "cancelled"
    r = reach(session, kind, item, actor)
    purpose = f"correction:{kind}:{item.id}"
    enqueue(session, item.association_id, r.user_ids, [notice(kind, item, action, note)], purpose, now=now)
    by_block: dict[int, list[Household]] = {}
    for h in r.paper:
        by_block.setdefault(h.block_id, []).append(h)
    for block_id, households in by_block.items():
        names = "\n".join(texts.PAPER_LIST_LINE.format(household=h.name) for h in households)
        words = texts.FIX_PAPER_LIST.format(mark=texts.FIX_MARKS[action], title=new_title,
                                            block=households[0].block.name, note=note, names=names)
        enqueue(session, item.association_id, r.leaders.get(block_id, []), [msg.text(words)],
                f"{purpose}:paper:{block_id}", now=now)
    row = Correction(association_id=item.association_id, kind=kind, subject_id=item.id, action=action,
                     before_title=old_title, before_body=old_body, after_title=new_title, after_body=new_body,
                     note=note, author_id=actor.id, pushes=r.pushes, paper_households=len(r.paper), at=now)
    session.add(row)
    session.flush()
    before, after = ({"title": old_title}, {"title": new_title}) if new_title != old_title else ({}, {})
    audit.record(session, item.association_id, actor.id, f"{kind}.{action}", f"{kind}:{item.id}", at=now,
                 before=before, after=after, correction=row.id, pushes=r.pushes, paper_households=len(r.paper))
    return row


def refusal(session: Session, member: Optional[Member], kind: str, item: Any, action: str) -> Optional[str]:
    """Why this member may not do this now (None: they may)."""
    if not may_correct(member, item):
        return texts.FIX_NOT_YOURS
    if kind == "event":
        halt = event_halt(session, item.association_id, item.id)
        if halt is not None:
            return texts.FIX_ALREADY_HALTED.format(title=item.name, action=texts.FIX_ACTION_WORDS[halt.action])
    elif action != "correct":
        return texts.STALE_BUTTON
    return None


# --- the chat ------------------------------------------------------------------------------
def chips(ctx: Ctx, kind: str, items: list) -> list:
    """[訂正：…] for what this officer may correct (状況: circulars; 集計: events)."""
    out = []
    for item in items:
        if may_correct(ctx.member, item) and len(out) < CHIPS_MAX:
            data = pb("fix", k=KEY_OF[kind], i=item.id, **({"x": "correct"} if kind == "circular" else {}))
            out.append(msg.postback(msg.label(texts.FIX_CHIP.format(title=title_of(item))), data,
                                    texts.FIX_CHIP.format(title=title_of(item))[:300]))
    return out


def _item(ctx: Ctx, key: Any, subject_id: Any) -> tuple[Optional[str], Any]:
    kind = KIND_OF.get(str(key or ""))
    sid = int(subject_id) if str(subject_id or "").isdigit() and len(str(subject_id)) < 12 else 0
    item = find(ctx.session, ctx.association.id, kind, sid) if kind else None
    if item is None:
        ctx.reply(msg.text(texts.EV_GONE if kind == "event" else texts.CIRCULAR_GONE))
        return None, None
    return kind, item


def on_fix(ctx: Ctx) -> Next:
    kind, item = _item(ctx, ctx.data.get("k"), ctx.data.get("i"))
    if item is None:
        return None
    action = ctx.data.get("x", "")
    if kind == "event" and not action:  # which: 訂正・延期・中止
        problem = refusal(ctx.session, ctx.member, kind, item, "correct")
        if problem:
            ctx.reply(msg.text(problem))
            return None
        ctx.reply(msg.card(texts.FIX_WHAT.format(title=item.name), texts.FIX_KIND_WORDS[kind],
                           [msg.postback(texts.FIX_ACTION_WORDS[a], pb("fix", k="e", i=item.id, x=a))
                            for a in ("correct", "postpone", "cancel")], alt=texts.FIX_WHAT.format(title=item.name)))
        return None
    if action not in ("correct", "cancel", "postpone"):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    problem = refusal(ctx.session, ctx.member, kind, item, action)
    if problem:
        ctx.reply(msg.text(problem))
        return None
    return Go("note", k=KEY_OF[kind], i=item.id, x=action)


def ask_note(ctx: Ctx) -> None:
    action = ctx.dialog.data.get("x", "correct")
    ctx.reply(msg.text(texts.FIX_ASK_NOTE.format(action=texts.FIX_ACTION_WORDS.get(action, ""), max=MAX_NOTE),
                       [msg.say(texts.CANCEL)]))


def take_note(ctx: Ctx) -> Next:
    data = dict(ctx.dialog.data)
    note = ctx.text.strip() if ctx.event.message.type == "text" else ""
    if not note or len(note) > MAX_NOTE:
        ctx.reply(msg.text(texts.FIX_NOTE_TOO_LONG.format(max=MAX_NOTE) if note else texts.FIX_NOTE_EMPTY))
        return None
    kind, item = _item(ctx, data.get("k"), data.get("i"))
    if item is None:
        return END
    action = data.get("x", "correct")
    ctx.reply(confirm_card(ctx, kind, item, action))
    return Go("confirm", note=note)


def confirm_card(ctx: Ctx, kind: str, item: Any, action: str) -> dict:
    words = texts.FIX_ACTION_WORDS[action]
    return msg.card(texts.FIX_CONFIRM_TITLE.format(action=words),
                    cost_text(ctx.session, kind, item, action, ctx.now, ctx.settings.timezone, ctx.member),
                    [msg.postback(texts.FIX_SEND, pb("fix_send")), msg.postback(texts.CANCEL, pb("fix_stop"))])


def take_confirm(ctx: Ctx) -> Next:
    """Typed words while the confirm waits: the card again."""
    data = ctx.dialog.data
    kind, item = _item(ctx, data.get("k"), data.get("i"))
    if item is None:
        return END
    ctx.reply(confirm_card(ctx, kind, item, data.get("x", "correct")))
    return None


def on_send(ctx: Ctx) -> Next:
    data = dict(ctx.dialog.data)
    kind, item = _item(ctx, data.get("k"), data.get("i"))
    if item is None:
        return END
    action = data.get("x", "correct")
    problem = refusal(ctx.session, ctx.member, kind, item, action)  # the role may have changed since
    if problem:
        ctx.reply(msg.text(problem))
        return END
    try:
        row = apply(ctx.session, ctx.member, kind, item, action, data.get("note", ""), ctx.now, ctx.settings.timezone)
    except AlreadyDone:
        ctx.reply(msg.text(texts.FIX_ALREADY_DONE))
        return END
    ctx.reply(msg.text(texts.FIX_DONE.format(action=texts.FIX_ACTION_WORDS[action], pushes=row.pushes,
                                             paper=row.paper_households)))
    return END


def on_stop(ctx: Ctx) -> Next:
    ctx.reply(msg.text(texts.FIX_CANCELLED))
    return END


DIALOG = Dialog("fix", steps=[
    Step("note", take=take_note, ask=ask_note, to=("confirm", "note")),
    Step("confirm", take=take_confirm, to=("confirm",), buttons_only=True),
], buttons=[
    Button("fix", take=on_fix, to=("note",), opens=True, roles=OFFICER_ROLES),
    Button("fix_send", take=on_send, to=(END,), at=("confirm",), roles=OFFICER_ROLES),
    Button("fix_stop", take=on_stop, to=(END,), at=("confirm",), roles=OFFICER_ROLES),
])

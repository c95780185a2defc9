"""Approval by block leaders and officers of someone whose name the roster does not settle:
[承認] → which household (or a new one) → linked; [却下] → nothing of the applicant is kept. Two
officers tapping at the same moment: exactly one acts (one conditional UPDATE). [却下] asks once
more, and a reason may be typed (the other officers who got the request learn every decision,
with the reason); 「承認待ち」 lists the requests an officer may decide.

```mermaid
stateDiagram-v2
    [*] --> reason
    reason --> [*]
    reason --> [*]: reject_do
    reason --> [*]: reject_keep
```
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.framework.ctx import Ctx
from handlers.framework.joined import open_items
from handlers.framework.ports import ChatSettings
from handlers.framework.dialog import END, Button, Dialog, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import paged
from models import OFFICER_ROLES, Household, Member, MemberStatus, utcnow
from models.audit import record
from models.erasure import forget_notices_about
from models.messaging import enqueue
from models.richmenus import enqueue_relink
from models.roster import link_member, new_join_code, officers_for_block


def pending_target(ctx: Ctx) -> Member | None:
    """The applicant of an approval button, if it may still be acted on by this officer."""
    target = ctx.session.get(Member, ctx.num("m"))
    if target is None or target.association_id != ctx.association.id or target.status != MemberStatus.pending:
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return None
    led = ctx.member.led_block_id
    if led is not None and led != target.block_id:
        ctx.reply(msg.text(texts.OFFICERS_ONLY))
        return None
    return target


@router.postback("approve", roles=OFFICER_ROLES)
def on_approve(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    households = list(target.block.households) if target.block else []
    actions = paged(households, ctx.num("o"), 1,
                    lambda h: msg.postback(h.name, pb("approve_to", m=target.id, h=h.id),
                                           texts.HOUSEHOLD_OF.format(household=h.name)),
                    lambda o: pb("approve", m=target.id, o=o))
    actions.append(msg.postback(texts.NEW_HOUSEHOLD, pb("approve_to", m=target.id, h=0)))
    ctx.reply(msg.text(texts.APPROVE_PICK_HOUSEHOLD.format(name=target.name), actions))


@router.postback("approve_to", roles=OFFICER_ROLES)
def on_approve_to(ctx: Ctx) -> None:
    target = pending_target(ctx)
    if target is None:
        return
    hid = ctx.num("h")
    household = ctx.session.get(Household, hid) if hid else None
    if hid and (household is None or household.block_id != target.block_id):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    household = approve(ctx.session, target, household, ctx.member, ctx.now, ctx.settings)
    if household is None:
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return
    ctx.reply(msg.text(texts.APPROVED_DONE.format(name=target.name, household=household.name)))


@router.postback("reject", roles=OFFICER_ROLES)
def on_reject(ctx: Ctx) -> None:
    """[却下]: asked once more, with an optional reason (typed) or [理由なしで却下] [やめる]."""
    target = pending_target(ctx)
    if target is None:
        return
    if ctx.dialog is not None and not REJECT_DIALOG.is_open(ctx):
        reject_question(ctx, target)  # a draft is open: it stays; the buttons act alone (no reason then)
        return
    REJECT_DIALOG.start(ctx, "reason", m=target.id)


def reject_question(ctx: Ctx, target: Member) -> None:
    ctx.reply(msg.text(texts.REJECT_ASK.format(name=target.name or ""),
                       [msg.postback(texts.REJECT_NO_REASON, pb("reject_do", m=target.id)),
                        msg.postback(texts.REJECT_KEEP, pb("reject_keep"))]))


def ask_reason(ctx: Ctx) -> None:
    target = ctx.session.get(Member, int(ctx.dialog.data.get("m") or 0))
    if target is not None:
        reject_question(ctx, target)


def decide_reject(ctx: Ctx, reason: str | None) -> Next:
    if not ctx.data.get("m") and ctx.dialog is not None:  # a typed reason: the applicant the dialog keeps
        ctx.data = {**ctx.data, "m": str(ctx.dialog.data.get("m") or "")}
    target = pending_target(ctx)
    if target is None:
        return END
    name = target.name
    if not reject(ctx.session, target, ctx.member, ctx.now, reason=reason):
        ctx.reply(msg.text(texts.ALREADY_HANDLED))
        return END
    ctx.reply(msg.text(texts.REJECTED_DONE.format(name=name)))
    return END


def on_reason_text(ctx: Ctx) -> Next:
    if not ctx.text:
        ask_reason(ctx)
        return None
    if router.match_command(ctx.text):  # 「承認待ち」, 「回覧」…: not a reason; nothing is rejected
        ctx.end_dialog()
        router.dispatch(ctx)
        return END
    if len(ctx.text) > MAX_REASON:
        ctx.reply(msg.text(texts.REJECT_REASON_TOO_LONG))
        return None
    return decide_reject(ctx, ctx.text)


def on_reject_do(ctx: Ctx) -> Next:
    return decide_reject(ctx, None)


def on_reject_keep(ctx: Ctx) -> Next:
    ctx.reply(msg.text(texts.REJECT_KEPT))
    return END


MAX_REASON = 100
# a reason comes at once or not at all: a text typed long after (a command, a circular's body) is
# never taken as a reason (the dialog ends, the text goes where it would have gone)
REJECT_DIALOG = Dialog("reject", timeout=dt.timedelta(minutes=10), steps=[
    Step("reason", take=on_reason_text, ask=ask_reason, to=(END,)),
], buttons=[
    # free: they carry the applicant (checked again) and act even when the card came alone
    Button("reject_do", take=on_reject_do, to=(END,), at=("reason",), free=True, roles=OFFICER_ROLES),
    Button("reject_keep", take=on_reject_keep, to=(END,), at=("reason",), free=True, roles=OFFICER_ROLES),
])


@router.command(texts.CMD_PENDING, roles=OFFICER_ROLES)
def on_pending_list(ctx: Ctx) -> None:
    """「承認待ち」: the pending requests this officer may decide (a 班長: their 班), oldest first,
    each with its [承認] [却下]."""
    q = select(Member).where(Member.association_id == ctx.association.id, Member.status == MemberStatus.pending)
    led = ctx.member.led_block_id
    if led is not None:
        q = q.where(Member.block_id == led)
    rows = list(ctx.session.scalars(q.order_by(Member.created_at, Member.id)))
    if not rows:
        ctx.reply(msg.text(texts.PENDING_NONE))
        return
    shown = rows[:PENDING_SHOWN]
    head = texts.PENDING_LIST.format(n=len(rows))
    if len(rows) > len(shown):
        head += "\n" + texts.PENDING_MORE.format(n=len(rows) - len(shown))
    cards = [msg.card(texts.APPROVAL_REQUEST_TITLE,
                      texts.PENDING_ITEM.format(block=m.block.name if m.block else "", name=m.name or "",
                                                when=dates.short(m.created_at, ctx.settings.timezone)),
                      [msg.postback(texts.APPROVE, pb("approve", m=m.id)), msg.postback(texts.REJECT, pb("reject", m=m.id))])
             for m in shown]
    ctx.reply(msg.text(head), *cards)


PENDING_SHOWN = 4  # a reply holds five messages: the count, then four requests


# --- the decision itself: the chat buttons above and the web page (bot/web/people.py) ----------


def claim_pending(session: Session, target: Member) -> bool:
    """Take the applicant out of 'pending' with one conditional UPDATE: of two officers deciding
    at the same moment (in chat or on the web), exactly one gets the row (the other's UPDATE
    matches nothing)."""
    res = session.execute(update(Member).where(Member.id == target.id, Member.status == MemberStatus.pending)
                          .values(status=MemberStatus.active).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        return False
    session.refresh(target)
    return True


def approve(session: Session, target: Member, household: Household | None, actor: Member | None,
            now: dt.datetime | None = None, settings: ChatSettings | None = None) -> Household | None:
    """Link the applicant to `household` of their 班 (None: a new household in their name), tell
    them (through the outbox) and audit it. None: someone decided already (nothing changed)."""
    now = now or utcnow()
    if not claim_pending(session, target):
        return None
    new = household is None
    if household is None:
        household = Household(association_id=target.association_id, block_id=target.block_id, name=target.name,
                              join_code=new_join_code(session), origin="approval")
        session.add(household)
    link_member(target, household)
    session.flush()
    record(session, target.association_id, actor.id if actor else None, "member.approve", f"member:{target.id}",
           at=now, household=household.id, new_household=new)
    enqueue(session, target.association_id, [target.line_user_id], [msg.text(texts.APPROVED_NOTICE)],
            purpose=f"approved:{target.id}", now=now)
    enqueue_relink(session, target.association_id, [target.id], now=now)  # a member now: their role's menu
    if settings is not None:
        send_open_items(session, settings, target, now)
    tell_other_officers(session, target, actor, texts.DECIDED_APPROVED, now, household=household.name)
    return household


def send_open_items(session: Session, settings: ChatSettings, member: Member, now: dt.datetime) -> None:
    """Right after someone joins: the circulars and events sent before that are still open for
    their household (handlers/framework/joined.py), through the outbox, after a line saying so."""
    items = open_items(session, settings, member, now)
    if not items:
        return
    batch = [msg.text(texts.LATE_APPROVED_OPEN)] + items
    for i in range(0, len(batch), MESSAGES_PER_PUSH):
        enqueue(session, member.association_id, [member.line_user_id], batch[i:i + MESSAGES_PER_PUSH],
                purpose=f"joined_open:{member.id}:{i // MESSAGES_PER_PUSH}", now=now)


MESSAGES_PER_PUSH = 5  # LINE takes five messages in a push


def tell_other_officers(session: Session, target: Member, actor: Member | None, text: str, now: dt.datetime,
                        reason: str | None = None, **fields: str) -> None:
    """The officers who got the same approval request (the 班's leader, the chair and officers)
    learn who decided what; the one who decided does not (they just did)."""
    others = [o.line_user_id for o in officers_for_block(session, target.association_id, target.block_id)
              if actor is None or o.id != actor.id]
    body = text.format(name=target.name or "", block=target.block.name if target.block else "",
                       actor=(actor.name if actor and actor.name else texts.DECIDED_SOMEONE), **fields)
    if reason:
        body += "\n" + texts.DECIDED_REASON.format(reason=reason)
    enqueue(session, target.association_id, others, [msg.text(body)], purpose=f"decided:{target.id}", now=now)


def reject(session: Session, target: Member, actor: Member | None, now: dt.datetime | None = None,
           reason: str | None = None) -> bool:
    """Refuse the applicant: they are told (through the outbox), nothing of them is kept; the
    other officers learn it, with the reason if one was given (it is not kept either). False:
    someone decided already (nothing changed)."""
    now = now or utcnow()
    if not claim_pending(session, target):
        return False
    # nothing of them is kept: the approval request's copy with their name and LINE display name
    # neither (only that: the name they gave may be a neighbour's, whose messages stay as they are)
    forget_notices_about(session, target, texts.WITHDRAWN_NAME)
    tell_other_officers(session, target, actor, texts.DECIDED_REJECTED, now, reason=reason)
    enqueue(session, target.association_id, [target.line_user_id], [msg.text(texts.REJECTED_NOTICE)],
            purpose=f"rejected:{target.id}", now=now)
    record(session, target.association_id, actor.id if actor else None, "member.reject", f"member:{target.id}",
           at=now)
    session.delete(target)  # nothing of the applicant is kept
    session.flush()
    return True

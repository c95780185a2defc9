"""Disaster mode starts and ends (chair, disaster officers): 災害モード → kind → message → confirm →
the safety check to every household; 災害モード終了 → confirm → the end notice.

The start is a DraftFlow (handlers/framework/draft.py) without a version: its draft is the
dialog's own data, and its buttons count only while the dialog is open at their step.

```mermaid
stateDiagram-v2
    [*] --> kind
    kind --> message
    message --> confirm
    confirm --> [*]: dm_send
    confirm --> [*]: dm_cancel
```
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.draft import DialogDrafts, DraftFlow, Field, Sent
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.safety.common import DISASTER, STARTERS, check_card, counts_text, marked
from handlers.safety.visits import send_visit_lists
from models import OFFICER_ROLES, Disaster, Household, Member, MemberStatus, SafetyAsk
from models.audit import record
from models.delivery import write_receipts
from models.messaging import enqueue
from models.safety import SUBJECT, active_disaster, active_real, board
from models.richmenus import active_member_ids, enqueue_relink

log = logging.getLogger(__name__)
MAX_MESSAGE = 500


# --- start (chair, disaster officers) -------------------------------------------------------
def take_kind(ctx: Ctx, d, v: str):
    if v not in texts.DISASTER_KINDS:  # a forged tap
        return texts.STALE_BUTTON, None
    d.kind = v
    return None


def take_message(ctx: Ctx, d, v: str):
    d.message = "" if v == texts.DISASTER_NO_MESSAGE else v[:MAX_MESSAGE]
    return None


def no_message(ctx: Ctx, d):
    """A photo or a sticker instead of a message: none."""
    d.message = ""
    return None


STEPS = [
    Field("kind", lambda ctx, d: (texts.DISASTER_ASK_KIND, [("set", label, key)
                                                            for key, label in texts.DISASTER_KINDS.items()]),
          take_kind, lambda d: bool(d.kind), required=True, buttons_only=True, typed=False),
    Field("message", lambda ctx, d: (texts.DISASTER_ASK_MESSAGE, [msg.say(texts.DISASTER_NO_MESSAGE)]),
          take_message, media=no_message),
]


def audience_counts(ctx: Ctx) -> tuple[int, int]:
    """The households and the members on LINE a safety check goes to."""
    households = ctx.session.scalars(select(Household).where(Household.association_id == ctx.association.id)).all()
    recipients = ctx.session.scalars(select(Member.line_user_id).where(
        Member.association_id == ctx.association.id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None))).all()
    return len(households), len(recipients)


def summary(ctx: Ctx, d, aud) -> str:
    households, recipients = audience_counts(ctx)
    return texts.DISASTER_CONFIRM.format(households=households, recipients=recipients,
                                         minutes=ctx.settings.safety_reask_minutes, times=ctx.settings.safety_reask_max)


def start_disaster(session, association_id: int, kind: str, message: str, started_by_id, now,
                   drill: bool = False) -> tuple[Disaster, int]:
    """Create the Disaster and fan the safety check out through the outbox (the chat's [開始する],
    the JMA trigger and a drill, 訓練, all call it). The caller checks there is no active disaster
    mode first; a drill still running ends here when a real one starts (a real disaster never
    waits for a drill)."""
    running = active_disaster(session, association_id)
    if running is not None and running.drill and not drill:
        finish(session, running, started_by_id, now, for_disaster=True)
        record(session, association_id, started_by_id, "drill.end", f"disaster:{running.id}", at=now, for_disaster=True)
        session.flush()
    disaster = Disaster(association_id=association_id, kind=kind, message=message or "",
                        started_by_id=started_by_id, started_at=now, drill=drill)
    session.add(disaster)
    session.flush()
    households = session.scalars(select(Household.id).where(Household.association_id == association_id)).all()
    members = session.execute(select(Member.household_id, Member.line_user_id).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.household_id.is_not(None), Member.line_user_id.is_not(None)).order_by(Member.id)).all()
    on_line = {hid for hid, _ in members}
    write_receipts(session, association_id, SUBJECT, disaster.id,
                   ((hid, 0, hid in on_line) for hid in households), now)
    users = [uid for _, uid in members]
    enqueue(session, association_id, users, [check_card(disaster)], f"safety:{disaster.id}:0",
            priority=DISASTER, now=now)
    session.add(SafetyAsk(association_id=association_id, disaster_id=disaster.id, round=0, sent_at=now,
                          households=len(households), recipients=len(users)))
    # households nobody can answer for on LINE, and those who need help, are visited at once
    send_visit_lists(session, disaster, [r for r in board(session, disaster).rows
                                         if not r.via_line or r.household.needs_support], False, now)
    enqueue_relink(session, association_id, active_member_ids(session, association_id), now=now)  # disaster menus
    return disaster, len(users)


def send(ctx: Ctx, d, aud) -> Sent | None:
    if active_real(ctx.session, ctx.association.id):
        ctx.reply(msg.text(texts.DISASTER_ALREADY))
        return None
    disaster, recipients = start_disaster(ctx.session, ctx.association.id, d.kind, d.message or "",
                                          ctx.member.id, ctx.now)
    return Sent(texts.DISASTER_STARTED.format(kind=texts.DISASTER_KINDS[disaster.kind]), f"disaster:{disaster.id}",
                {"kind": disaster.kind, "recipients": recipients})


FLOW = DraftFlow(
    "disaster", "dm", DialogDrafts("kind", "message"), STEPS, roles=STARTERS,
    resident=lambda ctx, d: check_card(Disaster(id=0, kind=d.kind, message=d.message or "")),
    summary=summary, send=send, audit="disaster.start", confirm_title=texts.DISASTER_CONFIRM_TITLE,
    send_label=texts.DISASTER_START, intro=False, preview_step="confirm")


@router.command(texts.CMD_DISASTER, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DISASTER_ONLY_ROLES))
    if active_real(ctx.session, ctx.association.id):  # a drill ends when the real one starts
        return ctx.reply(msg.text(texts.DISASTER_ALREADY))
    FLOW.open(ctx, FLOW.new(ctx))


# --- end ------------------------------------------------------------------------------------
def finish(session, d: Disaster, by_id, now: dt.datetime, *, for_disaster: bool = False, days: int = 30) -> str:
    """End `d`: the menus go back, the other officers get the summary, every resident hears it
    ended (not urgent; a drill's end says it was a drill). Returns the summary."""
    d.ended_at, d.ended_by_id = now, by_id
    d.purge_after = now + dt.timedelta(days=days)
    aid = d.association_id
    enqueue_relink(session, aid, active_member_ids(session, aid), now=now)  # own menus again
    b = board(session, d)
    summary = (texts.DRILL_SUMMARY if d.drill else texts.DISASTER_SUMMARY).format(
        kind=texts.DISASTER_KINDS[d.kind], counts=counts_text(b), silent=len(b.silent))
    people = session.execute(select(Member.id, Member.role, Member.line_user_id).where(
        Member.association_id == aid, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.id != (by_id or -1)).order_by(Member.id)).all()
    officers = [uid for _, role, uid in people if role in OFFICER_ROLES]
    residents = [uid for _, role, uid in people if role not in OFFICER_ROLES]
    if for_disaster:  # the officers learn why the drill stopped; residents get the real check next
        summary = texts.DRILL_ENDED_FOR_DISASTER + "\n" + summary
        residents = []
    enqueue(session, aid, officers, [msg.text(summary)], f"disaster-end:{d.id}", priority=DISASTER, now=now)
    if residents:  # not urgent: an ordinary message (issue 10)
        tell_residents_end(session, d, residents, texts.DRILL_END_RESIDENTS if d.drill else texts.DISASTER_END_RESIDENTS,
                           now)
    return summary


def tell_residents_end(session, d: Disaster, residents: list[str], text: str, now: dt.datetime) -> None:
    """The residents hear that the safety check is over: an ordinary push, not urgent."""
    enqueue(session, d.association_id, residents, [msg.text(text)], f"disaster-end-residents:{d.id}", now=now)


def resident_ids(session, association_id: int) -> list[str]:
    """The LINE users of the association's active members who are not officers."""
    return [uid for role, uid in session.execute(select(Member.role, Member.line_user_id).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None)).order_by(Member.id)).all() if role not in OFFICER_ROLES]


def ask_end(ctx: Ctx, d: Disaster) -> None:
    ctx.reply(*marked(d, msg.card(texts.CMD_DRILL_END if d.drill else texts.CMD_DISASTER_END,
                                  texts.DRILL_END_CONFIRM if d.drill else texts.DISASTER_END_CONFIRM,
                                  [msg.postback(texts.DISASTER_END_YES, pb("dm_end", d=d.id)),
                                   msg.postback(texts.WITHDRAW_NO, pb("dm_end_no"))])))


@router.command(texts.CMD_DISASTER_END, roles=OFFICER_ROLES)
def end(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DISASTER_ONLY_ROLES))
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    ask_end(ctx, d)


@router.postback("dm_end_no", roles=STARTERS)
def on_end_no(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.CANCELLED))


@router.postback("dm_end", roles=STARTERS)
def on_end(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or str(d.id) != ctx.data.get("d"):
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    summary = finish(ctx.session, d, ctx.member.id, ctx.now, days=ctx.settings.location_retention_days)
    ctx.audit("drill.end" if d.drill else "disaster.end", f"disaster:{d.id}")
    ctx.reply(msg.text((texts.DRILL_ENDED if d.drill else texts.DISASTER_ENDED) + "\n" + summary))

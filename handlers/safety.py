"""Disaster mode: officers start and end it; every household reports its safety (one member
answers for all), with a location, head count and comment; 「救助が必要」 alerts at once.

While it is active, every message from a member of a household is about the disaster: a typed
status (「大丈夫です」「ﾋﾅﾝｼﾏｼﾀ」) is recorded like its button, any other text or a photo is kept
as the household's 連絡事項 (`hear`, an interceptor of the router). Rescue alerts are coalesced:
one per request, then at most one update every `rescue_update_minutes` (`rescue_update`).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import messages as msg
from bot.line_limits import MAX_MESSAGES, TEXT_MAX, utf16_len
from bot import texts
from bot.signin import issue_login_link
from models import (
    Delivery, Disaster, Household, Member, MemberStatus, OFFICER_ROLES, OutboxMessage, Role, SafetyAsk,
    SafetyLocation, SafetyPhoto,
)
from models.delivery import write_receipts
from models.roster import officers_for_block
from models.safety import STATUSES, SUBJECT, active_disaster, add_note, board, latest_location, may_see_safety

from .pickers import paged
from .router import Ctx, enqueue, normalize, pb, router

log = logging.getLogger(__name__)

STARTERS = (Role.chair, Role.disaster_officer)
URGENT = 100  # rescue alerts: the first row the dispatcher claims
DISASTER = 50  # safety checks and re-asks: before everything ordinary
PEOPLE_CHOICES = (1, 2, 3, 4, 5)
COMMENT_WINDOW = dt.timedelta(minutes=30)
MAX_COMMENT = 500
SHORT_ANSWER = 12  # a typed status this short (「大丈夫です」) is only the status, not a 連絡事項 too
MAX_PHOTO = 10 * 1024 * 1024
SAFETY_PAGE = "/admin/safety/"  # 「安否状況」 links it for whoever may open it (models.safety.may_see_safety)


# --- messages -----------------------------------------------------------------------------
def status_actions(d: Disaster) -> list:
    return [msg.postback(texts.SAFETY_LABELS[s], pb("sf", d=d.id, s=s)) for s in ("safe", "injured", "rescue", "evacuated")]


def check_card(d: Disaster, reask: bool = False) -> dict:
    kind = texts.DISASTER_KINDS[d.kind]
    title = (texts.SAFETY_REASK_TITLE if reask else texts.SAFETY_CHECK_TITLE).format(kind=kind)
    body = texts.SAFETY_REASK_BODY if reask else (d.message + "\n\n" if d.message else "") + texts.SAFETY_CHECK_BODY
    return msg.card(title, body, status_actions(d), quick=status_actions(d) + [msg.location(texts.SAFETY_LOCATION)])


def map_url(lat: float, lng: float) -> str:
    return f"https://maps.google.com/?q={lat:.6f},{lng:.6f}"


def rescue_text(session: Session, delivery: Delivery, template: str) -> dict:
    h = delivery.household
    loc = latest_location(session, delivery.id)
    comment = (delivery.answer_data or {}).get("comment") or texts.RESCUE_NO_COMMENT
    return msg.text(template.format(block=h.block.name, household=h.name, comment=comment,
                                    map=texts.RESCUE_MAP.format(url=map_url(loc.latitude, loc.longitude))
                                    if loc else texts.RESCUE_NO_MAP))


def rescue_recipients(session: Session, association_id: int, h: Household) -> list[str]:
    """Disaster officers, the chair and the 班's block leader."""
    to = session.scalars(select(Member.line_user_id).where(
        Member.association_id == association_id, Member.status == MemberStatus.active,
        Member.role.in_([Role.chair, Role.disaster_officer]))).all()
    to += [m.line_user_id for m in officers_for_block(session, association_id, h.block_id)
           if m.role == Role.block_leader]
    return list(dict.fromkeys(u for u in to if u))


def lock_report(session: Session, delivery_id: int) -> Delivery | None:
    """The household's report, locked until the transaction ends (SELECT … FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises): two members answering at once take turns, so the
    second sees the first one's answer and outbox rows."""
    return session.scalars(select(Delivery).where(Delivery.id == delivery_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def rescue_alert(ctx: Ctx, delivery: Delivery) -> None:
    """A new rescue request: the most urgent row in the outbox, once per request.

    救助 → 無事 → 救助 within `rescue_update_minutes` of the last alert is the same request: an
    update (coalesced), not a new full alert.
    """
    alert = f"rescue:{delivery.id}"
    last = ctx.session.execute(select(OutboxMessage.sent_at, OutboxMessage.next_attempt_at, OutboxMessage.status)
                               .where(OutboxMessage.association_id == ctx.association.id,
                                      OutboxMessage.purpose == alert)
                               .order_by(OutboxMessage.id.desc()).limit(1)).first()
    window = dt.timedelta(minutes=ctx.settings.rescue_update_minutes)
    if last is not None and (last.status in ("pending", "held", "sending")
                             or (last.sent_at or last.next_attempt_at) > ctx.now - window):
        return rescue_update(ctx.session, ctx.settings, delivery, ctx.now)
    ctx.push(rescue_recipients(ctx.session, ctx.association.id, delivery.household),
             [rescue_text(ctx.session, delivery, texts.RESCUE_ALERT)], purpose=alert, priority=URGENT)


def rescue_update(session: Session, settings, delivery: Delivery, now: dt.datetime) -> None:
    """A location, 連絡事項 or photo from a household that asked for rescue: coalesced.

    While the alert or an update of this household still waits in the outbox (never tried, so
    LINE cannot have it yet), that row gets the latest location and 連絡事項 instead of a new
    row. Otherwise one update row is written, due `rescue_update_minutes` after the last update
    went out (at once if none did). A flood of locations costs a few pushes, not the quota.
    The caller holds the report's lock (`lock_report`): two members of the household at the
    same moment write one row, not two.
    """
    association_id = delivery.association_id
    alert, upd = f"rescue:{delivery.id}", f"rescue:{delivery.id}:update"
    for purpose, template in ((upd, texts.RESCUE_UPDATE), (alert, texts.RESCUE_ALERT)):
        waiting = session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.association_id == association_id, OutboxMessage.purpose == purpose,
            OutboxMessage.status == "pending", OutboxMessage.attempts == 0)
            .order_by(OutboxMessage.id.desc()).limit(1)).first()
        if waiting is None:
            continue
        # conditional: a dispatcher that claimed the row meanwhile wins, and we write a new one
        done = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == waiting, OutboxMessage.status == "pending",
                                        OutboxMessage.attempts == 0)
            .values(messages=[rescue_text(session, delivery, template)]).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            return
    went = session.execute(select(OutboxMessage.sent_at, OutboxMessage.next_attempt_at).where(
        OutboxMessage.association_id == association_id, OutboxMessage.purpose == upd)).all()
    last = max((sent or tried for sent, tried in went), default=None)
    due = now if last is None else max(now, last + dt.timedelta(minutes=settings.rescue_update_minutes))
    to = rescue_recipients(session, association_id, delivery.household)
    enqueue(session, association_id, to, [rescue_text(session, delivery, texts.RESCUE_UPDATE)], upd,
            priority=URGENT, now=due)


# --- start and end (chair, disaster officers) -----------------------------------------------
@router.command(texts.CMD_DISASTER, roles=OFFICER_ROLES)
def start(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DISASTER_ONLY_ROLES))
    if active_disaster(ctx.session, ctx.association.id):
        return ctx.reply(msg.text(texts.DISASTER_ALREADY))
    ctx.start_dialog("disaster", "kind")
    ctx.reply(msg.text(texts.DISASTER_ASK_KIND, [msg.postback(label, pb("dm_kind", k=key))
                                                 for key, label in texts.DISASTER_KINDS.items()]
                       + [msg.say(texts.CANCEL)]))


@router.postback("dm_kind", roles=STARTERS)
def on_kind(ctx: Ctx) -> None:
    if ctx.dialog is None or ctx.dialog.flow != "disaster" or ctx.data.get("k") not in texts.DISASTER_KINDS:
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    ctx.goto("message", kind=ctx.data["k"])
    ctx.reply(msg.text(texts.DISASTER_ASK_MESSAGE, [msg.say(texts.DISASTER_NO_MESSAGE), msg.say(texts.CANCEL)]))


@router.dialog("disaster", "kind", takes_text=False)
def on_kind_text(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.DISASTER_ASK_KIND, [msg.postback(label, pb("dm_kind", k=key))
                                                 for key, label in texts.DISASTER_KINDS.items()]))


@router.dialog("disaster", "message")
def on_message(ctx: Ctx) -> None:
    note = "" if ctx.text in (texts.DISASTER_NO_MESSAGE, "") else ctx.text[:500]
    ctx.goto("confirm", message=note)
    households = ctx.session.scalars(select(Household).where(Household.association_id == ctx.association.id)).all()
    recipients = ctx.session.scalars(select(Member.line_user_id).where(
        Member.association_id == ctx.association.id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None))).all()
    preview = Disaster(id=0, kind=ctx.dialog.data["kind"], message=note)
    ctx.reply(check_card(preview),
              msg.card(texts.DISASTER_CONFIRM_TITLE,
                       texts.DISASTER_CONFIRM.format(households=len(households), recipients=len(recipients),
                                                     minutes=ctx.settings.safety_reask_minutes,
                                                     times=ctx.settings.safety_reask_max),
                       [msg.postback(texts.DISASTER_START, pb("dm_start")), msg.postback(texts.CANCEL, pb("dm_cancel"))]))


@router.dialog("disaster", "confirm", takes_text=False)
def on_confirm_text(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.DISASTER_CONFIRM_TITLE, [msg.postback(texts.DISASTER_START, pb("dm_start")),
                                                      msg.postback(texts.CANCEL, pb("dm_cancel"))]))


@router.postback("dm_cancel", roles=STARTERS)
def on_cancel(ctx: Ctx) -> None:
    ctx.end_dialog()
    ctx.reply(msg.text(texts.CANCELLED))


@router.postback("dm_start", roles=STARTERS)
def on_start(ctx: Ctx) -> None:
    d = ctx.dialog
    if d is None or d.flow != "disaster" or d.step != "confirm":
        return ctx.reply(msg.text(texts.STALE_BUTTON))
    if active_disaster(ctx.session, ctx.association.id):
        ctx.end_dialog()
        return ctx.reply(msg.text(texts.DISASTER_ALREADY))
    disaster = Disaster(association_id=ctx.association.id, kind=d.data["kind"], message=d.data.get("message", ""),
                        started_by_id=ctx.member.id, started_at=ctx.now)
    ctx.session.add(disaster)
    ctx.session.flush()
    households = ctx.session.scalars(select(Household.id).where(Household.association_id == ctx.association.id)).all()
    members = ctx.session.execute(select(Member.household_id, Member.line_user_id).where(
        Member.association_id == ctx.association.id, Member.status == MemberStatus.active,
        Member.household_id.is_not(None), Member.line_user_id.is_not(None)).order_by(Member.id)).all()
    on_line = {hid for hid, _ in members}
    write_receipts(ctx.session, ctx.association.id, SUBJECT, disaster.id,
                   ((hid, 0, hid in on_line) for hid in households), ctx.now)
    users = [uid for _, uid in members]
    enqueue(ctx.session, ctx.association.id, users, [check_card(disaster)], f"safety:{disaster.id}:0",
            priority=DISASTER, now=ctx.now)
    ctx.session.add(SafetyAsk(association_id=ctx.association.id, disaster_id=disaster.id, round=0, sent_at=ctx.now,
                              households=len(households), recipients=len(users)))
    ctx.end_dialog()
    # households nobody can answer for on LINE, and those who need help, are visited at once
    send_visit_lists(ctx.session, disaster, [r for r in board(ctx.session, disaster).rows
                                             if not r.via_line or r.household.needs_support], False, ctx.now)
    ctx.audit("disaster.start", f"disaster:{disaster.id}", kind=disaster.kind, recipients=len(users))
    ctx.reply(msg.text(texts.DISASTER_STARTED.format(kind=texts.DISASTER_KINDS[disaster.kind])))


def visit_label(r: Delivery) -> str:
    """「渡辺 健様（紙）」「高橋 和子様（紙・要支援）」: the visit lists and 「安否状況」 alike."""
    marks = ([texts.VISIT_PAPER] if not r.via_line else []) + ([texts.VISIT_SUPPORT] if r.household.needs_support else [])
    return texts.HOUSEHOLD_NAME.format(name=r.household.name) + (
        texts.HOUSEHOLD_MARKS.format(marks=texts.MARKS_SEPARATOR.join(marks)) if marks else "")


def block_lines(block: str, labels: list[str], limit: int) -> list[str]:
    """「■2班：…」 lines of at most `limit` UTF-16 units: a long 班 takes several, no name is cut."""
    lines: list[str] = []
    names: list[str] = []
    for label in labels:
        if names and utf16_len(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names + [label]))) > limit:
            lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
            names = []
        names.append(label)
    if names:
        lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
    return lines


def packed(head: list[str], lines: list[str], quick: list, limit: int = TEXT_MAX) -> list[list[dict]]:
    """The head and lines as text messages within LINE's limit (lines never cut), grouped by
    the MAX_MESSAGES a push may carry; the last message has the quick replies."""
    bodies: list[str] = []
    for line in ["\n".join(head)] + lines:
        if bodies and utf16_len(bodies[-1]) + 1 + utf16_len(line) <= limit:
            bodies[-1] += "\n" + line
        else:
            bodies += msg.split_text(line, limit)  # a line longer than a message: only then cut
    messages = [msg.text(b, quick if i == len(bodies) - 1 else None) for i, b in enumerate(bodies)]
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]


def send_visit_lists(session, d: Disaster, rows: list[Delivery], final: bool, now: dt.datetime) -> int:
    """Each 班's households to visit go to its block leaders (a 班 without one: chair and 防災担当).

    At the start: paper households (nobody on LINE) and 要支援 ones; after the last re-ask
    (`final`): every household still silent. Returns the outbox rows written.
    """
    by_block: dict[int, list[Delivery]] = {}
    for r in sorted(rows, key=lambda r: (r.household.block.position, r.household.block_id, r.household_id)):
        by_block.setdefault(r.household.block_id, []).append(r)
    if not by_block:
        return 0
    members = session.scalars(select(Member).where(
        Member.association_id == d.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.role.in_((Role.block_leader,) + STARTERS))
        .order_by(Member.id)).all()
    leaders: dict[int, list[str]] = {}
    for m in members:
        if m.role == Role.block_leader and m.led_block_id is not None:
            leaders.setdefault(m.led_block_id, []).append(m.line_user_id)
    head = [texts.VISIT_TITLE.format(kind=texts.DISASTER_KINDS[d.kind])] + ([texts.VISIT_FINAL] if final else []) \
        + [texts.VISIT_ASK]
    quick = [msg.postback(texts.SAFETY_PROXY, pb("sfp", d=d.id))]
    purpose = f"visit:{d.id}:{'final' if final else 'start'}"
    written, unled = 0, []
    for block_id, rs in by_block.items():
        lines = block_lines(rs[0].household.block.name, [visit_label(r) for r in rs], TEXT_MAX)
        if leaders.get(block_id):  # a long list: several messages (and pushes), never a name dropped
            for messages in packed(head, lines, quick):
                written += enqueue(session, d.association_id, leaders[block_id], messages, purpose,
                                   priority=DISASTER, now=now)
        else:
            unled += lines
    if unled:  # one push each (not a multicast): the same cost, and each can tap [代理で記録]
        for uid in dict.fromkeys(m.line_user_id for m in members if m.role in STARTERS):
            for messages in packed(head + [texts.VISIT_NO_LEADER], unled, quick):
                written += enqueue(session, d.association_id, [uid], messages, purpose, priority=DISASTER, now=now)
    return written


def counts_text(b) -> str:
    return texts.MARKS_SEPARATOR.join(texts.SAFETY_COUNT.format(label=texts.SAFETY_LABELS[s], n=b.counts[s])
                                      for s in STATUSES)


@router.command(texts.CMD_DISASTER_END, roles=OFFICER_ROLES)
def end(ctx: Ctx) -> None:
    if ctx.member.role not in STARTERS:
        return ctx.reply(msg.text(texts.DISASTER_ONLY_ROLES))
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    ctx.reply(msg.card(texts.CMD_DISASTER_END, texts.DISASTER_END_CONFIRM,
                       [msg.postback(texts.DISASTER_END_YES, pb("dm_end", d=d.id)),
                        msg.postback(texts.WITHDRAW_NO, pb("dm_end_no"))]))


@router.postback("dm_end_no", roles=STARTERS)
def on_end_no(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.CANCELLED))


@router.postback("dm_end", roles=STARTERS)
def on_end(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or str(d.id) != ctx.data.get("d"):
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    d.ended_at, d.ended_by_id = ctx.now, ctx.member.id
    d.purge_after = ctx.now + dt.timedelta(days=ctx.settings.location_retention_days)
    b = board(ctx.session, d)
    summary = texts.DISASTER_SUMMARY.format(kind=texts.DISASTER_KINDS[d.kind], counts=counts_text(b), silent=len(b.silent))
    officers = ctx.session.scalars(select(Member.line_user_id).where(
        Member.association_id == ctx.association.id, Member.status == MemberStatus.active,
        Member.role.in_(OFFICER_ROLES), Member.id != ctx.member.id)).all()
    ctx.push(officers, [msg.text(summary)], purpose=f"disaster-end:{d.id}", priority=DISASTER)
    ctx.audit("disaster.end", f"disaster:{d.id}")
    ctx.reply(msg.text(texts.DISASTER_ENDED + "\n" + summary))


# --- residents report ----------------------------------------------------------------------
def report_row(ctx: Ctx, d: Disaster) -> Delivery:
    """This member's household report for `d` (made now for a household added after the start)."""
    row = ctx.session.scalar(select(Delivery).where(Delivery.of(SUBJECT, d.id),
                                                    Delivery.household_id == ctx.member.household_id)
                             .with_for_update().execution_options(populate_existing=True))
    # locked (lock_report): the household's members take turns, the latest answer is read
    if row is None:  # a household added after the start: it reports too
        row = Delivery(association_id=ctx.association.id, disaster_id=d.id,
                       household_id=ctx.member.household_id, delivered_at=ctx.now)
        ctx.session.add(row)
        ctx.session.flush()
    return row


def my_report(ctx: Ctx, disaster_id: str | None = None) -> tuple[Disaster, Delivery] | None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or (disaster_id is not None and str(d.id) != disaster_id):
        ctx.reply(msg.text(texts.SAFETY_CLOSED))
        return None
    if not ctx.is_member or ctx.member.household_id is None:
        ctx.reply(msg.text(texts.SAFETY_NOT_REGISTERED))
        return None
    return d, report_row(ctx, d)


def extras_quick(d: Disaster) -> list:
    return ([msg.location(texts.SAFETY_LOCATION)]
            + [msg.postback(texts.SAFETY_PEOPLE_N.format(n=n) if n < PEOPLE_CHOICES[-1]
                            else texts.SAFETY_PEOPLE_MORE.format(n=n), pb("sf_n", d=d.id, n=n)) for n in PEOPLE_CHOICES]
            + [msg.say(texts.SAFETY_NO_COMMENT)])


def with_note(row: Delivery, note: str, member_id: int | None) -> None:
    """Add to the household's 連絡事項, with its author (退会 erases exactly theirs); the latest
    last, the oldest notes go first when all of them are long."""
    row.answer_data = add_note(row.answer_data, member_id, note, MAX_COMMENT)


def record_status(ctx: Ctx, d: Disaster, row: Delivery, status: str, note: str | None = None) -> None:
    """A status from its button or typed: recorded, rescue alerted, the usual confirmation."""
    was_rescue = row.answer == "rescue"
    if note:
        with_note(row, note, ctx.member.id)
    row.record_answer(status, ctx.member, data=dict(row.answer_data or {}), at=ctx.now)
    ctx.session.flush()
    if status == "rescue" and not was_rescue:
        rescue_alert(ctx, row)  # first: the alert row is written before anything else
    elif status == "rescue" and note:
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    if ctx.dialog is None or ctx.dialog.flow == "safety":  # another open dialog keeps waiting
        ctx.start_dialog("safety", "extra", disaster_id=d.id)
    recorded = msg.text(texts.SAFETY_RECORDED.format(status=texts.SAFETY_LABELS[status], household=row.household.name),
                        extras_quick(d))
    if status == "rescue":
        ctx.reply(msg.text(texts.RESCUE_TOLD), recorded)
    else:
        ctx.reply(recorded)


@router.postback("sf")
def on_status(ctx: Ctx) -> None:
    found = my_report(ctx, ctx.data.get("d"))
    status = ctx.data.get("s")
    if found is None or status not in STATUSES:
        return
    record_status(ctx, *found, status)


@router.postback("sf_n")
def on_people(ctx: Ctx) -> None:
    found = my_report(ctx, ctx.data.get("d"))
    if found is None:
        return
    d, row = found
    n = max(1, min(99, ctx.num("n")))
    row.answer_data = {**(row.answer_data or {}), "people": n}
    ctx.reply(msg.text(texts.SAFETY_PEOPLE_RECORDED.format(n=n), extras_quick(d)))


def attach_location(ctx: Ctx) -> None:
    found = my_report(ctx)
    if found is None:
        return
    d, row = found
    m = ctx.event.message
    ctx.session.add(SafetyLocation(association_id=ctx.association.id, disaster_id=d.id, delivery_id=row.id,
                                   member_id=ctx.member.id, latitude=m.latitude, longitude=m.longitude,
                                   address=(m.address or m.title or None) and (m.address or m.title)[:200], at=ctx.now))
    ctx.session.flush()
    if row.answer == "rescue":  # officers get the map they were waiting for (coalesced)
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    quick = extras_quick(d)[1:] if row.answer else status_actions(d)
    ctx.reply(msg.text(texts.SAFETY_LOCATION_RECORDED, quick))


@router.message("location")
def on_location(ctx: Ctx) -> None:
    attach_location(ctx)


@router.dialog("safety", "extra", takes_text=False)
def on_extra(ctx: Ctx) -> None:
    """After a status: the next text is the household's 連絡事項 (within COMMENT_WINDOW).

    A text that names a status (「やっぱり救助」) never reaches here: `hear` records it first.
    """
    kind = ctx.event.message.type
    if kind == "location":
        return attach_location(ctx)
    if kind != "text" or not ctx.text:
        return router.fallback(ctx) if kind != "text" else None
    if ctx.now - ctx.dialog.updated_at > COMMENT_WINDOW:  # long after: not a comment any more
        ctx.end_dialog()
        return router.fallback(ctx)
    found = my_report(ctx, str(ctx.dialog.data.get("disaster_id")))
    if found is None:
        return ctx.end_dialog()
    d, row = found
    ctx.end_dialog()
    if ctx.text == texts.SAFETY_NO_COMMENT:
        return ctx.reply(msg.text(texts.SAFETY_COMMENT_RECORDED))
    with_note(row, ctx.text[:MAX_COMMENT], ctx.member.id)
    if row.answer == "rescue":  # what the household says matters to whoever comes to help
        rescue_update(ctx.session, ctx.settings, row, ctx.now)
    ctx.reply(msg.text(texts.SAFETY_COMMENT_RECORDED))


# --- residents who type or send a photo ------------------------------------------------------
_PUNCT = re.compile(r"[、。,.!?・…/]")


def _hiragana(s: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in s)


def read_status(text: str) -> str | None:
    """The status a typed text names (「大丈夫です」→ safe, 「ﾋﾅﾝｼﾏｼﾀ」→ evacuated), or None.

    Full/half width and kana are folded (NFKC, katakana → hiragana); the most urgent status named
    wins (「無事ですがけが人がいます」→ injured); a denied one does not count (「けがはありません」).
    """
    t = _hiragana(normalize(text))
    for status in STATUSES:  # most urgent first
        for word in texts.SAFETY_WORDS[status]:
            w = _hiragana(unicodedata.normalize("NFKC", word))
            start = 0
            while (i := t.find(w, start)) >= 0:
                start = i + 1
                rest = _PUNCT.split(t[i + len(w):i + len(w) + 10], maxsplit=1)[0]
                if not any(n in rest for n in texts.SAFETY_NEGATIONS):
                    return status
    return None


def buttons_card(d: Disaster, body: str) -> dict:
    kind = texts.DISASTER_KINDS[d.kind]
    return msg.card(texts.SAFETY_CHECK_TITLE.format(kind=kind), body, status_actions(d),
                    quick=status_actions(d) + [msg.location(texts.SAFETY_LOCATION)])


def note_reply(ctx: Ctx, d: Disaster, row: Delivery, template: str) -> dict:
    body = template.format(household=row.household.name) + "\n" + (
        texts.SAFETY_NOTE_ANSWERED.format(status=texts.SAFETY_LABELS[row.answer]) if row.answer
        else texts.SAFETY_PICK)
    if ctx.member.is_officer:  # a mistyped command landed here: say where the commands are
        body += "\n" + texts.SAFETY_OFFICER_HINT
    return buttons_card(d, body)


def keep_photo(ctx: Ctx, d: Disaster, row: Delivery) -> None:
    """Only noted here (no LINE call inside the handling transaction): the scheduler's
    fetch_photos downloads it, adds it to the 連絡事項, and tells the resident if LINE cannot
    hand it over."""
    m = ctx.event.message
    if ctx.session.scalar(select(SafetyPhoto.id).where(SafetyPhoto.line_message_id == m.id[:64])) is None:
        ctx.session.add(SafetyPhoto(association_id=ctx.association.id, disaster_id=d.id, delivery_id=row.id,
                                    member_id=ctx.member.id, line_message_id=m.id[:64], status="pending",
                                    next_try_at=ctx.now, at=ctx.now))
    ctx.reply(note_reply(ctx, d, row, texts.SAFETY_PHOTO_RECORDED))


def photo_arrived(session: Session, settings, photo: SafetyPhoto, now: dt.datetime) -> None:
    """A downloaded photo joins the household's 連絡事項 (and a rescue request's update)."""
    row = lock_report(session, photo.delivery_id)
    if row is None:
        return
    with_note(row, texts.SAFETY_PHOTO_NOTE, photo.member_id)
    session.flush()
    if row.answer == "rescue":
        rescue_update(session, settings, row, now)


@router.intercept()
def hear(ctx: Ctx, situation: str) -> bool:
    """In disaster mode every message of a household member is about the disaster (see router)."""
    if not ctx.is_member or ctx.member.household_id is None:
        return False
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return False
    kind = ctx.event.message.type
    status = read_status(ctx.text) if kind == "text" else None
    row = None
    if status is not None:
        row = report_row(ctx, d)
        # only a button takes back a rescue request: 「足をけがして動けません」 stays 救助が必要
        if row.answer != "rescue" or status == "rescue":
            note = ctx.text[:MAX_COMMENT] if len(normalize(ctx.text)) > SHORT_ANSWER else None
            record_status(ctx, d, row, status, note)
            return True
    elif situation != "free":
        return False  # the open dialog asked for this text
    row = row or report_row(ctx, d)
    if kind == "text" and ctx.text:
        with_note(row, ctx.text[:MAX_COMMENT], ctx.member.id)
        if row.answer == "rescue":
            rescue_update(ctx.session, ctx.settings, row, ctx.now)
        ctx.reply(note_reply(ctx, d, row, texts.SAFETY_NOTE_RECORDED))
    elif kind == "image":
        keep_photo(ctx, d, row)
    else:  # a sticker, a video, a file: nothing to keep, but never the ordinary help
        ctx.reply(buttons_card(d, texts.SAFETY_ASK_BUTTONS))
    return True


# --- officers: status and proxy reports ------------------------------------------------------
@router.command(texts.CMD_SAFETY_STATUS, roles=OFFICER_ROLES)
def on_board(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None:
        return ctx.reply(msg.text(texts.DISASTER_NONE))
    b = board(ctx.session, d, ctx.member.led_block_id)
    since = d.started_at.astimezone(ZoneInfo(ctx.settings.timezone))
    lines = [texts.SAFETY_STATUS_HEADER.format(kind=texts.DISASTER_KINDS[d.kind], since=texts.SAFETY_SINCE.format(
                 month=since.month, day=since.day, hour=since.hour, minute=since.minute)),
             texts.SAFETY_STATUS_COUNTS.format(counts=counts_text(b), silent=len(b.silent), total=b.total)]
    if b.rescue:
        lines.append(texts.SAFETY_STATUS_RESCUE.format(names=texts.NAMES_SEPARATOR.join(texts.BLOCK_HOUSEHOLD.format(
            block=r.household.block.name, household=texts.HOUSEHOLD_NAME.format(name=r.household.name))
            for r in b.rescue)))
    lines += [texts.SAFETY_STATUS_BLOCK.format(block=k, answered=a, total=t) for k, (a, t) in b.per_block.items()]
    if b.silent:
        names = texts.NAMES_SEPARATOR.join(visit_label(r) for r in b.silent[:60])
        lines.append(texts.SAFETY_STATUS_SILENT.format(names=names))
    proxy = [msg.postback(texts.SAFETY_PROXY, pb("sfp", d=d.id))]
    # LINE's limit counts UTF-16 units: a long board takes several messages (the link needs one)
    board_texts = [m["text"] for m in msg.long_text("\n".join(lines), MAX_MESSAGES - 1)]
    if may_see_safety(ctx.member):  # the same rule as the page itself (bot.admin)
        # the live page (table and map) in one tap: the sign-in link lands there
        url = issue_login_link(ctx.session, ctx.settings, ctx.member, ctx.now, next_path=SAFETY_PAGE)
        ctx.audit("admin.link", f"member:{ctx.member.id}", page="safety")
        return ctx.reply(*[msg.text(t) for t in board_texts],
                         msg.link(texts.CMD_SAFETY_STATUS, texts.SAFETY_PAGE_LINK, texts.SAFETY_PAGE_OPEN, url, proxy))
    ctx.reply(*[msg.text(t, proxy if i == len(board_texts) - 1 else None) for i, t in enumerate(board_texts)])


def proxy_target(ctx: Ctx) -> tuple[Disaster, Household] | None:
    d = active_disaster(ctx.session, ctx.association.id)
    h = ctx.session.get(Household, ctx.num("h"))
    if d is None or str(d.id) != ctx.data.get("d"):
        ctx.reply(msg.text(texts.SAFETY_CLOSED))
        return None
    led = ctx.member.led_block_id
    if h is None or h.association_id != ctx.association.id or (led is not None and h.block_id != led):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    return d, h


@router.postback("sfp", roles=OFFICER_ROLES)
def on_proxy(ctx: Ctx) -> None:
    d = active_disaster(ctx.session, ctx.association.id)
    if d is None or str(d.id) != ctx.data.get("d"):
        return ctx.reply(msg.text(texts.SAFETY_CLOSED))
    silent = board(ctx.session, d, ctx.member.led_block_id).silent
    actions = paged(silent, ctx.num("o"), 0,
                    lambda r: msg.postback(r.household.name, pb("sfp_h", d=d.id, h=r.household_id),
                                           texts.HOUSEHOLD_NAME.format(name=r.household.name)),
                    lambda o: pb("sfp", d=d.id, o=o))
    ctx.reply(msg.text(texts.SAFETY_PROXY_PICK if actions else texts.SAFETY_ALL_ANSWERED, actions))


@router.postback("sfp_h", roles=OFFICER_ROLES)
def on_proxy_household(ctx: Ctx) -> None:
    found = proxy_target(ctx)
    if found is None:
        return
    d, h = found
    ctx.reply(msg.text(texts.SAFETY_PROXY_STATUS.format(household=h.name),
                       [msg.postback(texts.SAFETY_LABELS[s], pb("sfp_s", d=d.id, h=h.id, s=s)) for s in
                        ("safe", "injured", "rescue", "evacuated")]))


@router.postback("sfp_s", roles=OFFICER_ROLES)
def on_proxy_status(ctx: Ctx) -> None:
    found = proxy_target(ctx)
    status = ctx.data.get("s")
    if found is None or status not in STATUSES:
        return
    d, h = found
    row = ctx.session.scalar(select(Delivery).where(Delivery.of(SUBJECT, d.id),
                                                    Delivery.household_id == h.id)
                             .with_for_update().execution_options(populate_existing=True))  # as lock_report
    if row is None:  # a household added after the start
        row = Delivery(association_id=ctx.association.id, disaster_id=d.id,
                       household_id=h.id, via_line=False, delivered_at=ctx.now)
        ctx.session.add(row)
    was_rescue = row.answer == "rescue"
    row.record_answer(status, ctx.member, data=dict(row.answer_data or {}), proxy=True, at=ctx.now)
    ctx.session.flush()
    if status == "rescue" and not was_rescue:
        rescue_alert(ctx, row)
    ctx.audit("safety.proxy", f"household:{h.id}", status=status)
    ctx.reply(msg.text(texts.SAFETY_PROXY_DONE.format(household=h.name, status=texts.SAFETY_LABELS[status])))

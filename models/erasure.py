"""退会: erase everything of a person, not only their member row.

What a person leaves behind besides their name: free-text answers (event and safety comments in
the receipts and their history), the locations they shared, their LINE user id in outbox rows
(recipients) and in stored webhook payloads, their wrong join-code attempts, and their name or
comments quoted in messages to officers (an approval request, a rescue alert) or in the audit
log's before → after (a correction of their name on the dashboard). All of it goes:
answers keep only what they count (参加/無事, head counts), the rest is blanked or deleted.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import String, cast, delete, or_, select
from sqlalchemy.orm import Session

from .delivery import Delivery, DeliveryHistory
from .infra import AuditLog, DialogState, LoginToken, OutboxMessage, WebhookEvent
from .registry import forget_actor
from .inquiries import Inquiry
from .mimamori import erase_mimamori
from .reports import erase_reporter
from .roster import JoinAttempt, Member, MemberStatus, erase_member, normalize_name, user_attempt_key
from .safety import SUBJECT as SAFETY, SafetyLocation, SafetyPhoto, without_notes_of

LIVE = ("pending", "held")  # outbox rows still to be sent
MIN_QUOTED = 4  # shorter comments are not looked for in other people's messages (too common)
MIN_NOTE_QUOTED = 2  # in the rescue alerts of their own household's report, shorter notes too


def _words(data: dict[str, Any] | None) -> set[str]:
    """Their free text in an answer (an authored comment is built of several people's notes: not it)."""
    authored = isinstance((data or {}).get("notes"), list)
    return {v for k, v in (data or {}).items() if isinstance(v, str) and v and not (authored and k == "comment")}


def _without(data: dict[str, Any] | None, words: set[str]) -> dict[str, Any] | None:
    if not data:
        return data
    kept = {k: v for k, v in data.items() if not (isinstance(v, str) and v in words)}
    return kept or None


def _without_own(data: dict[str, Any] | None, member_id: int, words: set[str]) -> tuple[dict[str, Any] | None, list[str]]:
    """Answer data without what `member_id` wrote: their notes (by author), else words equal to theirs."""
    if data and isinstance(data.get("notes"), list):  # authored 連絡事項: the comment is built from them
        data, gone = without_notes_of(data, member_id)
        rest = {k: v for k, v in (data or {}).items() if k not in ("notes", "comment")}
        kept = _without(rest, words) or {}
        return ({**kept, **{k: data[k] for k in ("notes", "comment") if data and k in data}} or None), gone
    return _without(data, words), []


def _like_any(column, needles: list[str]):
    """JSON text containing a needle as stored (JSON escapes \\uXXXX) or as plain characters."""
    forms = {f for n in needles for f in (n, json.dumps(n)[1:-1])}
    return or_(*[cast(column, String).contains(f, autoescape=True) for f in forms])


def _redact(node: Any, needles: list[str], redacted: str) -> Any:
    if isinstance(node, str):
        for n in needles:
            node = node.replace(n, redacted)
        return node
    if isinstance(node, list):
        return [_redact(v, needles, redacted) for v in node]
    if isinstance(node, dict):
        return {k: _redact(v, needles, redacted) for k, v in node.items()}
    return node


def names_in_audit(session: Session, association_id: int, target: str) -> set[str]:
    """The names a member or household had: the before → after of the audit rows about it."""
    names: set[str] = set()
    for row in session.scalars(select(AuditLog).where(AuditLog.association_id == association_id,
                                                      AuditLog.target == target)).all():
        for side in ("before", "after"):
            part = row.detail.get(side) if isinstance(row.detail, dict) else None
            value = part.get("name") if isinstance(part, dict) else None
            if isinstance(value, str):
                names.add(value)
    return names


def forget_notices_about(session: Session, member: Member, redacted: str) -> None:
    """The officers' approval request and link notice about `member` carry their name and LINE
    display name (stored nowhere else to be matched): a sent row's words go whole. (One not sent
    yet is still sent, so that the officers learn it is over: erase_traces takes the name out of
    it and its buttons answer 「すでに処理されています」.) Also all a rejected applicant leaves:
    the name they gave may be a neighbour's, so no other message is touched."""
    for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.association_id == member.association_id,
            OutboxMessage.purpose.in_([f"approval:{member.id}", f"linked:{member.id}"]))).all():
        if row.status not in LIVE and row.status != "sending":
            row.messages = [{"type": "text", "text": redacted}]
    session.flush()


def erase_traces(session: Session, member: Member, now: dt.datetime, current_event_id: str | None = None, *,
                 redacted: str) -> None:
    """Everything of `member` outside the member row (call before erase_member clears it).

    `redacted` replaces the person's name and words in messages to others. Every caller passes
    handlers.messages.texts.WITHDRAWN_NAME (models do not import handlers): it has no default, so none can forget."""
    line_id, name = member.line_user_id, member.name
    # their name now and the names they had (a correction on the dashboard: the log's before → after),
    # each also as an officer may have typed it (「渡辺さくら」)
    names = {name} | names_in_audit(session, member.association_id, f"member:{member.id}") - {None}
    quoted: list[str] = sorted({n for x in names for n in (x, normalize_name(x)) if n and len(normalize_name(n)) >= 2})

    # answers: the choice stays (counts), the words go: from their own answers, and from the
    # later answers of the same receipt that carried them over
    own = session.scalars(select(Delivery).where(or_(Delivery.answered_by_id == member.id,
                                                     Delivery.person_key == member.id))).all()
    own_history = session.scalars(select(DeliveryHistory).where(DeliveryHistory.member_id == member.id)).all()
    words: set[str] = set()
    for d in own:
        words |= _words(d.answer_data)
    for h in own_history:
        words |= _words(h.answer_data)
    affected = {d.id: d for d in own} | {h.delivery.id: h.delivery for h in own_history}
    # safety reports keep their 連絡事項 with the author (models.safety): exactly this person's
    # notes go, from every report of their household and its history, whoever answered last
    if member.household_id is not None:
        affected |= {d.id: d for d in session.scalars(select(Delivery).where(
            Delivery.household_id == member.household_id, Delivery.of_kind(SAFETY)))}
    notes: set[str] = set()
    for d in affected.values():
        d.answer_data, gone = _without_own(d.answer_data, member.id, words)
        notes.update(gone)
        for h in d.history:
            h.answer_data, gone = _without_own(h.answer_data, member.id, words)
            notes.update(gone)
    quoted += [w for w in words if len(w) >= MIN_QUOTED]  # their notes: only where their household's are quoted
    rescue_notes = sorted((n for n in notes if len(n) >= MIN_NOTE_QUOTED), key=len, reverse=True)

    # shared locations: deleted (the map in an alert quotes the coordinates)
    for loc in session.scalars(select(SafetyLocation).where(SafetyLocation.member_id == member.id)).all():
        quoted += [f"{loc.latitude:.6f}", f"{loc.longitude:.6f}", repr(loc.latitude), repr(loc.longitude)]
        if loc.address:
            quoted.append(loc.address)
        session.delete(loc)
    # photos they sent in disaster mode (連絡事項): deleted with the locations
    session.execute(delete(SafetyPhoto).where(SafetyPhoto.member_id == member.id))
    erase_reporter(session, member.id)  # 通報: drafts go, reports stay without the reporter
    for q in session.scalars(select(Inquiry).where(Inquiry.member_id == member.id)):
        session.delete(q)  # 問い合わせ: their words and photos, with the officers' answers to them
    quoted = sorted(set(quoted), key=len, reverse=True)  # longest first: no half-replaced text

    if line_id:
        session.execute(delete(JoinAttempt).where(JoinAttempt.association_id == member.association_id,
                                                  JoinAttempt.key == user_attempt_key(line_id)))
        session.execute(delete(DialogState).where(DialogState.line_user_id == line_id, or_(
            DialogState.association_id == member.association_id, DialogState.association_id.is_(None))))
        # webhook payloads of this user still stored (failed, or waiting): the payload goes
        for ev in session.scalars(select(WebhookEvent).where(or_(
                WebhookEvent.user_id == line_id,
                WebhookEvent.payload.is_not(None) & WebhookEvent.payload.contains(line_id, autoescape=True)))).all():
            if ev.id == current_event_id:
                continue  # cleared by the inbox when this very event is done
            ev.payload, ev.user_id = None, None
            if ev.status != "processing":
                ev.status, ev.processed_at, ev.error = "done", ev.processed_at or now, "erased at withdrawal"
    session.execute(delete(LoginToken).where(LoginToken.member_id == member.id))
    erase_mimamori(session, member.id, line_id, member.association_id)  # 見守り (issue 17)
    forget_actor(session, member.id, redacted)  # their name as the author of registry changes
    if quoted:  # their name and words in the audit log's before → after (a dashboard's corrections)
        for row in session.scalars(select(AuditLog).where(AuditLog.association_id == member.association_id,
                                                          AuditLog.detail.is_not(None),
                                                          _like_any(AuditLog.detail, quoted))).all():
            row.detail = _redact(row.detail, quoted, redacted)

    forget_notices_about(session, member, redacted)
    # outbox: the id leaves every row's recipients; quotes of the person leave every message
    # (the rescue alerts and updates of their household's reports quote their notes)
    rescue_purposes = [["rescue", str(d_id)] for d_id in affected]
    needles_sql = []
    if rescue_notes:
        needles_sql.append(_like_any(OutboxMessage.messages, rescue_notes))
    if line_id:
        needles_sql.append(_like_any(OutboxMessage.recipients, [line_id]))
    if quoted:
        needles_sql.append(_like_any(OutboxMessage.messages, quoted))
    if not needles_sql:
        return
    for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.association_id == member.association_id, or_(*needles_sql))).all():
        recipients = [r for r in row.recipients if r != line_id]
        if not recipients and row.status in LIVE:
            session.delete(row)  # only for them and not sent yet: never sent
            continue
        if recipients or row.status != "sending":
            # a sent row addressed to them alone keeps no address. (A push to them alone that
            # the dispatcher holds this very second keeps it: emptied, its retry could not be sent.)
            row.recipients = recipients
        if quoted:
            row.messages = _redact(row.messages, quoted, redacted)
        if rescue_notes and row.purpose and row.purpose.split(":")[:2] in rescue_purposes:
            row.messages = _redact(row.messages, rescue_notes, redacted)
        if row.last_error and line_id and line_id in row.last_error:
            row.last_error = row.last_error.replace(line_id, redacted)


def undo_answers(session: Session, m: Member, household_id: int) -> None:
    """[取り消す]: what `m` read or answered for the household goes back to how it was before them
    (a proxy answer given meanwhile stays); their own per-person receipts, locations, photos and
    the safety 連絡事項 they typed go."""
    for d in session.scalars(select(Delivery).where(Delivery.household_id == household_id)).all():
        if d.person_key == m.id:
            session.delete(d)  # their own receipt of a per-person event
            continue
        if d.read_by_id == m.id:
            d.read_at = d.read_by_id = d.read_via = None
            d.read_by = None
        mine = [h for h in d.history if h.member_id == m.id and not h.proxy]
        if not mine:
            continue
        for h in mine:
            d.history.remove(h)
        last = d.history[-1] if d.history else None
        d.answer, d.answer_data = (last.answer, last.answer_data) if last else (None, None)
        d.answered_at = last.at if last else None
        d.answered_by_id, d.answered_by_proxy = (last.member_id, last.proxy) if last else (None, False)
        d.answered_by = last.member if last else None
        if last is not None and d.read_at is None:
            d.read_at, d.read_via = last.at, "proxy" if last.proxy else "button"
    # the 連絡事項 they typed (kept with their author) go too, wherever later answers carried them
    for d in session.scalars(select(Delivery).where(Delivery.household_id == household_id,
                                                    Delivery.of_kind(SAFETY))).all():
        d.answer_data = without_notes_of(d.answer_data, m.id)[0]
        for h in d.history:
            h.answer_data = without_notes_of(h.answer_data, m.id)[0]
    session.execute(delete(SafetyLocation).where(SafetyLocation.member_id == m.id))
    session.execute(delete(SafetyPhoto).where(SafetyPhoto.member_id == m.id))


def erase_household(session: Session, household, now: dt.datetime, *, redacted: str) -> list[int]:
    """A household leaves the roster (removed on the dashboard, or not in the new year's list):
    each of its members is withdrawn and erased exactly as on 退会 (`erase_traces`, then
    `erase_member`), the representative's name leaves the audit log's before → after as a
    member's does, and the household row goes (its receipts with it: ON DELETE CASCADE).

    Returns the ids of the members withdrawn (the caller audits them). The caller also deletes the
    members' counts of wrong 登録コード on a city channel, as 退会 does (`attempt_scope`).
    The representative's name also leaves messages in the outbox that quote it (sent or not)."""
    gone = []
    for m in list(household.members):
        if m.status == MemberStatus.withdrawn:
            continue
        erase_traces(session, m, now, redacted=redacted)
        erase_member(m)
        gone.append(m.id)
    # its name now, and the names it had (corrections on the dashboard: the log's before → after)
    names = {household.name} | names_in_audit(session, household.association_id, f"household:{household.id}")
    needles = [n for n in names | {normalize_name(x) for x in names} if n and len(normalize_name(n)) >= 2]
    if needles:
        for row in session.scalars(select(AuditLog).where(AuditLog.association_id == household.association_id,
                                                          AuditLog.detail.is_not(None),
                                                          _like_any(AuditLog.detail, needles))).all():
            row.detail = _redact(row.detail, sorted(needles, key=len, reverse=True), redacted)
        # and in messages (a block leader's list of paper households quotes it)
        for row in session.scalars(select(OutboxMessage).where(
                OutboxMessage.association_id == household.association_id,
                _like_any(OutboxMessage.messages, needles))).all():
            row.messages = _redact(row.messages, sorted(needles, key=len, reverse=True), redacted)
    session.delete(household)
    session.flush()
    return gone

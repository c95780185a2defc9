"""Triage of 通報: status changes and assignment, the ONE place both the officers' page
(bot/web/reports_page.py) and the city staff's page use.

`change_status` re-reads the report with a row lock and refuses when its status is no longer the
one the officer's form showed (`was`): two officers pressing at once cannot both notify the
reporter. A public change goes to the reporter and every +1 follower as a push through the outbox.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.messages import texts
from models import Association, Member, MemberStatus, utcnow
from models.audit import record
from models.messaging import enqueue
from models.reports import CLOSED_STATUSES, MAX_NOTE, Report, ReportFollower, ReportUpdate

# where each status may go next (forwarded reports are moved on by the city staff)
NEXT: dict[str, tuple[str, ...]] = {
    "received": ("checking", "in_progress", "done", "declined", "forwarded"),
    "checking": ("in_progress", "done", "declined", "forwarded"),
    "in_progress": ("done", "declined", "forwarded"),
    "forwarded": ("checking", "in_progress", "done", "declined"),
    "done": ("in_progress",),
    "declined": ("checking",),
}


@dataclass(frozen=True)
class Result:
    ok: bool
    problem: str = ""  # a sentence for the officer (texts.REPORT_TRIAGE_*)
    pushed: int = 0  # recipients told


def followers(session: Session, report: Report) -> list[str]:
    """LINE ids of the reporter and the +1 joiners who are still active members."""
    rows = session.scalars(select(Member.line_user_id).join(ReportFollower, ReportFollower.member_id == Member.id)
                           .where(ReportFollower.report_id == report.id, Member.status == MemberStatus.active,
                                  Member.line_user_id.is_not(None), Member.association_id == report.association_id)
                           .order_by(ReportFollower.id))
    seen: list[str] = []
    for uid in rows:
        if uid and uid not in seen:
            seen.append(uid)
    return seen


def push_text(report: Report, status: Optional[str], note: str) -> str:
    head = texts.REPORT_PUSH_HEAD.format(number=report.number)
    line = texts.REPORT_PUSH_STATUS.format(status=texts.REPORT_STATUS_DONE_WORDS[status]) if status else texts.REPORT_PUSH_NOTE
    return head + line + (f"\n{note}" if note else "")


def change_status(session: Session, report: Report, status: str, note: str = "", public: bool = True,
                  by_member: Optional[Member] = None, by_staff=None, now: Optional[dt.datetime] = None,
                  was: Optional[str] = None) -> Result:
    """Moves `report` to `status` (see NEXT). `was`: the status the form showed (None: the caller
    read it just now). 対応しない needs a reason (the note); 市へ転送 needs the association's city."""
    now = now or utcnow()
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        return Result(False, texts.REPORT_TRIAGE_TOO_LONG.format(n=MAX_NOTE))
    locked = session.scalars(select(Report).where(Report.id == report.id).with_for_update()
                             .execution_options(populate_existing=True)).one()
    if locked.status != (was if was is not None else report.status) or locked.status == "draft":
        return Result(False, texts.REPORT_TRIAGE_CHANGED)
    if status not in NEXT.get(locked.status, ()):
        return Result(False, texts.REPORT_TRIAGE_BAD_STATUS)
    if status == "declined" and not note:
        return Result(False, texts.REPORT_TRIAGE_REASON)
    before = locked.status
    if status == "forwarded":
        assoc = session.get(Association, locked.association_id)
        if assoc is None or assoc.municipality_id is None:
            return Result(False, texts.REPORT_TRIAGE_NO_CITY)
        locked.forwarded_to, locked.forward_note, locked.forwarded_at = assoc.municipality_id, note or None, now
    if status == "declined":
        locked.status_reason = note
    locked.status = status
    locked.updated_at = now
    locked.closed_at = now if status in CLOSED_STATUSES else None
    session.add(ReportUpdate(report_id=locked.id, status=status, note=note or None, public=bool(public),
                             by_member_id=by_member.id if by_member else None,
                             by_staff_id=by_staff.id if by_staff else None, at=now))
    record(session, locked.association_id, by_member.id if by_member else None, "report.status",
           f"report:{locked.id}", at=now, before={"status": before}, after={"status": status},
           **({"staff": by_staff.id} if by_staff else {}))
    told = 0
    if public:
        to = followers(session, locked)
        if to:
            enqueue(session, locked.association_id, to, [{"type": "text", "text": push_text(locked, status, note)}],
                    purpose=f"report:{locked.id}", now=now)
            told = len(to)
    session.flush()
    return Result(True, pushed=told)


def assign(session: Session, report: Report, member: Optional[Member], by: Optional[Member],
           now: Optional[dt.datetime] = None) -> Result:
    """Makes `member` (an officer of the same association; None: nobody) responsible."""
    now = now or utcnow()
    if member is not None and (member.association_id != report.association_id or not member.is_officer):
        return Result(False, texts.REPORT_TRIAGE_BAD_ASSIGNEE)
    before = report.assigned_member_id
    report.assigned_member_id = member.id if member else None
    report.updated_at = now
    record(session, report.association_id, by.id if by else None, "report.assign", f"report:{report.id}", at=now,
           before={"assigned": before}, after={"assigned": report.assigned_member_id})
    session.flush()
    return Result(True)

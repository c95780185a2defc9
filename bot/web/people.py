"""承認待ち (/admin/approvals): registrations the roster did not settle — the name the applicant
typed, the 班 they chose, the roster households of that 班 with the closest names — approved to a
household (or a new one) or rejected with the same functions as the chat buttons
(handlers/registration/approvals.py: one conditional UPDATE decides, so the other officers'
buttons then answer 「すでに処理されています」). The applicant is told through the outbox.

A block leader sees and decides only the applicants of their own 班; the board sees them all.
Another association's applicant (or another 班's, for a block leader) is 404 and nothing changes.

The roles pages (役職, 年度替わり) are in people_roles.py and people_handover.py, registered here.
"""
from __future__ import annotations

import unicodedata

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.web.auth import ID, bp, id_arg, login_required, message, not_found
from handlers.messages import dates, texts
from handlers.registration.approvals import approve, reject
from models import Block, Household, Member, MemberStatus, utcnow
from models.roster import normalize_name
from bot.state import kairan


def _pending_query():
    q = select(Member).where(Member.association_id == g.member.association_id,
                             Member.status == MemberStatus.pending)
    if g.block_id is not None:
        q = q.where(Member.block_id == g.block_id)
    return q.order_by(Member.created_at, Member.id)


def _family(name: str) -> str:
    """The family name: what comes before the first space (「青木 次郎」 → 「青木」); '' if none."""
    parts = unicodedata.normalize("NFKC", name or "").split()
    return parts[0] if len(parts) > 1 else ""


def closest(block: Block | None, name: str) -> tuple[list[tuple[Household, str]], list[Household]]:
    """(the close households with why — same name first, then same family name —, the others)."""
    if block is None:
        return [], []
    key, family = normalize_name(name), _family(name)
    same = [h for h in block.households if normalize_name(h.name) == key]
    kin = [h for h in block.households if h not in same and family and _family(h.name) == family]
    close = [(h, texts.APPROVALS_SAME_NAME) for h in same] + [(h, texts.APPROVALS_SAME_FAMILY) for h in kin]
    picked = {h.id for h, _ in close}
    return close, [h for h in block.households if h.id not in picked]


def _applicant(member_id: int) -> Member | None:
    """The applicant, if this officer may decide on them (else None: the page answers 404)."""
    m = g.db.get(Member, member_id)
    if m is None or m.association_id != g.member.association_id:
        return None
    if g.block_id is not None and m.block_id != g.block_id:
        return None
    return m


@bp.get("/approvals")
@login_required
def approvals():
    tz = kairan().settings.timezone
    rows = []
    for m in g.db.scalars(_pending_query()):
        close, others = closest(m.block, m.name or "")
        rows.append({"id": m.id, "name": m.name or "", "block": m.block.name if m.block else "",
                     "since": dates.numeric(m.created_at, tz) if m.created_at else "",
                     "close": [(h.id, h.name, why) for h, why in close],
                     "others": [(h.id, h.name) for h in others]})
    return render_template("people/approvals.html", rows=rows, done=_done())


def _done() -> str:
    """The sentence after a decision (ids in the URL, never names: URLs end up in access logs)."""
    if request.args.get("done") == "rejected":
        return texts.APPROVALS_REJECTED
    mid = id_arg("m")
    m = g.db.get(Member, mid) if mid else None
    if request.args.get("done") != "approved" or m is None or m.association_id != g.member.association_id \
            or m.household is None or (g.block_id is not None and m.household.block_id != g.block_id):
        return ""
    return texts.APPROVALS_APPROVED.format(name=m.name or "", household=m.household.name)


def _decided_already():
    return message(texts.ALREADY_HANDLED, 409, texts.NAV_APPROVALS)


@bp.post(f"/approvals/<{ID}:member_id>/approve")
@login_required
def approvals_approve(member_id: int):
    target = _applicant(member_id)
    if target is None:
        return not_found()
    if target.status != MemberStatus.pending:
        return _decided_already()
    choice = request.form.get("household", "")
    if target.block_id is None:  # no 班 chosen: no household to offer (the chat's registration always asks)
        return message(texts.APPROVALS_PICK_FIRST, 400, texts.NAV_APPROVALS)
    household = None
    if choice != "new":
        hid = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 11 else 0
        household = g.db.get(Household, hid) if hid else None
        if household is None or household.association_id != g.member.association_id \
                or household.block_id != target.block_id:
            return message(texts.APPROVALS_PICK_FIRST, 400, texts.NAV_APPROVALS)
    if approve(g.db, target, household, g.member, utcnow(), kairan().settings) is None:
        return _decided_already()
    return redirect(url_for("admin.approvals", done="approved", m=target.id), 303)


@bp.post(f"/approvals/<{ID}:member_id>/reject")
@login_required
def approvals_reject(member_id: int):
    target = _applicant(member_id)
    if target is None:
        return not_found()
    if target.status != MemberStatus.pending:
        return _decided_already()
    if request.form.get("confirm") != "1":  # once more, with what it costs: nothing of them is kept
        return render_template("people/reject_confirm.html", id=target.id, name=target.name or "",
                               block=target.block.name if target.block else "")
    reason = (request.form.get("reason") or "").strip()[:100] or None  # told to the other officers, not kept
    if not reject(g.db, target, g.member, utcnow(), reason=reason):
        return _decided_already()
    return redirect(url_for("admin.approvals", done="rejected"), 303)


from bot.web import people_handover, people_roles  # noqa: E402,F401 - the roles pages register on bp too

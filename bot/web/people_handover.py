"""年度替わり (/admin/handover): the chair's one form for the new year — for each 班 the new 班長
(from that 班's active members, or unchanged) and optionally a new chair; a confirm page of who
gains and who loses a role; then, in one transaction: the outgoing block leaders of those 班 and
the outgoing chair become members, the new ones get their roles, everyone affected is told in chat
(outbox), each change is audited, and when the chair changes the association registry's chair
fields (chair_name, chair_since, the predecessor; the old chair's contact fields cleared, as the
chat's 会長交代 does) are written with its history (models/registry.apply_changes).

The chair only. The chair rule holds (models/roles.py): a plan that would leave no chair is refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import bp, login_required, message, not_found
from bot.web.nav import chair
from bot.web.people_roles import active_members, announce, blocks, member_label, refusal, role_words
from bot.web.registry import member_actor
from handlers.messages import dates, texts
from models import Association, Member, MemberStatus, Role, utcnow
from models.audit import record
from models.registry import apply_changes, entry_of, values
from models.roles import RoleRefused, active_chairs, apply_roles


@dataclass
class Plan:
    wanted: list[tuple[Member, Role, int | None]]
    new_chair: Member | None
    picks: dict[str, str]  # the form's fields, carried to the confirm page and back


def _chair_only():
    return message(texts.HANDOVER_CHAIR_ONLY, 403, texts.NAV_HANDOVER)


def _home(m: Member) -> int | None:
    return m.household.block_id if m.household else m.block_id


def _leaders(block_id: int) -> list[Member]:
    return list(g.db.scalars(select(Member).where(
        Member.association_id == g.member.association_id, Member.status == MemberStatus.active,
        Member.role == Role.block_leader, Member.block_id == block_id).order_by(Member.id)))


def _pick(name: str) -> int | None | bool:
    """A picker's value: None = unchanged, an id, or False when it is no id at all."""
    v = request.form.get(name, "")
    if v == "":
        return None
    return int(v) if v.isascii() and v.isdigit() and len(v) < 11 and int(v) > 0 else False


def _plan() -> Plan | str | None:
    """The form as a plan; a sentence when it cannot be done; None when an id is not ours (404)."""
    aid = g.member.association_id
    members = {m.id: m for m in active_members()}
    wanted: dict[int, tuple[Member, Role, int | None]] = {}
    picks: dict[str, str] = {}
    chosen: list[Member] = []
    for b in blocks():
        pid = _pick(f"block_{b.id}")
        if pid is None:
            continue
        new = members.get(pid) if pid else None
        if new is None or _home(new) != b.id:
            return None
        picks[f"block_{b.id}"] = str(new.id)
        chosen.append(new)
        for old in _leaders(b.id):
            if old.id != new.id:
                wanted[old.id] = (old, Role.member, None)
        wanted[new.id] = (new, Role.block_leader, b.id)
    cid = _pick("chair")
    new_chair = None
    if cid is not None:
        new_chair = members.get(cid) if cid else None
        if new_chair is None:
            return None
        picks["chair"] = str(new_chair.id)
        chosen.append(new_chair)
        for old in active_chairs(g.db, aid):
            if old.id != new_chair.id and old.id not in wanted:
                wanted[old.id] = (old, Role.member, None)
        wanted[new_chair.id] = (new_chair, Role.chair, None)
    seen: set[int] = set()
    for m in chosen:
        if m.id in seen:
            return texts.HANDOVER_TWICE.format(name=m.name or "")
        seen.add(m.id)
    return Plan([w for w in wanted.values() if (w[0].role, w[0].block_id) != (w[1], w[2])
                 and not (w[1] == w[0].role != Role.block_leader)], new_chair, picks)


def _form(error: str = "", status: int = 200, picks: dict[str, str] | None = None):
    names = {b.id: b.name for b in blocks()}
    everyone = active_members()
    rows = []
    for b in blocks():
        rows.append({"id": b.id, "name": b.name, "now": [m.name or "" for m in _leaders(b.id)],
                     "members": [(m.id, m.name or "") for m in everyone if _home(m) == b.id]})
    n = request.args.get("done", "")
    done = texts.HANDOVER_DONE.format(n=int(n)) if n.isascii() and n.isdigit() and len(n) < 5 else ""
    return render_template("people/handover.html", rows=rows, error=error, picks=picks or {}, done=done,
                           chairs=[m.name or "" for m in active_chairs(g.db, g.member.association_id)],
                           everyone=[(m.id, member_label(m, names)) for m in everyone]), status


@bp.get("/handover")
@login_required
def handover():
    if not chair(g.member):
        return _chair_only()
    return _form()


def _today():
    return dates.local(utcnow(), kairan().settings.timezone).date()


@bp.post("/handover/confirm")
@login_required
def handover_confirm():
    if not chair(g.member):
        return _chair_only()
    plan = _plan()
    if plan is None:
        return not_found()
    if isinstance(plan, str):
        return _form(plan, 400)
    lines = [(m, texts.HANDOVER_CHANGE.format(name=m.name or "", before=role_words(g.db, m.role, m.block_id),
                                               after=role_words(g.db, role, bid))) for m, role, bid in plan.wanted]
    gains = [t for (m, role, _), (_, t) in zip(plan.wanted, lines) if role != Role.member]
    loses = [t for (m, role, _), (_, t) in zip(plan.wanted, lines) if role == Role.member]
    since = _today()
    registry = texts.HANDOVER_REGISTRY.format(
        name=plan.new_chair.name or "", since=texts.DATE_FULL.format(year=since.year, month=since.month, day=since.day)) \
        if plan.new_chair is not None and plan.new_chair.role != Role.chair else ""
    return render_template("people/handover_confirm.html", gains=gains, loses=loses, registry=registry,
                           picks=plan.picks)


@bp.post("/handover/apply")
@login_required
def handover_apply():
    if not chair(g.member):
        return _chair_only()
    plan = _plan()
    if plan is None:
        return not_found()
    if isinstance(plan, str):
        return _form(plan, 400)
    aid = g.member.association_id
    actor = g.member
    chair_changes = plan.new_chair is not None and plan.new_chair.role != Role.chair
    try:
        done = apply_roles(g.db, aid, plan.wanted)
    except RoleRefused as e:  # nothing was changed
        return _form(refusal(g.db, e), 400, plan.picks)
    announce(g.db, done, actor, notice=texts.ROLE_NOTICE_HANDOVER)
    if chair_changes:
        assoc = g.db.get(Association, aid)
        now = values(assoc, entry_of(g.db, aid))
        olds = [c.member.name for c in done if c.before_role == Role.chair and c.member.name]
        changes = {"chair_name": plan.new_chair.name, "chair_since": _today(), "chair_kana": None,
                   "chair_phone": None, "chair_postcode": None, "chair_address": None,
                   "predecessor_name": now["chair_name"] or (olds[0] if olds else None),
                   "predecessor_contact": now["chair_phone"] or now["chair_address"]}
        written = apply_changes(g.db, assoc, changes, member_actor(actor, "web"))
        record(g.db, aid, actor.id, "registry.chair_change", f"association:{aid}", fields=len(written))
    record(g.db, aid, actor.id, "handover.apply", f"association:{aid}", changed=len(done))
    return redirect(url_for("admin.handover", done=len(done)), 303)

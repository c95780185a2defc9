"""役職 (/admin/roles): who has which role; make a member a block leader (of which 班), officer,
disaster officer or chair; take a role away. For the chair and the 役員 (bot/web/nav.py
`role_keepers`). Members are picked by name and 班 — never by LINE user id.

The rule (models/roles.py): at least one active chair remains; a change that would leave none is
refused with a sentence. Each change is audited (役職: before → after) and the member is told in
chat (one push through the outbox); it takes effect on their next tap.
"""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.web.auth import ID, bp, id_arg, login_required, message, not_found
from bot.web.nav import role_keepers
from handlers.messages import builders as msg, texts
from models import Block, Member, MemberStatus, Role, utcnow
from models.audit import record
from models.messaging import enqueue
from models.roles import GRANTABLE, RoleChange, RoleRefused, apply_roles, with_roles
from models.richmenus import enqueue_relink


def role_words(session, role: Role, block_id: int | None) -> str:
    """「会長」, 「2班の班長」…"""
    label = texts.ROLE_LABELS.get(role.value, role.value)
    if role == Role.block_leader and block_id is not None:
        block = session.get(Block, block_id)
        if block is not None:
            return texts.ROLE_IN_BLOCK.format(block=block.name, role=label)
    return label


def announce(session, changes: list[RoleChange], actor: Member, action: str = "role.change",
             notice: str = texts.ROLE_NOTICE) -> None:
    """Audit each change (before → after) and tell each member in chat (one push each, outbox)."""
    now = utcnow()
    for c in changes:
        before, after = role_words(session, c.before_role, c.before_block_id), role_words(session, c.role, c.block_id)
        m = c.member
        record(session, m.association_id, actor.id, action, f"member:{m.id}", at=now,
               before={"role": before}, after={"role": after})
        if m.line_user_id:
            enqueue(session, m.association_id, [m.line_user_id], [msg.text(notice.format(before=before, after=after))],
                    purpose=f"role:{m.id}", now=now)
    enqueue_relink(session, actor.association_id, [c.member.id for c in changes], now=now)  # their new menus


def refusal(session, e: RoleRefused) -> str:
    if e.reason == "last_chair":
        return texts.ROLES_LAST_CHAIR
    if e.reason == "no_block":
        return texts.ROLES_NO_BLOCK.format(name=e.member.name if e.member else "")
    return texts.ROLES_BAD_CHOICE


def _keepers_only():
    return message(texts.ROLES_KEEPERS_ONLY, 403, texts.NAV_ROLES)


def blocks() -> list[Block]:
    return list(g.db.scalars(select(Block).where(Block.association_id == g.member.association_id)
                             .order_by(Block.position, Block.id)))


def active_members() -> list[Member]:
    """The association's active members, by 班 and name (what the pickers list)."""
    rows = g.db.scalars(select(Member).where(Member.association_id == g.member.association_id,
                                             Member.status == MemberStatus.active)).all()
    pos = {b.id: (b.position, b.id) for b in blocks()}

    def home(m: Member):
        return m.household.block_id if m.household else m.block_id
    return sorted(rows, key=lambda m: (pos.get(home(m), (1 << 30, 0)), m.name or "", m.id))


def member_label(m: Member, names: dict[int, str]) -> str:
    """「佐藤 花子（1班）」: how a member is picked — by name and 班."""
    bid = m.household.block_id if m.household else m.block_id
    return texts.ROLES_MEMBER_LABEL.format(name=m.name or "", block=names[bid]) if bid in names else m.name or ""


def _page(error: str = "", status: int = 200):
    names = {b.id: b.name for b in blocks()}
    holders = [{"id": m.id, "name": m.name or "", "block": names.get(m.household.block_id if m.household else m.block_id, ""),
                "role": role_words(g.db, m.role, m.block_id)} for m in with_roles(g.db, g.member.association_id)]
    done = ""
    mid = id_arg("done")
    shown = g.db.get(Member, mid) if mid else None
    if shown is not None and shown.association_id == g.member.association_id and request.args.get("from") in texts.ROLE_LABELS:
        before = texts.ROLE_LABELS[request.args["from"]]
        done = texts.ROLES_DONE.format(name=shown.name or "", before=before, after=role_words(g.db, shown.role, shown.block_id))
    return render_template("people/roles.html", holders=holders, error=error, done=done,
                           members=[(m.id, member_label(m, names)) for m in active_members()],
                           roles=[(r.value, texts.ROLE_LABELS[r.value]) for r in GRANTABLE],
                           blocks=list(names.items())), status


@bp.get("/roles")
@login_required
def roles():
    if not role_keepers(g.member):
        return _keepers_only()
    return _page()


def _mine(member_id: int | None) -> Member | None:
    m = g.db.get(Member, member_id) if member_id else None
    if m is None or m.association_id != g.member.association_id or m.status != MemberStatus.active:
        return None
    return m


def _form_id(name: str) -> int | None:
    v = request.form.get(name, "")
    return int(v) if v.isascii() and v.isdigit() and 0 < len(v) < 11 and int(v) > 0 else None


def _change(member: Member, role: Role, block_id: int | None):
    if Role.chair in (role, member.role) and g.member.role != Role.chair:
        # the chair's role is the chair's to give or to take (as 会長交代 and 年度替わり are):
        # an 役員 must not make themselves chair and then demote the chair
        return message(texts.ROLES_CHAIR_ONLY, 403, texts.NAV_ROLES)
    before = member.role.value
    try:
        done = apply_roles(g.db, g.member.association_id, [(member, role, block_id)])
    except RoleRefused as e:  # nothing was changed
        return _page(refusal(g.db, e), 400)
    if not done:
        return _page(texts.ROLES_UNCHANGED.format(name=member.name or "", role=role_words(g.db, member.role, member.block_id)))
    announce(g.db, done, g.member)
    return redirect(url_for("admin.roles", done=member.id, **{"from": before}), 303)


@bp.post("/roles/set")
@login_required
def roles_set():
    if not role_keepers(g.member):
        return _keepers_only()
    member = _mine(_form_id("member"))
    if member is None:
        return not_found()
    role = next((r for r in GRANTABLE if r.value == request.form.get("role")), None)
    if role is None:
        return _page(texts.ROLES_BAD_CHOICE, 400)
    block_id = None
    if role == Role.block_leader and request.form.get("block"):
        block_id = _form_id("block")
        block = g.db.get(Block, block_id) if block_id else None
        if block is None or block.association_id != g.member.association_id:
            return not_found()
    return _change(member, role, block_id)


@bp.post(f"/roles/<{ID}:member_id>/revoke")
@login_required
def roles_revoke(member_id: int):
    if not role_keepers(g.member):
        return _keepers_only()
    member = _mine(member_id)
    if member is None:
        return not_found()
    return _change(member, Role.member, None)

"""名簿 (/admin/roster): the roster by 班, households and members; and 要確認世帯 (/admin/needs-check).

Who may do what (docs/dashboard-roster.md):
- the board (会長・役員・防災担当) sees every 班 and may do everything here;
- a block leader (班長) sees their own 班 only (any other id answers 404) and may correct a
  household of it (name, 紙で受け取る, 要支援), add one to it, and correct a member's name and
  household within it; moving a household or a member to another 班, removing a household and
  erasing a member are the board's (403).

Removing a household withdraws its members and erases their personal data exactly as 退会 in
chat does (models.erasure.erase_household → erase_traces + erase_member); erasing one member the
same for that member. Every change is one audit row with before → after.
The CSV import and export are bot/web/roster_import.py.
"""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import ID, bp, household_in_scope, login_required, not_found
from bot.web.roster_ops import board_only, forget_code_attempts, protected, remove_household
from handlers.messages import dates, texts
from models import Block, Household, Member, MemberStatus, Role, utcnow
from models.audit import changes, record
from models.erasure import erase_traces
from models.households import needs_check, registered_counts
from models.roster import erase_member, new_join_code, normalize_name
from models.richmenus import enqueue_relink

MAX_NAME = 100  # households.name, members.name
LISTED = (MemberStatus.active, MemberStatus.pending, MemberStatus.unfollowed, MemberStatus.registering)


# --- lookups, scoped to the signed-in officer ------------------------------------------------


def blocks_shown() -> list[Block]:
    q = select(Block).where(Block.association_id == g.member.association_id)
    if g.block_id is not None:
        q = q.where(Block.id == g.block_id)
    return list(g.db.scalars(q.order_by(Block.position, Block.id)))




def member_or_none(member_id: int) -> Member | None:
    m = g.db.get(Member, member_id)
    if m is None or m.association_id != g.member.association_id or m.status not in LISTED:
        return None
    if g.block_id is not None and _block_of(m) != g.block_id:
        return None
    return m


def _block_of(m: Member) -> int | None:
    return m.household.block_id if m.household is not None else m.block_id


def registered_label(n: int) -> str:
    return texts.ROSTER_REGISTERED[min(n, 3)]


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {m.id: m.name or texts.AUDIT_GONE for m in g.db.scalars(select(Member).where(
        Member.id.in_(ids), Member.association_id == g.member.association_id))}


def paper_note(h: Household, names: dict[int, str], tz: str) -> str:
    """「山田 太郎さんが 12月2日に設定」: who last set or cleared 紙で受け取る, and when."""
    if h.paper_at is None:
        return ""
    if h.paper_by_id is None:  # the roster file (CLI import, the demo)
        return texts.ROSTER_PAPER_BY_FILE.format(date=dates.date(h.paper_at, tz))
    return texts.ROSTER_PAPER_BY.format(who=names.get(h.paper_by_id, texts.AUDIT_GONE), date=dates.date(h.paper_at, tz))


def delivery_label(h: Household, registered: int) -> str:
    if h.paper:
        return texts.ROSTER_PAPER
    return texts.ROSTER_LINE if registered else texts.ROSTER_LINE_NONE


# --- the roster ----------------------------------------------------------------------------


@bp.get("/roster")
@login_required
def roster():
    tz = kairan().settings.timezone
    aid = g.member.association_id
    counts = registered_counts(g.db, aid)
    blocks = blocks_shown()
    households = list(g.db.scalars(select(Household).where(
        Household.association_id == aid, Household.block_id.in_([b.id for b in blocks]))
        .order_by(Household.id)))
    names = _names({h.paper_by_id for h in households if h.paper_by_id})
    members: dict[int, list[Member]] = {}
    for m in g.db.scalars(select(Member).where(Member.association_id == aid, Member.status.in_(LISTED),
                                               Member.household_id.in_([h.id for h in households]))
                          .order_by(Member.id)):
        members.setdefault(m.household_id, []).append(m)
    by_block = []
    for b in blocks:
        rows = [{"h": h, "registered": registered_label(counts.get(h.id, 0)), "paper_note": paper_note(h, names, tz),
                 "delivery": delivery_label(h, counts.get(h.id, 0)),
                 "members": [{"m": m, "role": texts.ROLE_LABELS.get(m.role, ""),
                              "status": texts.ROSTER_STATUS.get(m.status.value, m.status.value),
                              "since": dates.date(m.consent_at or m.created_at, tz)} for m in members.get(h.id, [])]}
                for h in households if h.block_id == b.id]
        by_block.append({"b": b, "rows": rows})
    done = {k: request.args.get(k, "") for k in ("added", "changed", "removed")}
    imported = all(v.isascii() and v.isdigit() and len(v) <= 6 for v in done.values()) and \
        request.args.get("done") == "import"
    return render_template("roster/roster.html", blocks=by_block, board=g.member.is_board,
                           imported=done if imported else None, saved=request.args.get("done") in ("edit", "add",
                                                                                                    "remove", "erase"))


# --- households ----------------------------------------------------------------------------


def _flag(name: str) -> bool:
    return request.form.get(name) == "1"


def _form_name(field: str = "name") -> str | None:
    name = request.form.get(field, "").strip()  # as typed (a full-width space stays one)
    return name if normalize_name(name) and len(name) <= MAX_NAME else None


def _form_block() -> Block | None:
    raw = request.form.get("block", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    b = g.db.get(Block, int(raw))
    return b if b is not None and b.association_id == g.member.association_id else None


def _household_form(h: Household | None, error: str = "", status: int = 200):
    blocks = blocks_shown()
    return render_template("roster/household_edit.html", h=h, blocks=blocks, error=error,
                           board=g.member.is_board), status


def _set_paper(h: Household, paper: bool) -> None:
    if h.paper != paper:
        h.paper, h.paper_by_id, h.paper_at = paper, g.member.id, utcnow()


@bp.route(f"/households/<{ID}:household_id>/edit", methods=["GET", "POST"])
@login_required
def household_edit(household_id: int):
    h = household_in_scope(household_id)
    if h is None:
        return not_found()
    if request.method == "GET":
        return _household_form(h)
    name, block = _form_name(), _form_block()
    if block is None and "block" in request.form:
        return not_found()  # a 班 of another association (or none at all)
    block = block or h.block
    if g.block_id is not None and block.id != g.block_id:
        return board_only()  # a block leader does not move households out of their 班
    if name is None:
        return _household_form(h, texts.ROSTER_NAME_NEEDED, 400)
    new = {"name": name, "block": block.name, "paper": _flag("paper"), "needs_support": _flag("needs_support")}
    old = {"name": h.name, "block": h.block.name, "paper": h.paper, "needs_support": h.needs_support}
    before = {k: v for k, v in old.items() if new[k] != v}
    if before:
        h.name, h.needs_support = name, new["needs_support"]
        if block.id != h.block_id:
            h.block = block
            for m in h.members:  # its members' 班 follows (a block leader's is the 班 they lead)
                if m.role != Role.block_leader and m.status != MemberStatus.withdrawn:
                    m.block_id = block.id
        _set_paper(h, new["paper"])
        record(g.db, g.member.association_id, g.member.id, "household.update", f"household:{h.id}",
               before=before, after={k: new[k] for k in before})
    return redirect(url_for("admin.roster", done="edit") + f"#h{h.id}", 303)


@bp.route("/households/new", methods=["GET", "POST"])
@login_required
def household_new():
    if request.method == "GET":
        return _household_form(None)
    name, block = _form_name(), _form_block()
    if block is None or (g.block_id is not None and block.id != g.block_id):
        return not_found()
    if name is None:
        return _household_form(None, texts.ROSTER_NAME_NEEDED, 400)
    paper = _flag("paper")
    h = Household(association_id=g.member.association_id, block_id=block.id, name=name, on_line=not paper,
                  needs_support=_flag("needs_support"), join_code=new_join_code(g.db), origin="roster")
    if paper:
        h.paper, h.paper_by_id, h.paper_at = True, g.member.id, utcnow()
    g.db.add(h)
    g.db.flush()
    record(g.db, g.member.association_id, g.member.id, "household.add", f"household:{h.id}",
           after={"name": name, "block": block.name, "paper": paper, "needs_support": h.needs_support})
    return redirect(url_for("admin.roster", done="add") + f"#h{h.id}", 303)


@bp.post(f"/households/<{ID}:household_id>/paper")
@login_required
def household_paper(household_id: int):
    """[紙で届ける] on the 要確認世帯 list: one tap sets 紙で受け取る (with who and when)."""
    h = household_in_scope(household_id)
    if h is None:
        return not_found()
    paper = request.form.get("paper", "1") == "1"
    if h.paper != paper:
        before = {"paper": h.paper}
        _set_paper(h, paper)
        record(g.db, g.member.association_id, g.member.id, "household.paper", f"household:{h.id}",
               before=before, after={"paper": paper})
    return redirect(url_for("admin.needs_check", done=h.id), 303)


@bp.route(f"/households/<{ID}:household_id>/remove", methods=["GET", "POST"])
@login_required
def household_remove(household_id: int):
    h = household_in_scope(household_id)
    if h is None:
        return not_found()
    if not g.member.is_board:
        return board_only()
    why = protected(h)
    members = [m for m in h.members if m.status != MemberStatus.withdrawn]
    if request.method == "GET" or why or request.form.get("confirm") != "1":
        return render_template("roster/household_remove.html", h=h, members=members, why=why), 400 if (
            request.method == "POST") else 200
    remove_household(h, "roster")
    return redirect(url_for("admin.roster", done="remove"), 303)


# --- members -------------------------------------------------------------------------------


def _member_form(m: Member, error: str = "", status: int = 200):
    blocks = blocks_shown()
    households = g.db.scalars(select(Household).where(
        Household.association_id == g.member.association_id, Household.block_id.in_([b.id for b in blocks]))
        .order_by(Household.block_id, Household.id)).all()
    choices = [{"b": b, "households": [h for h in households if h.block_id == b.id]} for b in blocks]
    return render_template("roster/member_edit.html", m=m, choices=choices, error=error,
                           board=g.member.is_board), status


@bp.route(f"/members/<{ID}:member_id>/edit", methods=["GET", "POST"])
@login_required
def member_edit(member_id: int):
    """Corrections the privacy notice promises: a member's name, and their household (so their 班)."""
    m = member_or_none(member_id)
    if m is None:
        return not_found()
    if request.method == "GET":
        return _member_form(m)
    name = _form_name()
    household = m.household
    raw = request.form.get("household", "")
    if raw:
        household = household_in_scope(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
        if household is None:
            return not_found()  # of another association, or (a block leader) of another 班
    if name is None:
        return _member_form(m, texts.ROSTER_NAME_NEEDED, 400)
    label = (lambda h: f"{h.block.name} {h.name}" if h is not None else "")
    before, after = changes(m, {"name": name})
    if household is not m.household:
        before["household"], after["household"] = label(m.household), label(household)
        m.household = household
        if m.role != Role.block_leader:
            m.block_id = household.block_id
    m.name = name
    if before:
        record(g.db, g.member.association_id, g.member.id, "member.edit", f"member:{m.id}", before=before, after=after)
    return redirect(url_for("admin.roster", done="edit") + (f"#h{m.household_id}" if m.household_id else ""), 303)


@bp.route(f"/members/<{ID}:member_id>/erase", methods=["GET", "POST"])
@login_required
def member_erase(member_id: int):
    """Erase a member on request: exactly 退会 (handlers/registration/withdrawal.py), by an officer."""
    m = member_or_none(member_id)
    if m is None:
        return not_found()
    if not g.member.is_board:
        return board_only()
    why = texts.ROSTER_REMOVE_SELF if m.id == g.member.id else (texts.ROSTER_REMOVE_CHAIR if m.role == Role.chair else "")
    if request.method == "GET" or why or request.form.get("confirm") != "1":
        return render_template("roster/member_erase.html", m=m, why=why), 400 if request.method == "POST" else 200
    record(g.db, g.member.association_id, g.member.id, "member.erase", f"member:{m.id}", via="roster")
    forget_code_attempts(m)
    erase_traces(g.db, m, utcnow(), redacted=texts.WITHDRAWN_NAME)
    enqueue_relink(g.db, m.association_id, [m.id])  # back to the default menu (before the id goes)
    own_household = erase_member(m)
    if own_household is not None:  # made for this member at approval: it held only their name
        g.db.delete(own_household)
    return redirect(url_for("admin.roster", done="erase"), 303)


# --- 要確認世帯 ------------------------------------------------------------------------------


@bp.get("/needs-check", endpoint="needs_check")
@login_required
def needs_check_page():
    rows = needs_check(g.db, g.member.association_id, g.block_id)
    by_block = [{"b": b, "rows": [h for h in rows if h.block_id == b.id]} for b in blocks_shown()]
    done = request.args.get("done", "")
    saved = None
    if done.isascii() and done.isdigit() and len(done) <= 10:
        h = household_in_scope(int(done))
        saved = h.name if h is not None else None
    return render_template("roster/needs_check.html", blocks=[b for b in by_block if b["rows"]], total=len(rows),
                           saved=saved)




# the CSV import and export (board only) register on bp too; importing them here keeps bot/app.py as it is
from bot.web import roster_import  # noqa: E402

SUB_PAGES = (roster_import,)

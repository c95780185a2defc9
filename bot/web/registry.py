"""The association registry (自治会台帳) on the officers' pages: /admin/registry/<id> shows the entry
and its history, /admin/registry/<id>/edit changes it (CSRF token: Flask-WTF's FlaskForm).

Routes live on `bot.web.auth.bp`, behind its `login_required`; only the association's board
(chair, officers, 防災担当) opens them — a block leader gets a refusal, a resident cannot sign
in at all. The id in the URL must be the officer's own association (anything else: 404), so a
link copied from another association shows nothing. Every change goes through
models.registry.apply_changes, which writes the history shown on the page.

The city's pages of the same entries (bot/web/city_registry.py) reuse the partials of
templates/registry/ and the functions below (`sections`, `history_rows`).
"""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from bot.registry_csv import form_text, hint, parse_form, show
from bot.state import kairan
from bot.web.auth import ID, bp, login_required, message, not_found
from handlers.messages import dates, texts
from models import BOARD_ROLES, Association, Member
from models.registry import BY_KEY, FIELDS, Actor, apply_changes, decode, entry_of, history, values

HISTORY_SHOWN = 200
# the page's groups of fields (texts.REGISTRY_SECTIONS), each field in exactly one
SECTIONS = {
    "association": ("name", "name_kana", "status", "area"),
    "chair": ("chair_name", "chair_kana", "chair_postcode", "chair_address", "chair_phone", "chair_since"),
    "predecessor": ("predecessor_name", "predecessor_contact"),
    "circular": ("circular_name", "circular_address", "circular_phone"),
    "poster": ("poster_name", "poster_address", "poster_phone"),
    "numbers": ("circular_copies", "poster_copies", "households", "group_count", "boards"),
    "other": ("federation", "apartment", "notes"),
}
assert sorted(k for keys in SECTIONS.values() for k in keys) == sorted(f.key for f in FIELDS)


class EditForm(FlaskForm):
    """Only the CSRF token: the fields are the registry's table (models.registry.FIELDS)."""

    class Meta:
        csrf_time_limit = 8 * 3600  # as long as the sign-in: an officer may type slowly


def sections(vals: dict, typed: dict | None = None, errors: dict | None = None) -> list[dict]:
    """The fields by section, each with what the page shows and what its input holds."""
    out = []
    for name, keys in SECTIONS.items():
        rows = []
        for key in keys:
            f = BY_KEY[key]
            rows.append({"key": key, "label": texts.REGISTRY_FIELDS[key], "kind": f.kind, "personal": f.personal,
                         "shown": show(key, vals[key]),
                         "input": (typed or {}).get(key, form_text(key, vals[key])),
                         "hint": hint(key), "error": (errors or {}).get(key), "size": f.size,
                         "choices": choices(key)})
        out.append({"title": texts.REGISTRY_SECTIONS[name], "rows": rows})
    return out


def choices(key: str) -> list[tuple[str, str]]:
    kind = BY_KEY[key].kind
    if kind == "flag":
        yes, no = texts.REGISTRY_FLAG_WORDS[key]
        return [("", texts.REGISTRY_CHOOSE), ("1", yes), ("0", no)]
    if kind == "status":
        return list(texts.REGISTRY_STATUS_WORDS.items())
    return []


def history_rows(session, association_id: int) -> list[dict]:
    tz = kairan().settings.timezone
    rows = []
    for c in history(session, association_id, limit=HISTORY_SHOWN):
        label = texts.REGISTRY_FIELDS.get(c.field, c.field)
        before = show(c.field, decode(c.field, c.before)) if c.field in BY_KEY else c.before or ""
        after = show(c.field, decode(c.field, c.after)) if c.field in BY_KEY else c.after or ""
        rows.append({"at": dates.numeric(c.at, tz), "who": c.actor_label,
                     "via": texts.REGISTRY_VIA.get(c.via, c.via), "field": label,
                     "before": before or texts.REGISTRY_EMPTY, "after": after or texts.REGISTRY_EMPTY})
    return rows


def member_actor(member: Member, via: str) -> Actor:
    label = texts.REGISTRY_ACTOR_MEMBER.format(name=member.name or texts.REGISTRY_NO_NAME,
                                               role=texts.ROLE_LABELS.get(member.role, ""))
    return Actor("member", label, via, member_id=member.id)


def _own(association_id: int):
    """The officer's own association, if the URL names it and the officer is on its board."""
    if association_id != g.member.association_id:
        return None
    return g.db.get(Association, association_id)


@bp.app_context_processor
def _registry_nav() -> dict:
    """The navigation bar shows 台帳 to the board: g.header holds plain strings only (a page may be
    rendered after its session closed), so the role is recognised by its label."""
    return {"registry_roles": {texts.ROLE_LABELS[r.value] for r in BOARD_ROLES}}


def _board_only():
    return message(texts.REGISTRY_BOARD_ONLY, 403, texts.REGISTRY_TITLE)


@bp.get("/registry")
@login_required
def registry_home():
    if not g.member.is_board:
        return _board_only()
    return redirect(url_for("admin.registry", association_id=g.member.association_id), 303)


@bp.get(f"/registry/<{ID}:association_id>")
@login_required
def registry(association_id: int):
    if not g.member.is_board:
        return _board_only()
    assoc = _own(association_id)
    if assoc is None:
        return not_found()
    vals = values(assoc, entry_of(g.db, assoc.id))
    saved = request.args.get("saved", "")
    return render_template("registry/view.html", assoc=assoc, sections=sections(vals),
                           history=history_rows(g.db, assoc.id), shown=HISTORY_SHOWN,
                           saved=int(saved) if saved.isdigit() and len(saved) < 4 else None)


@bp.route(f"/registry/<{ID}:association_id>/edit", methods=["GET", "POST"])
@login_required
def registry_edit(association_id: int):
    if not g.member.is_board:
        return _board_only()
    assoc = _own(association_id)
    if assoc is None:
        return not_found()
    form = EditForm()
    vals = values(assoc, entry_of(g.db, assoc.id))
    if request.method == "GET":
        return render_template("registry/edit.html", assoc=assoc, form=form, sections=sections(vals))
    if not form.validate_on_submit():  # no or a stale CSRF token: nothing is written
        return message(texts.ADMIN_CROSS_SITE, 400, texts.REGISTRY_TITLE)
    changes, errors = parse_form(request.form)
    if errors:
        typed = {f.key: request.form.get(f.key, "") for f in FIELDS}
        return render_template("registry/edit.html", assoc=assoc, form=form, errors=True,
                               sections=sections(vals, typed, errors)), 400
    written = apply_changes(g.db, assoc, changes, member_actor(g.member, "web"))
    return redirect(url_for("admin.registry", association_id=assoc.id, saved=len(written)), 303)

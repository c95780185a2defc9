"""名簿CSV in the browser: the yearly renewal (年度更新) and the export. The board only.

1. GET /admin/roster/import: the upload form (UTF-8, UTF-8 with BOM, or Shift_JIS as Excel saves
   it; the CLI's header `班,氏名,LINE,要支援`: bot/roster_csv.py).
2. POST /admin/roster/import: the preview — households added / changed / removed (those of the
   association the file does not name) — computed by `roster_csv.plan`: NOTHING is written.
   The page carries the file's text back in a hidden field, signed (itsdangerous, the app's
   SECRET_KEY) with a salt naming the association and the officer: a form of another association,
   or an edited text, fails the signature (400) and changes nothing. Signed forms last an hour.
3. POST /admin/roster/import/apply: the same rows applied (`roster_csv.apply`); the removals only
   with the box ticked that states their count, and only if the count is still the one confirmed
   (else nothing is written: 409). Each removed household's members are withdrawn and erased as
   on 退会 (bot.web.roster_ops.remove_household). A household with the chair, or the signed-in officer,
   is never removed this way (the preview says it stays).

GET /admin/roster.csv: the roster as UTF-8 CSV with a BOM (roster_csv.export); audited.
"""
from __future__ import annotations

from flask import Response, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot import roster_csv
from bot.state import kairan
from bot.web.auth import bp, login_required, message
from bot.web.csv_safe import download_headers
from bot.web.roster_ops import board_only, protected, remove_household
from handlers.messages import dates, texts
from models import Association, MemberStatus, utcnow
from models.audit import record

MAX_BYTES = 1024 * 1024
SIGNED_FOR = 3600  # seconds a preview may be applied


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt=f"roster-import:{g.member.association_id}:{g.member.id}")


def _form(error: str = "", status: int = 200):
    return render_template("roster/import.html", error=error), status


def _removals(result: roster_csv.ImportResult) -> tuple[list[dict], int]:
    """The households the file does not name: which go (and how many members with them), which stay."""
    out, members = [], 0
    for h in result.left:
        why = protected(h)
        n = len([m for m in h.members if m.status != MemberStatus.withdrawn])
        if not why:
            members += n
        kept = texts.IMPORT_KEPT_SELF if why == texts.ROSTER_REMOVE_SELF else texts.IMPORT_KEPT_CHAIR
        out.append({"h": h, "members": n, "why": why, "kept": kept if why else ""})
    return out, members


@bp.route("/roster/import", methods=["GET", "POST"])
@login_required
def roster_import():
    if not g.member.is_board:
        return board_only()
    if request.method == "GET":
        return _form()
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    if not data:
        return _form(texts.IMPORT_NO_FILE, 400)
    if len(data) > MAX_BYTES:
        return _form(texts.IMPORT_TOO_BIG, 400)
    try:
        text = roster_csv.decode(data)
        rows = roster_csv.parse(text)
    except roster_csv.RosterError as e:
        return _form(str(e), 400)
    assoc = g.db.get(Association, g.member.association_id)
    result = roster_csv.plan(g.db, assoc, rows)
    removals, members = _removals(result)
    going = [r for r in removals if not r["why"]]
    return render_template("roster/import_preview.html", result=result, removals=removals, going=len(going),
                           members=members, signed=_signer().dumps(text))


@bp.post("/roster/import/apply")
@login_required
def roster_import_apply():
    if not g.member.is_board:
        return board_only()
    try:
        text = _signer().loads(request.form.get("data", ""), max_age=SIGNED_FOR)
        rows = roster_csv.parse(text) if isinstance(text, str) else None
    except (BadSignature, roster_csv.RosterError):
        rows = None
    if rows is None:
        return message(texts.IMPORT_BAD_FORM, 400, texts.ROSTER_IMPORT)
    keep = request.form.get("mode") == "keep"
    confirmed = request.form.get("remove", "")
    assoc = g.db.get(Association, g.member.association_id)
    # the count to confirm is the one the preview showed: checked before anything is written
    going = [h for h in roster_csv.plan(g.db, assoc, rows).left if not protected(h)]
    if not keep and going and confirmed != str(len(going)):
        stale = confirmed.isdigit()
        return message(texts.IMPORT_STALE if stale else texts.IMPORT_CONFIRM_NEEDED, 409 if stale else 400,
                       texts.ROSTER_IMPORT)
    result = roster_csv.apply(g.db, assoc, rows, actor_id=g.member.id)
    removed = 0
    if not keep:
        for h in [h for h in result.left if not protected(h)]:
            remove_household(h, "import")
            removed += 1
    record(g.db, assoc.id, g.member.id, "roster.import", f"association:{assoc.id}", added=len(result.added),
           changed=len(result.changed), removed=removed)
    return redirect(url_for("admin.roster", done="import", added=len(result.added), changed=len(result.changed),
                            removed=removed), 303)


@bp.get("/roster.csv", endpoint="roster_csv")
@login_required
def roster_csv_download():
    if not g.member.is_board:
        return board_only()
    assoc = g.db.get(Association, g.member.association_id)
    record(g.db, assoc.id, g.member.id, "roster.export", f"association:{assoc.id}")
    return Response(roster_csv.export(g.db, assoc), mimetype="text/csv",
                    headers=download_headers("roster", dates.local(utcnow(), kairan().settings.timezone).date()))

"""The association registry (自治会台帳) on the city staff's pages, /city/registry, behind
`staff_required` and scoped to the staff member's municipality:

- `/city/registry`: every association of the municipality (chair, copies, households, status,
  last change), the CSV download and the import form;
- `/city/registry/<id>`: one association's entry and its history (another municipality's
  association, or none: 404); `/city/registry/<id>/edit` changes it (the board's form);
- `/city/registry.csv`: the sheet (bot/registry_csv.py: UTF-8 with BOM, formulas kept as text);
- `POST /city/registry/import`: the uploaded sheet is checked and compared, and the page shows
  what would change (association, field, before → after); nothing is written. The page carries the
  file back (hidden) with a fingerprint of what it showed;
- `POST /city/registry/import/confirm`: compares again; if the registry changed meanwhile, the new
  preview is shown instead; else the changes are written with their history (actor: this staff
  member, via "csv").

POSTs carry the blueprint's CSRF token (CSRFProtect, bot/web/city_auth.py). City staff see the
personal fields of the registry (the chair's contact, the recipients): the issue grants it to the
association's board and the city staff; nothing of an association's residents is here.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from flask import Response, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from bot import registry_csv
from bot.state import kairan
from bot.web.auth import ID
from bot.web.csv_safe import download_headers
from bot.web.city_auth import bp, current_staff, message, not_found, staff_required
from bot.registry_csv import parse_form
from bot.web.registry import HISTORY_SHOWN, EditForm, history_rows, sections
from handlers.messages import dates, texts
from models import Association, RegistryChange, utcnow
from models.registry import FIELDS, Actor, apply_changes, entry_of, values


def _actor() -> Actor:
    staff = current_staff()
    city = g.municipality.name if g.municipality else ""
    label = (texts.REGISTRY_ACTOR_STAFF.format(name=staff.name, municipality=city) if staff.name
             else texts.REGISTRY_ACTOR_STAFF_NO_NAME.format(municipality=city))
    return Actor("staff", label, "csv", staff_id=staff.id)


def _city_name() -> str:
    return g.municipality.name if g.municipality else ""


@bp.get("/registry")
@staff_required
def registry():
    tz = kairan().settings.timezone
    staff = current_staff()
    last = dict(g.db.execute(select(RegistryChange.association_id, func.max(RegistryChange.at))
                             .join(Association, Association.id == RegistryChange.association_id)
                             .where(Association.municipality_id == staff.municipality_id)
                             .group_by(RegistryChange.association_id)).all())
    rows = []
    for assoc in registry_csv.associations_of(g.db, staff.municipality_id):
        vals = values(assoc, entry_of(g.db, assoc.id))
        rows.append({"id": assoc.id, "name": assoc.name, "district": assoc.district,
                     "chair": vals["chair_name"] or "", "copies": registry_csv.show("circular_copies", vals["circular_copies"]),
                     "households": registry_csv.show("households", vals["households"]),
                     "status": registry_csv.show("status", vals["status"]),
                     "dissolved": vals["status"] != "active",
                     "updated": dates.numeric(last.get(assoc.id), tz)})
    imported = request.args.get("imported", "")
    changed = request.args.get("associations", "")
    done = (texts.REGISTRY_IMPORTED.format(n=int(imported), associations=int(changed))
            if imported.isdigit() and changed.isdigit() and len(imported) < 7 and len(changed) < 7 else None)
    return render_template("registry/city_list.html", rows=rows, municipality=_city_name(), done=done)


@bp.get(f"/registry/<{ID}:association_id>")
@staff_required
def registry_entry(association_id: int):
    assoc = g.db.get(Association, association_id)
    if assoc is None or assoc.municipality_id != current_staff().municipality_id:
        return not_found()
    vals = values(assoc, entry_of(g.db, assoc.id))
    saved = request.args.get("saved", "")
    return render_template("registry/city_entry.html", assoc=assoc, sections=sections(vals),
                           history=history_rows(g.db, assoc.id), shown=HISTORY_SHOWN,
                           saved=int(saved) if saved.isdigit() and len(saved) < 4 else None)


@bp.route(f"/registry/<{ID}:association_id>/edit", methods=["GET", "POST"])
@staff_required
def registry_edit(association_id: int):
    """One association's entry, edited by the city (the same form as the board's; the history
    names the staff member, via the web). The blueprint's CSRFProtect checks the POST."""
    assoc = g.db.get(Association, association_id)
    if assoc is None or assoc.municipality_id != current_staff().municipality_id:
        return not_found()
    form = EditForm()
    vals = values(assoc, entry_of(g.db, assoc.id))
    if request.method == "GET":
        return render_template("registry/city_edit.html", assoc=assoc, form=form, sections=sections(vals))
    changes, errors = parse_form(request.form)
    if errors:
        typed = {f.key: request.form.get(f.key, "") for f in FIELDS}
        return render_template("registry/city_edit.html", assoc=assoc, form=form, errors=True,
                               sections=sections(vals, typed, errors)), 400
    written = apply_changes(g.db, assoc, changes, replace(_actor(), via="web"))
    return redirect(url_for("city.registry_entry", association_id=assoc.id, saved=len(written)), 303)


@bp.get("/registry.csv")
@staff_required
def registry_csv_download():
    data = registry_csv.export(g.db, current_staff().municipality_id)
    today = dates.local(utcnow(), kairan().settings.timezone).date()
    return Response(data, mimetype="text/csv", headers=download_headers("registry", today, detail=_city_name()))


def _preview_page(data: bytes, stale: bool = False):
    """Check and compare the sheet: the preview page, or the error as a message (nothing written)."""
    try:
        sheet = registry_csv.read(data)
        planned = registry_csv.preview(g.db, current_staff().municipality_id, sheet)
    except registry_csv.RegistryCsvError as e:
        return message(str(e), 400, texts.REGISTRY_PREVIEW_TITLE)
    return render_template("registry/city_preview.html", planned=planned, stale=stale,
                           associations=len({p.association_id for p in planned}),
                           payload=base64.b64encode(data).decode("ascii"), digest=registry_csv.digest(planned))


@bp.post("/registry/import")
@staff_required
def registry_import():
    upload = request.files.get("file")
    data = upload.read(registry_csv.MAX_BYTES + 1) if upload is not None else b""
    if not data.strip():
        return message(texts.REGISTRY_CSV_EMPTY, 400, texts.REGISTRY_PREVIEW_TITLE)
    return _preview_page(data)


@bp.post("/registry/import/confirm")
@staff_required
def registry_import_confirm():
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data.strip():
        return message(texts.REGISTRY_CSV_EMPTY, 400, texts.REGISTRY_PREVIEW_TITLE)
    city = current_staff().municipality_id
    try:
        sheet = registry_csv.read(data)
        planned = registry_csv.preview(g.db, city, sheet)
    except registry_csv.RegistryCsvError as e:
        return message(str(e), 400, texts.REGISTRY_PREVIEW_TITLE)
    if registry_csv.digest(planned) != request.form.get("digest", ""):
        return _preview_page(data, stale=True)  # the registry (or the form) changed since the preview
    fields, associations = registry_csv.apply(g.db, city, sheet, _actor())
    return redirect(url_for("city.registry", imported=fields, associations=associations), 303)

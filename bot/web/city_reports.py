"""通報 forwarded to the city (市へ転送), on the city staff's pages: /city/reports (the reports the
associations of the staff member's municipality forwarded) and /city/reports/<id> (one of them:
category, place, comment, the association's note, photos, history, and the status form).

The staff move a report on through the same handlers/reports/triage.change_status as the
officers (by_staff): the reporter and followers hear each public change. No resident's name is
shown here: the association and its 班 only. A report not forwarded to this municipality is no
page (404).
"""
from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import ID, LIST_LIMIT
from bot.web.city_auth import bp, current_staff, not_found, staff_required
from handlers.messages import dates, texts
from handlers.reports import triage
from models import Association, Block
from models.reports import Report, ReportPhoto

PHOTO_TYPES = ("image/jpeg", "image/png")


def forwarded_report(report_id: int) -> Report | None:
    r = g.db.get(Report, report_id)
    if r is None or r.status == "draft" or r.forwarded_to is None or r.forwarded_to != current_staff().municipality_id:
        return None
    return r


@bp.get("/reports")
@staff_required
def reports():
    tz = kairan().settings.timezone
    rows = []
    found = list(g.db.scalars(select(Report).where(Report.forwarded_to == current_staff().municipality_id,
                                                   Report.status != "draft")
                              .order_by(Report.forwarded_at.desc(), Report.id.desc()).limit(LIST_LIMIT)))
    names = {a.id: a.name for a in g.db.scalars(select(Association).where(
        Association.id.in_({r.association_id for r in found} or {-1})))}
    for r in found:
        rows.append({"id": r.id, "number": r.number, "association": names.get(r.association_id, ""),
                     "category": r.category or "", "status": texts.REPORT_STATUSES.get(r.status, r.status),
                     "date": dates.numeric_short(r.forwarded_at or r.submitted_at, tz)})
    return render_template("city/reports.html", rows=rows)


def _detail(r: Report, problem: str = "", done: str = "", code: int = 200):
    tz = kairan().settings.timezone
    assoc = g.db.get(Association, r.association_id)
    block = g.db.get(Block, r.block_id) if r.block_id else None
    history = [{"date": dates.numeric_short(u.at, tz), "status": texts.REPORT_STATUSES.get(u.status, "") if u.status else "",
                "note": u.note or "", "public": u.public} for u in r.updates]
    html = render_template(
        "city/report.html", r=r, association=assoc.name if assoc else "", block=block.name if block else "",
        status_word=texts.REPORT_STATUSES.get(r.status, r.status), history=history,
        nexts=[(s, texts.REPORT_STATUSES[s]) for s in triage.NEXT.get(r.status, ()) if s != "forwarded"],
        photos=[p.id for p in r.photos if p.status == "stored" and p.data is not None], problem=problem, done=done)
    return html, code


@bp.get(f"/reports/<{ID}:report_id>")
@staff_required
def report(report_id: int):
    r = forwarded_report(report_id)
    if r is None:
        return not_found()
    return _detail(r, done=texts.REPORT_TRIAGE_SAVED if request.args.get("ok") == "1" else "")


@bp.post(f"/reports/<{ID}:report_id>/status")
@staff_required
def report_status(report_id: int):
    r = forwarded_report(report_id)
    if r is None:
        return not_found()
    status, was = request.form.get("status", ""), request.form.get("was", "")
    if status == "forwarded" or status not in triage.NEXT.get(was, ()):
        return _detail(r, problem=texts.REPORT_TRIAGE_BAD_STATUS, code=400)
    res = triage.change_status(g.db, r, status, request.form.get("note", "")[:1000],
                               public=request.form.get("public") == "1", by_staff=current_staff(), was=was)
    if not res.ok:
        g.db.rollback()
        return _detail(forwarded_report(report_id), problem=res.problem,
                       code=409 if res.problem == texts.REPORT_TRIAGE_CHANGED else 400)
    g.db.commit()
    return redirect(url_for("city.report", report_id=r.id, ok=1), 303)


@bp.get(f"/reports/<{ID}:report_id>/photos/<{ID}:photo_id>")
@staff_required
def report_photo(report_id: int, photo_id: int):
    r = forwarded_report(report_id)
    p = g.db.get(ReportPhoto, photo_id) if r is not None else None
    if p is None or p.report_id != r.id or p.data is None or p.status != "stored":
        return not_found()
    ctype = p.content_type if p.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(p.data, mimetype=ctype, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename=report-{r.id}-{p.id}"})

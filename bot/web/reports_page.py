"""通報 on the officers' pages: /admin/reports (the list, filtered by status, category and 班, and
a map of the open reports with the same vendored Leaflet and tiles as the live safety page) and
/admin/reports/<id> (one report: photos, place, history, and the status form).

Block leaders see the reports of their own 班 only (others: 404). The reporter's name is shown to
the board and to the reporter's own 班長; everyone else sees the 班. Status changes go through
handlers/reports/triage.change_status (the same function the city staff's page uses): the form
carries the status it showed (`was`), so a change made meanwhile by another officer is refused.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from urllib.parse import urlsplit

from flask import Response, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from bot.state import kairan
from bot.web.admin_events import BOM
from bot.web.auth import ID, LIST_LIMIT, bp, id_arg, login_required, not_found
from bot.web.csv_safe import csv_cell, download_headers
from bot.web.headers import secure
from handlers.messages import dates, texts
from handlers.reports import triage
from models import OFFICER_ROLES, Association, Block, Member, MemberStatus, Municipality, utcnow
from models.reports import OPEN_STATUSES, Report, ReportPhoto, categories_for

PHOTO_TYPES = ("image/jpeg", "image/png")
SHOWN_STATUSES = tuple(s for s in texts.REPORT_STATUSES if s != "draft")
MAP_LIMIT = 500
CSV_MAX = 10_000
UNASSIGNED_DAYS = 3  # open reports nobody took on for longer than this are flagged on the list
COLOURS = {"received": "#d50000", "checking": "#ff6d00", "in_progress": "#2962ff", "forwarded": "#7b1fa2"}


def _map_csp(resp: Response) -> Response:
    tiles = urlsplit(kairan().settings.tile_url)
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {tiles.scheme}://{tiles.netloc}; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'")
    return secure(resp)


def visible_report(report_id: int) -> Report | None:
    """A confirmed report of this association the officer may see (block leaders: their 班)."""
    r = g.db.get(Report, report_id)
    if r is None or r.association_id != g.member.association_id or r.status == "draft":
        return None
    if g.block_id is not None and r.block_id != g.block_id:
        return None
    return r


def may_see_name(r: Report) -> bool:
    return g.member.is_board or (g.block_id is not None and r.block_id == g.block_id)


def _categories() -> tuple[str, ...]:
    assoc = g.db.get(Association, g.member.association_id)
    city = g.db.get(Municipality, assoc.municipality_id) if assoc and assoc.municipality_id else None
    return categories_for(assoc, city, default=texts.REPORT_CATEGORIES)


def _blocks() -> list[Block]:
    q = select(Block).where(Block.association_id == g.member.association_id)
    if g.block_id is not None:
        q = q.where(Block.id == g.block_id)
    return list(g.db.scalars(q.order_by(Block.position, Block.id)))


def _row(r: Report, blocks: dict[int, str], tz: str) -> dict:
    return {"id": r.id, "number": r.number, "category": r.category or "", "status": r.status,
            "status_word": texts.REPORT_STATUSES.get(r.status, r.status), "block": blocks.get(r.block_id, ""),
            "date": dates.numeric_short(r.submitted_at or r.created_at, tz), "comment": (r.comment or "")[:60],
            "lat": r.latitude, "lng": r.longitude}


def _stale() -> tuple:
    """Open, nobody assigned, confirmed more than UNASSIGNED_DAYS ago."""
    return (Report.status.in_(OPEN_STATUSES), Report.assigned_member_id.is_(None),
            Report.submitted_at < utcnow() - dt.timedelta(days=UNASSIGNED_DAYS))


def _filtered():
    """(the query of the reports this officer asked for, the filters, the 班 shown)."""
    aid = g.member.association_id
    status = request.args.get("st", "")
    status = status if status in SHOWN_STATUSES or status == "open" else ""
    category = request.args.get("cat", "")
    categories = _categories()
    blocks = _blocks()
    names = {b.id: b.name for b in blocks}
    block = id_arg("b")
    block = block if block in names else None
    q = select(Report).where(Report.association_id == aid, Report.status != "draft")
    if g.block_id is not None:
        q = q.where(Report.block_id == g.block_id)
    if status == "open":
        q = q.where(Report.status.in_(OPEN_STATUSES))
    elif status:
        q = q.where(Report.status == status)
    if category:
        q = q.where(Report.category == category)
    if block is not None:
        q = q.where(Report.block_id == block)
    if request.args.get("un") == "1":
        q = q.where(*_stale())
    return q.order_by(Report.submitted_at.desc(), Report.id.desc()), status, category, block, blocks, categories


@bp.get("/reports")
@login_required
def reports():
    tz = kairan().settings.timezone
    aid = g.member.association_id
    q, status, category, block, blocks, categories = _filtered()
    names = {b.id: b.name for b in blocks}
    rows = [_row(r, names, tz) for r in g.db.scalars(q.limit(LIST_LIMIT))]
    sq = select(func.count()).select_from(Report).where(Report.association_id == aid, *_stale())
    if g.block_id is not None:
        sq = sq.where(Report.block_id == g.block_id)
    stale = g.db.scalar(sq)
    mq = select(Report).where(Report.association_id == aid, Report.status.in_(OPEN_STATUSES),
                              Report.latitude.is_not(None), Report.longitude.is_not(None))
    if g.block_id is not None:
        mq = mq.where(Report.block_id == g.block_id)
    markers = [{"lat": r.latitude, "lng": r.longitude, "colour": COLOURS.get(r.status, "#757575"),
                "popup": texts.REPORT_PAGE_POPUP.format(number=r.number, category=r.category or "",
                                                        status=texts.REPORT_STATUSES.get(r.status, ""))}
               for r in g.db.scalars(mq.order_by(Report.id.desc()).limit(MAP_LIMIT))]
    html = render_template(
        "admin_reports.html", rows=rows, stale=texts.REPORT_PAGE_STALE.format(n=stale, days=UNASSIGNED_DAYS) if stale else "",
        stale_url=url_for("admin.reports", un=1), status=status, category=category, block=block,
        statuses=[("open", texts.REPORT_PAGE_OPEN)] + [(s, texts.REPORT_STATUSES[s]) for s in SHOWN_STATUSES],
        categories=categories, blocks=blocks, markers=json.dumps(markers, ensure_ascii=False),
        tile_url=kairan().settings.tile_url, filtered=bool(status or category or block),
        csv_url=url_for("admin.reports_csv", **{k: v for k, v in (("st", status), ("cat", category), ("b", block)) if v}),
        geojson_url=url_for("admin.reports_geojson", **{k: v for k, v in (("st", status), ("cat", category), ("b", block)) if v}))
    return _map_csp(Response(html, mimetype="text/html"))


@bp.get("/reports.geojson")
@login_required
def reports_geojson():
    """The list's located reports as GeoJSON (RFC 7946: [longitude, latitude]), same filters; no name."""
    tz = kairan().settings.timezone
    q, _status, _category, _block, shown_blocks, _categories_ = _filtered()
    blocks = {b.id: b.name for b in shown_blocks}
    q = q.where(Report.latitude.is_not(None), Report.longitude.is_not(None))
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
                 "properties": {"number": r.number, "category": r.category or "", "status": r.status,
                                "status_label": texts.REPORT_STATUSES.get(r.status, r.status),
                                "block": blocks.get(r.block_id, ""), "comment": r.comment or "",
                                "submitted": dates.local(r.submitted_at or r.created_at, tz).isoformat(timespec="seconds")}}
                for r in g.db.scalars(q.limit(CSV_MAX))]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return Response(body.encode("utf-8"), mimetype="application/geo+json",
                    headers=download_headers("reports", dates.local(utcnow(), tz).date(), "geojson"))


@bp.get("/reports.csv")
@login_required
def reports_csv():
    """The list as CSV (UTF-8 with BOM, for Excel), same filters; no reporter's name."""
    tz = kairan().settings.timezone
    q, _status, _category, _block, shown_blocks, _categories_ = _filtered()
    blocks = {b.id: b.name for b in shown_blocks}
    cities = {m.id: m.name for m in g.db.scalars(select(Municipality))}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(texts.REPORT_CSV_HEADER)
    for r in g.db.scalars(q.limit(CSV_MAX)):
        w.writerow([csv_cell(v) for v in (
            r.number, dates.numeric_short(r.submitted_at or r.created_at, tz), r.category,
            texts.REPORT_STATUSES.get(r.status, r.status), blocks.get(r.block_id, ""), r.comment, r.address,
            "" if r.latitude is None else f"{r.latitude:.6f}", "" if r.longitude is None else f"{r.longitude:.6f}",
            cities.get(r.forwarded_to, "") if r.forwarded_to else "", r.status_reason or "")])
    return Response(BOM + out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers=download_headers("reports", dates.local(utcnow(), tz).date()))


def _detail(r: Report, problem: str = "", done: str = "", code: int = 200):
    tz = kairan().settings.timezone
    block = g.db.get(Block, r.block_id) if r.block_id else None
    reporter = g.db.get(Member, r.member_id) if r.member_id and may_see_name(r) else None
    people = {m.id: m.name or "" for m in g.db.scalars(select(Member).where(
        Member.association_id == r.association_id,
        Member.id.in_([u.by_member_id for u in r.updates if u.by_member_id] + [r.assigned_member_id or 0])))}
    history = [{"date": dates.numeric_short(u.at, tz), "status": texts.REPORT_STATUSES.get(u.status, "") if u.status else "",
                "note": u.note or "", "public": u.public,
                "by": people.get(u.by_member_id, "") if u.by_member_id else (texts.REPORT_PAGE_BY_CITY if u.by_staff_id else "")}
               for u in r.updates]
    nexts = [(s, texts.REPORT_STATUSES[s]) for s in triage.NEXT.get(r.status, ())]
    photos = [p.id for p in r.photos if p.status == "stored" and p.data is not None]
    markers = json.dumps([{"lat": r.latitude, "lng": r.longitude, "colour": COLOURS.get(r.status, "#757575"),
                           "popup": r.number}] if r.latitude is not None and r.longitude is not None else [])
    officers = [(m.id, m.name or "") for m in g.db.scalars(select(Member).where(
        Member.association_id == r.association_id, Member.status == MemberStatus.active,
        Member.role.in_(OFFICER_ROLES)).order_by(Member.id))]
    html = render_template(
        "admin_report.html", officers=officers, r=r, number=r.number, status_word=texts.REPORT_STATUSES.get(r.status, r.status),
        block=block.name if block else "", reporter=(reporter.name or "") if reporter else None,
        assigned=people.get(r.assigned_member_id, "") if r.assigned_member_id else "",
        date=dates.numeric_short(r.submitted_at or r.created_at, tz), history=history, nexts=nexts,
        photos=photos, markers=markers, tile_url=kairan().settings.tile_url, problem=problem, done=done)
    return _map_csp(Response(html, status=code, mimetype="text/html"))


@bp.get(f"/reports/<{ID}:report_id>")
@login_required
def report(report_id: int):
    r = visible_report(report_id)
    if r is None:
        return not_found()
    done = texts.REPORT_TRIAGE_SAVED if request.args.get("ok") == "1" else ""
    n = request.args.get("n", "")
    if done and n.isascii() and n.isdigit() and int(n) > 0:
        done = texts.REPORT_TRIAGE_SAVED_PUSHED.format(n=int(n))
    return _detail(r, done=done)


@bp.post(f"/reports/<{ID}:report_id>/status")
@login_required
def report_status(report_id: int):
    r = visible_report(report_id)
    if r is None:
        return not_found()
    form = request.form
    status, was = form.get("status", ""), form.get("was", "")
    if status not in triage.NEXT.get(was, ()):
        return _detail(r, problem=texts.REPORT_TRIAGE_BAD_STATUS, code=400)
    res = triage.change_status(g.db, r, status, form.get("note", "")[:1000], public=form.get("public") == "1",
                               by_member=g.member, was=was)
    if not res.ok:
        g.db.rollback()
        r = visible_report(report_id)
        return _detail(r, problem=res.problem, code=409 if res.problem == texts.REPORT_TRIAGE_CHANGED else 400)
    g.db.commit()
    return redirect(url_for("admin.report", report_id=r.id, ok=1, n=res.pushed), 303)


@bp.post(f"/reports/<{ID}:report_id>/assign")
@login_required
def report_assign(report_id: int):
    """担当: an officer of this association (or nobody)."""
    r = visible_report(report_id)
    if r is None:
        return not_found()
    raw = request.form.get("member", "")
    member = g.db.get(Member, int(raw)) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else None
    if raw and member is None:
        return _detail(r, problem=texts.REPORT_TRIAGE_BAD_ASSIGNEE, code=400)
    res = triage.assign(g.db, r, member, g.member)
    if not res.ok:
        g.db.rollback()
        return _detail(visible_report(report_id), problem=res.problem, code=400)
    g.db.commit()
    return redirect(url_for("admin.report", report_id=r.id), 303)


@bp.get(f"/reports/<{ID}:report_id>/photos/<{ID}:photo_id>")
@login_required
def report_photo(report_id: int, photo_id: int):
    r = visible_report(report_id)
    p = g.db.get(ReportPhoto, photo_id) if r is not None else None
    if p is None or p.report_id != r.id or p.data is None or p.status != "stored":
        return not_found()
    ctype = p.content_type if p.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(p.data, mimetype=ctype, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename=report-{r.id}-{p.id}"})

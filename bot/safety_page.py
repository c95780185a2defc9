"""Live safety board under /admin/safety: table, map of reported locations, CSV.

Behind the officers' sign-in (bot.admin.login_required). Locations are shown only to the chair
and disaster officers, and to block leaders for their own 班; the page lists everything in a
server-rendered table, so it stays useful when the map tiles (or the script) cannot load.
"""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, g, render_template

from models import Delivery, Disaster, Role, SafetyPhoto
from models.safety import active_disaster, board, latest_location
from sqlalchemy import select

from . import texts
from .admin import login_required
from .admin_events import csv_cell
from .state import kairan

bp = Blueprint("safety_page", __name__, url_prefix="/admin/safety")
COLOURS = {"rescue": "#d50000", "injured": "#ff6d00", "evacuated": "#2962ff", "safe": "#00a050", None: "#757575"}
REFRESH_SECONDS = 30


def sees_locations() -> bool:
    return g.member.role in (Role.chair, Role.disaster_officer, Role.block_leader)


def current() -> Disaster | None:
    """The active disaster, or else the latest one (so the page stays readable after the end)."""
    d = active_disaster(g.db, g.member.association_id)
    return d or g.db.scalars(select(Disaster).where(Disaster.association_id == g.member.association_id)
                             .order_by(Disaster.started_at.desc()).limit(1)).first()


PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def rows_for(d: Disaster) -> list[dict]:
    tz = ZoneInfo(kairan().settings.timezone)
    out = []
    photos: dict[int, list[int]] = {}
    if sees_locations():  # residents' photos: to the same officers as their locations
        for pid, did in g.db.execute(select(SafetyPhoto.id, SafetyPhoto.delivery_id)
                                     .where(SafetyPhoto.disaster_id == d.id).order_by(SafetyPhoto.id)):
            photos.setdefault(did, []).append(pid)
    for r in board(g.db, d, g.block_id).rows:
        loc = latest_location(g.db, r.id) if sees_locations() else None
        data = r.answer_data or {}
        out.append({
            "block": r.household.block.name, "household": r.household.name,
            "support": r.household.needs_support, "status": r.answer,
            "label": texts.SAFETY_LABELS.get(r.answer or "", texts.SAFETY_SILENT),
            "people": data.get("people") or "", "comment": data.get("comment") or "",
            "by": (r.answered_by.name if r.answered_by else "") or "", "proxy": r.answered_by_proxy,
            "at": r.answered_at.astimezone(tz).strftime("%m/%d %H:%M") if r.answered_at else "",
            "lat": loc.latitude if loc else None, "lng": loc.longitude if loc else None,
            "address": loc.address if loc else None, "colour": COLOURS.get(r.answer, COLOURS[None]),
            "paper": not r.via_line, "photos": photos.get(r.id, []),
        })
    return out


@bp.after_request
def _headers(resp: Response) -> Response:
    tiles = urlsplit(kairan().settings.tile_url)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {tiles.scheme}://{tiles.netloc}; frame-ancestors 'none'; base-uri 'none'")
    return resp


@bp.get("/")
@login_required
def page() -> str:
    d = current()
    if d is None:
        return render_template("admin_safety.html", d=None, rows=[], counts={}, refresh=None)
    rows = rows_for(d)
    counts = {texts.SAFETY_LABELS[s]: sum(1 for r in rows if r["status"] == s) for s in texts.SAFETY_LABELS}
    counts[texts.SAFETY_SILENT] = sum(1 for r in rows if r["status"] is None)
    markers = [r for r in rows if r["lat"] is not None]
    return render_template("admin_safety.html", d=d, rows=rows, counts=counts, kind=texts.DISASTER_KINDS[d.kind],
                           markers=json.dumps(markers, ensure_ascii=False), show_map=sees_locations(),
                           tile_url=kairan().settings.tile_url, refresh=REFRESH_SECONDS if d.ended_at is None else None)


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int) -> Response:
    """A photo a resident sent (連絡事項); a block leader sees those of their own 班 only."""
    p = g.db.get(SafetyPhoto, photo_id) if photo_id < 2**31 else None
    if p is None or p.association_id != g.member.association_id or not sees_locations():
        abort(404)
    if g.block_id is not None and g.db.get(Delivery, p.delivery_id).household.block_id != g.block_id:
        abort(404)
    ctype = p.content_type if p.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(p.data, mimetype=ctype, headers={"X-Content-Type-Options": "nosniff",
                                                     "Content-Disposition": f"inline; filename=photo-{p.id}"})


@bp.get("/export.csv")
@login_required
def export() -> Response:
    d = current()
    if d is None:
        abort(404)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    header = ["班", "世帯", "要支援", "状況", "人数", "連絡事項", "回答者", "代理", "回答日時"]
    located = sees_locations()
    w.writerow(header + (["緯度", "経度", "住所"] if located else []))
    for r in rows_for(d):
        row = [r["block"], r["household"], "要支援" if r["support"] else "", r["label"], r["people"], r["comment"],
               r["by"], "代理" if r["proxy"] else "", r["at"]]
        row += [r["lat"] or "", r["lng"] or "", r["address"] or ""] if located else []
        w.writerow([csv_cell(v) for v in row])  # residents' words never run as Excel formulas
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=anpi-{d.id}.csv"})

"""Open311 GeoReport v2, read-only, public, JSON only: /open311/v2/services.json, requests.json
and requests/<id>.json, so a city's existing system (FixMyStreet and the like) can pull kairan's
通報. https://wiki.open311.org/GeoReport_v2/

Privacy: no names, no LINE ids, no 班, no photos; `address` is always "" (a typed address may be
a home's); positions are rounded to 3 decimals (about 100 m). Drafts never appear.

- service_code: a stable ASCII code per category (texts.REPORT_SERVICE_CODES for the default
  categories; an association's own category gets "c" + 8 hex digits of its name's SHA-1).
- service_request_id: "<association slug>-<number>" (higashi-2026-0001).
- jurisdiction_id (optional everywhere): an association's slug.
- requests.json: by default the last 90 days (by requested_datetime), at most 1000, newest first;
  filters service_code, status (open|closed), start_date / end_date (ISO 8601), service_request_id
  (comma-separated: the other filters are then ignored, as the spec says).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import and_, or_, select

from bot.state import kairan
from bot.web.headers import secure
from handlers.messages import texts
from models import Association, Municipality, utcnow
from models.reports import CLOSED_STATUSES, OPEN_STATUSES, Report, ReportUpdate, categories_for

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
MAX_IDS = 100


def service_code(category: str) -> str:
    return texts.REPORT_SERVICE_CODES.get(category) or "c" + hashlib.sha1(category.encode()).hexdigest()[:8]


def _error(code: int, description: str):
    resp = jsonify([{"code": code, "description": description}])
    resp.status_code = code
    return resp


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only data
    resp.headers["Cache-Control"] = "no-cache"
    return secure(resp, "default-src 'none'; frame-ancestors 'none'")


def _jurisdiction(s):
    """(the association asked for or None, an error response or None)."""
    slug = request.args.get("jurisdiction_id", "").strip()
    if not slug:
        return None, None
    assoc = s.scalar(select(Association).where(Association.slug == slug))
    if assoc is None:
        return None, _error(404, "jurisdiction_id not found")
    return assoc, None


def _associations(s, only):
    return [only] if only is not None else list(s.scalars(select(Association).order_by(Association.id)))


def _services(s, assocs) -> list[tuple[str, str]]:
    cities = {m.id: m for m in s.scalars(select(Municipality))}
    seen: dict[str, str] = {}
    for a in assocs:
        for c in categories_for(a, cities.get(a.municipality_id), default=texts.REPORT_CATEGORIES):
            seen.setdefault(service_code(c), c)
    return list(seen.items())


@bp.get("/services.json")
def services():
    with kairan().db.read() as s:
        only, err = _jurisdiction(s)
        if err is not None:
            return err
        return jsonify([{"service_code": code, "service_name": name,
                         "description": texts.REPORT_SERVICE_DESCRIPTION.format(category=name),
                         "metadata": False, "type": "realtime", "keywords": "", "group": ""}
                        for code, name in _services(s, _associations(s, only))])


def _parse_time(raw: str, tz: ZoneInfo) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def _iso(when: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return when.astimezone(tz).isoformat(timespec="seconds") if when is not None else None


def _shown(r: Report, assoc: Association, cities: dict[int, Municipality], notes: dict[int, str],
           tz: ZoneInfo) -> dict:
    out = {
        "service_request_id": f"{assoc.slug}-{r.number}",
        "status": "closed" if r.status in CLOSED_STATUSES else "open",
        "status_notes": notes.get(r.id, ""),
        "service_name": r.category or "",
        "service_code": service_code(r.category or ""),
        "description": r.comment or "",
        "agency_responsible": cities[r.forwarded_to].name if r.forwarded_to in cities else assoc.name,
        "service_notice": "",
        "requested_datetime": _iso(r.submitted_at or r.created_at, tz),
        "updated_datetime": _iso(r.updated_at or r.submitted_at, tz),
        "address": "",  # a typed address may be a home's: never published
    }
    if r.latitude is not None and r.longitude is not None:
        out["lat"], out["long"] = round(r.latitude, 3), round(r.longitude, 3)
    return out


def _public_notes(s, ids: list[int]) -> dict[int, str]:
    notes: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        for u in s.scalars(select(ReportUpdate).where(ReportUpdate.report_id.in_(ids[i:i + 500]),
                                                      ReportUpdate.public.is_(True), ReportUpdate.note.is_not(None))
                           .order_by(ReportUpdate.at, ReportUpdate.id)):
            notes[u.report_id] = u.note  # the latest wins
    return notes


def _render(s, rows: list[Report], tz: ZoneInfo) -> list[dict]:
    assocs = {a.id: a for a in s.scalars(select(Association).where(
        Association.id.in_({r.association_id for r in rows})))} if rows else {}
    cities = {m.id: m for m in s.scalars(select(Municipality))} if rows else {}
    notes = _public_notes(s, [r.id for r in rows])
    return [_shown(r, assocs[r.association_id], cities, notes, tz) for r in rows]


def _parse_id(raw: str) -> tuple[str, int, int] | None:
    """"higashi-2026-0001" → ("higashi", 2026, 1)."""
    parts = raw.strip().rsplit("-", 2)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[1:]) or len(parts[2]) > 9:
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _by_ids(ids: list[tuple[str, int, int]]):
    return or_(*[and_(Association.slug == slug, Report.year == year, Report.seq == seq) for slug, year, seq in ids])


def _confirmed():
    return select(Report).join(Association, Association.id == Report.association_id).where(
        Report.status != "draft", Report.year.is_not(None), Report.seq.is_not(None))


@bp.get("/requests.json")
def requests_list():
    tz = ZoneInfo(kairan().settings.timezone)
    args = request.args
    with kairan().db.read() as s:
        only, err = _jurisdiction(s)
        if err is not None:
            return err
        q = _confirmed()
        if only is not None:
            q = q.where(Report.association_id == only.id)
        raw_ids = [i for i in args.get("service_request_id", "").split(",") if i.strip()]
        if raw_ids:
            ids = [_parse_id(i) for i in raw_ids[:MAX_IDS]]
            ids = [i for i in ids if i is not None]
            if not ids:
                return jsonify([])
            q = q.where(_by_ids(ids))
        else:
            code = args.get("service_code", "").strip()
            if code:
                names = [name for c, name in _services(s, _associations(s, only)) if c == code]
                q = q.where(Report.category.in_(names))
            status = args.get("status", "").strip().lower()
            if status == "open":
                q = q.where(Report.status.in_(OPEN_STATUSES))
            elif status == "closed":
                q = q.where(Report.status.in_(CLOSED_STATUSES))
            elif status:
                return _error(400, "status must be open or closed")
            start = end = None
            if args.get("start_date"):
                start = _parse_time(args["start_date"], tz)
                if start is None:
                    return _error(400, "start_date must be ISO 8601")
            if args.get("end_date"):
                end = _parse_time(args["end_date"], tz)
                if end is None:
                    return _error(400, "end_date must be ISO 8601")
            if start is None and end is None:
                start = utcnow() - dt.timedelta(days=DEFAULT_DAYS)
            if start is not None:
                q = q.where(Report.submitted_at >= start.astimezone(dt.timezone.utc))
            if end is not None:
                q = q.where(Report.submitted_at <= end.astimezone(dt.timezone.utc))
        rows = list(s.scalars(q.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(MAX_RESULTS)))
        return jsonify(_render(s, rows, tz))


@bp.get("/requests/<request_id>.json")
def request_one(request_id: str):
    tz = ZoneInfo(kairan().settings.timezone)
    parsed = _parse_id(request_id)
    if parsed is None:
        return _error(404, "service_request_id not found")
    with kairan().db.read() as s:
        only, err = _jurisdiction(s)
        if err is not None:
            return err
        q = _confirmed().where(_by_ids([parsed]))
        if only is not None:
            q = q.where(Report.association_id == only.id)
        row = s.scalars(q).first()
        if row is None:
            return _error(404, "service_request_id not found")
        return jsonify(_render(s, [row], tz))

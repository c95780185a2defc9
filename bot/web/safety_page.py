"""Live safety board under /admin/safety: table, map of reported locations, CSV.

Behind the officers' sign-in (bot.web.auth.login_required). Locations are shown only to the chair
and disaster officers, and to block leaders for their own 班; the page lists everything in a
server-rendered table, so it stays useful when the map tiles (or the script) cannot load.

The page costs a fixed number of queries whatever the size of the association
(models.safety_table): the rows of one page (PAGE_SIZE households, in reading order: rescue
first), the answer counts, and the located households for the map. It refreshes itself every
REFRESH_SECONDS with a conditional GET (static/safety_refresh.js sends If-None-Match): the ETag
is a hash of everything the page shows, so an unchanged board answers 304 without rendering.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import Float, Integer, String, cast, false, literal, null, select, union_all

from bot.state import kairan
from bot.web.auth import login_required, not_found
from bot.web.csrf import protect_posts
from bot.web.csv_safe import csv_cell, download_headers
from bot.web.headers import secure
from handlers.messages import dates, texts
from handlers.messages.drills import needs_text
from handlers.safety.responders import assign, open_assignments
from models import Block, Delivery, DeliveryHistory, Disaster, Member, MemberStatus, Role, SafetyLocation, SafetyPhoto
from models.base import UTCDateTime
from models.safety import SafetyAssignment, needs_of
from handlers.safety.common import STARTERS
from models import utcnow
from models.outage import since_for
from models.safety import active_disaster, may_see_safety, notes_of
from models.safety_table import SafetyRow, answer_counts, located_rows, safety_rows

bp = Blueprint("safety_page", __name__, url_prefix="/admin/safety")
protect_posts(bp)  # no POST here today; any later one carries the CSRF token
COLOURS = {"rescue": "#d50000", "injured": "#ff6d00", "evacuated": "#2962ff", "safe": "#00a050", None: "#757575"}
REFRESH_SECONDS = 30
PAGE_SIZE = 300  # households per page; rescue requests and silent 要支援 households come first
MAX_PAGE = 10_000
TEMPLATES = ("admin_safety.html", "admin_layout.html", "base.html")


def safety_access(view):
    """Inside login_required: the page's own rule, the same that gives its link in 「安否状況」."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not may_see_safety(g.member):
            return not_found()
        return view(*args, **kwargs)
    return wrapper


def sees_locations() -> bool:
    return g.member.role in (Role.chair, Role.disaster_officer, Role.block_leader)


def _live() -> tuple[Disaster | None, object]:
    """The active disaster and since when LINE is down for this association (one statement), or
    else the latest disaster and None."""
    aid = g.member.association_id
    row = g.db.execute(select(Disaster, since_for(aid)).where(
        Disaster.association_id == aid, Disaster.ended_at.is_(None))).first()
    if row is not None:
        return row[0], row[1]
    return _latest(), None


def _latest() -> Disaster | None:
    return g.db.scalars(select(Disaster).where(Disaster.association_id == g.member.association_id)
                        .order_by(Disaster.started_at.desc()).limit(1)).first()


def current() -> Disaster | None:
    """The active disaster, or else the latest one (so the page stays readable after the end)."""
    d = active_disaster(g.db, g.member.association_id)
    return d or g.db.scalars(select(Disaster).where(Disaster.association_id == g.member.association_id)
                             .order_by(Disaster.started_at.desc()).limit(1)).first()


PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _photos(rows: list[SafetyRow]) -> dict[int, list[int]]:
    """One query: the ids of residents' photos per receipt, for the rows shown (to the officers who
    see locations)."""
    if not sees_locations() or not rows:
        return {}
    photos: dict[int, list[int]] = {}
    for pid, did in g.db.execute(select(SafetyPhoto.id, SafetyPhoto.delivery_id)
                                 .where(SafetyPhoto.delivery_id.in_([r.delivery_id for r in rows]),
                                        SafetyPhoto.status == "stored")  # downloaded (scheduler.safety)
                                 .order_by(SafetyPhoto.id)):
        photos.setdefault(did, []).append(pid)
    return photos


def _history(rows: list[SafetyRow], tz: ZoneInfo) -> dict[int, list[str]]:
    """Every report of the rows shown, oldest first, each with its reporter's own name: the
    statuses (a family's reports never overwrite each other), the 連絡事項 with their authors, and
    (to the officers who see locations) every location shared. One query for the page (the
    reports and the locations, each with its member's name, in one UNION ALL)."""
    if not rows:
        return {}
    ids = [r.delivery_id for r in rows]
    reports = (select(literal("r").label("kind"), DeliveryHistory.delivery_id, DeliveryHistory.id, DeliveryHistory.at,
                      DeliveryHistory.answer, DeliveryHistory.proxy, DeliveryHistory.member_id, Member.name,
                      cast(null(), Float).label("lat"), cast(null(), Float).label("lng"),
                      cast(null(), String).label("address"))
               .outerjoin(Member, Member.id == DeliveryHistory.member_id)
               .where(DeliveryHistory.delivery_id.in_(ids)))
    parts = [reports]
    if sees_locations():
        parts.append(select(literal("l").label("kind"), SafetyLocation.delivery_id, SafetyLocation.id, SafetyLocation.at,
                            cast(null(), String).label("answer"), false().label("proxy"),
                            SafetyLocation.member_id, Member.name, SafetyLocation.latitude, SafetyLocation.longitude,
                            SafetyLocation.address)
                     .outerjoin(Member, Member.id == SafetyLocation.member_id)
                     .where(SafetyLocation.delivery_id.in_(ids)))
    found = g.db.execute(union_all(*parts) if len(parts) > 1 else reports).all()
    found.sort(key=lambda x: (x.at, x.kind, x.id))
    names = {x.member_id: x.name for x in found if x.member_id is not None and x.name}

    def who(member_id, proxy=False) -> str:
        name = names.get(member_id) if member_id is not None else None
        return texts.PERSON_NAME.format(name=name) if name else (texts.EV_BY_PROXY if proxy else texts.EV_FAMILY)

    out: dict[int, list[str]] = {}
    for x in found:
        at = dates.numeric_short(x.at, tz)
        if x.kind == "r":
            line = texts.SAFETY_HISTORY_REPORT.format(at=at, who=who(x.member_id, x.proxy),
                                                      status=texts.SAFETY_LABELS.get(x.answer, x.answer))
        else:
            line = texts.SAFETY_HISTORY_LOCATION.format(
                who=who(x.member_id), at=at,
                where=f"{x.lat:.5f}, {x.lng:.5f}" + (f" {x.address}" if x.address else ""))
        out.setdefault(x.delivery_id, []).append(line)
    for r in rows:
        for note in notes_of(r.data):
            out.setdefault(r.delivery_id, []).append(texts.SAFETY_HISTORY_NOTE.format(
                who=who(note.get("m")), note=note.get("t", "")))
    return out


def _shown(r: SafetyRow, tz: ZoneInfo, photos: dict[int, list[int]] | None = None) -> dict:
    """What the page and the CSV show of a row (plain values: also the input of the ETag)."""
    return {"photos": (photos or {}).get(r.delivery_id, []), "delivery": r.delivery_id,
        "block": r.block, "household": r.household, "support": r.needs_support, "paper": not r.on_line,
        "status": r.answer, "label": texts.SAFETY_LABELS.get(r.answer or "", texts.SAFETY_SILENT),
        "people": r.data.get("people") or "", "comment": r.data.get("comment") or "",
        "by": r.answered_by, "proxy": r.proxy,
        "at": dates.numeric_short(r.answered_at, tz),
        "lat": r.latitude, "lng": r.longitude, "address": r.address,
        "colour": COLOURS.get(r.answer, COLOURS[None]),
        "needs": needs_text(needs_of(r.data)),
    }


def popup(r: dict) -> str:
    """The map marker's text (the script shows it as text: comments come from residents)."""
    return texts.SAFETY_MAP_POPUP.format(block=r["block"], household=texts.HOUSEHOLD_NAME.format(name=r["household"]),
                                         label=r["label"]) + (
        texts.SAFETY_MAP_POPUP_PROXY.format(by=r["by"], at=r["at"]) if r.get("proxy") and r.get("by") else "") + (
        texts.SAFETY_MAP_POPUP_COMMENT.format(comment=r["comment"]) if r["comment"] else "") + (
        texts.SAFETY_MAP_POPUP_NEEDS.format(needs=r["needs"]) if r.get("needs") else "") + (
        "".join("\n" + line for line in r.get("visits", [])))


def legend() -> list[tuple[str, str]]:
    """The map's colour key, most serious first (the markers' colours, the table's dots)."""
    return [(texts.SAFETY_LABELS[s], COLOURS[s]) for s in ("rescue", "injured", "evacuated", "safe")] + [
        (texts.SAFETY_SILENT, COLOURS[None])]


def _counts(d: Disaster) -> tuple[dict[str, int], int]:
    by_answer = answer_counts(g.db, d.id, g.block_id)
    counts = {texts.SAFETY_LABELS[s]: by_answer.get(s, 0) for s in texts.SAFETY_LABELS}
    counts[texts.SAFETY_SILENT] = by_answer.get(None, 0)
    return counts, sum(by_answer.values())


def _page_number() -> int | None:
    p = request.args.get("p", "1")
    if not p.isascii() or not p.isdigit() or len(p) > 6 or not 1 <= int(p) <= MAX_PAGE:
        return None
    return int(p)


def _template_signature() -> str:
    """A redeploy with other templates must not answer 304 to a page rendered by the old ones."""
    sig = current_app.extensions.get("kairan_safety_templates")
    if sig is None:
        h = hashlib.sha256()
        for name in TEMPLATES:
            h.update(current_app.jinja_loader.get_source(current_app.jinja_env, name)[0].encode())
        sig = current_app.extensions["kairan_safety_templates"] = h.hexdigest()[:16]
    return sig


def etag_of(data: dict) -> str:
    blob = json.dumps({"t": _template_signature(), "h": g.header, **data}, ensure_ascii=False, sort_keys=True,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@bp.after_request
def _headers(resp: Response) -> Response:
    tiles = urlsplit(kairan().settings.tile_url)
    resp.headers["Cache-Control"] = "no-store"  # personal data: the refresh script revalidates by itself
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
        f"img-src 'self' data: {tiles.scheme}://{tiles.netloc}; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'")
    return secure(resp)


@bp.get("/")
@login_required
@safety_access
def page():
    page_no = _page_number()
    if page_no is None:
        return not_found()
    d, down = _live()
    if d is None:
        return render_template("admin_safety.html", d=None, rows=[], counts={}, refresh=None)
    tz = ZoneInfo(kairan().settings.timezone)
    located = sees_locations()
    counts, total = _counts(d)
    last_page = max(1, -(-total // PAGE_SIZE))
    if page_no > last_page:
        return not_found()
    offset = (page_no - 1) * PAGE_SIZE
    raw = safety_rows(g.db, d.id, g.block_id, locations=located, offset=offset, limit=PAGE_SIZE)
    photos = _photos(raw)  # one more query, for this page's rows only
    history = _history(raw, tz)  # every report of these rows, with each reporter's name
    rows = [{**_shown(r, tz, photos), "history": history.get(r.delivery_id, [])} for r in raw]
    if not located:
        markers = []
    elif total <= PAGE_SIZE:
        markers = [r for r in rows if r["lat"] is not None]
    else:  # the map shows every located household, not only this page's
        markers = [_shown(r, tz) for r in located_rows(g.db, d.id, g.block_id)]
    visits = _visits(d, raw, tz) if d.ended_at is None else {"rows": [], "by": {}}
    done = ""
    if request.args.get("assigned", "").isdigit() and len(request.args["assigned"]) < 10:  # after [頼む]
        a = g.db.get(SafetyAssignment, int(request.args["assigned"]))
        if a is not None and a.association_id == g.member.association_id and a.responder_id:
            done = texts.SAFETY_ASSIGN_DONE.format(name=g.db.get(Member, a.responder_id).name or "")
    for m in markers:  # who goes, on the map too
        m["visits"] = visits["by"].get(m.get("delivery"), [])
    markers = [{**m, "popup": popup(m)} for m in markers]
    refresh = REFRESH_SECONDS if d.ended_at is None else None
    line_down = texts.LINE_DOWN_BANNER.format(since=dates.short(down, kairan().settings.timezone)) if down else ""
    view = {"d": [d.id, d.kind, str(d.ended_at)], "counts": counts, "rows": rows, "markers": markers,
            "located": located, "page": page_no, "total": total, "refresh": refresh, "line_down": line_down,
            "visits": visits["rows"], "drill": bool(d.drill), "done": done}
    etag = etag_of(view)
    if etag in request.if_none_match:
        resp = Response(status=304)
        resp.set_etag(etag)
        return resp

    def link(p: int) -> str:
        return url_for("safety_page.page", p=p) if p > 1 else url_for("safety_page.page")

    pages = {"start": offset + 1 if rows else 0, "end": offset + len(rows), "total": total,
             "prev": link(page_no - 1) if page_no > 1 else None,
             "next": link(page_no + 1) if page_no < last_page else None,
             "size": PAGE_SIZE, "many": total > PAGE_SIZE}
    resp = Response(render_template(
        "admin_safety.html", d=d, rows=rows, counts=counts, kind=texts.DISASTER_KINDS[d.kind],
        markers=json.dumps(markers, ensure_ascii=False), show_map=located, pages=pages, etag=etag,
        tile_url=kairan().settings.tile_url, refresh=refresh, line_down=line_down, visits=visits["rows"],
        drill=bool(d.drill), done=done, legend=legend()), mimetype="text/html")
    resp.set_etag(etag)
    return resp


@bp.get("/photos/<int:photo_id>")
@login_required
@safety_access
def photo(photo_id: int) -> Response:
    """A photo a resident sent (連絡事項); a block leader sees those of their own 班 only."""
    p = g.db.get(SafetyPhoto, photo_id) if photo_id < 2**31 else None
    if p is None or p.association_id != g.member.association_id or not sees_locations() or p.data is None:
        abort(404)
    if g.block_id is not None and g.db.get(Delivery, p.delivery_id).household.block_id != g.block_id:
        abort(404)
    ctype = p.content_type if p.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(p.data, mimetype=ctype, headers={"X-Content-Type-Options": "nosniff",
                                                     "Content-Disposition": f"inline; filename=photo-{p.id}"})


@bp.get("/export.csv")
@login_required
@safety_access
def export() -> Response:
    d = current()
    if d is None:
        return not_found()
    tz = ZoneInfo(kairan().settings.timezone)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    header = list(texts.SAFETY_CSV_HEADER)
    located = sees_locations()
    w.writerow(header + (list(texts.SAFETY_CSV_LOCATION_HEADER) if located else []))
    for r in (_shown(x, tz) for x in safety_rows(g.db, d.id, g.block_id, locations=located)):  # one query
        row = [r["block"], r["household"], texts.VISIT_SUPPORT if r["support"] else "", r["label"], r["people"], r["comment"],
               r["by"], texts.SAFETY_PROXY_TAG if r["proxy"] else "", r["at"]]
        row += [r["lat"] or "", r["lng"] or "", r["address"] or ""] if located else []
        w.writerow([csv_cell(v) for v in row])  # residents' words never run as Excel formulas
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers=download_headers("safety", dates.local(utcnow(), tz).date(), ident=d.id,
                                             detail=texts.DISASTER_KINDS[d.kind]))


# --- who goes (訪問の割り当て, issue 14) --------------------------------------------------------
ASSIGN_SHOWN = 300  # households in the section (the page's rows: rescue and 要支援 come first)


def _visits(d: Disaster, raw: list[SafetyRow], tz: ZoneInfo) -> dict:
    """The page's households that need someone at the door — rescue requests, silent households,
    those with 困りごと — unassigned rescue requests first, 要支援 first within each; each with who
    is on the way (or reported), the 班長 to ask in one tap and the other members to pick. Two
    queries (the assignments, the members), whatever the number of rows."""
    need = [r for r in raw if r.answer in (None, "rescue") or needs_of(r.data)]
    if not need:
        return {"rows": [], "by": {}}
    ids = [r.delivery_id for r in need]
    # one statement: the disaster's assignments (with the responders' names) and the members who
    # may be sent (on LINE, with the 班 they live in or lead), as one UNION ALL
    both = g.db.execute(union_all(
        select(literal("a").label("k"), SafetyAssignment.delivery_id.label("did"), SafetyAssignment.responder_id,
               Member.name, cast(null(), String).label("role"), cast(null(), String).label("block"),
               SafetyAssignment.assigned_at, SafetyAssignment.outcome, SafetyAssignment.reported_at, SafetyAssignment.id)
        .outerjoin(Member, Member.id == SafetyAssignment.responder_id)
        .where(SafetyAssignment.disaster_id == d.id),
        select(literal("p"), cast(null(), Integer), Member.id, Member.name, cast(Member.role, String), Block.name,
               cast(null(), UTCDateTime), cast(null(), String), cast(null(), UTCDateTime), Member.id)
        .outerjoin(Block, Block.id == Member.block_id)
        .where(Member.association_id == g.member.association_id, Member.status == MemberStatus.active,
               Member.line_user_id.is_not(None)))).all()
    found = sorted((tuple(x[1:4]) + tuple(x[6:9]) + (x[9],) for x in both if x[0] == "a"), key=lambda x: x[-1])
    found = [x[:-1] for x in found]
    people = sorted(((x[2], x[3], x[4], x[5]) for x in both if x[0] == "p"), key=lambda x: x[0])
    led: dict[str, list[int]] = {}
    for mid, name, role, block in people:
        if role == Role.block_leader.name and block is not None:
            led.setdefault(block, []).append(mid)
    load = {}
    by: dict[int, list[str]] = {}
    assigned: dict[int, list] = {}
    for did, rid, name, at, outcome, reported in found:
        if outcome is None and rid is not None:
            load[rid] = load.get(rid, 0) + 1
        if did in ids:
            assigned.setdefault(did, []).append((rid, name, at, outcome, reported))
    for did, items in assigned.items():
        by[did] = [texts.SAFETY_ASSIGN_RESULT.format(outcome=texts.RESPONDER_OUTCOMES[o], at=dates.numeric_short(rep, tz))
                   if o else texts.SAFETY_ASSIGNED.format(name=n or "", at=dates.numeric_short(at, tz))
                   for _, n, at, o, rep in items]
    names = {mid: name for mid, name, *_ in people}
    rows = []
    for i, r in enumerate(need[:ASSIGN_SHOWN]):
        on_way = [x for x in assigned.get(r.delivery_id, []) if x[3] is None]
        leaders = [m for m in led.get(r.block, []) if m not in {x[0] for x in on_way}]
        same = [(mid, name) for mid, name, role, block in people
                if block == r.block or role in {x.name for x in STARTERS}]
        rows.append({"delivery": r.delivery_id, "block": r.block, "household": r.household, "support": r.needs_support,
                     "label": texts.SAFETY_LABELS.get(r.answer or "", texts.SAFETY_SILENT), "rescue": r.answer == "rescue",
                     "needs": needs_text(needs_of(r.data)), "visits": by.get(r.delivery_id, []),
                     "open": bool(on_way),
                     "leaders": [(m, names.get(m) or "") for m in leaders],
                     "others": [(m, texts.SAFETY_ASSIGN_OPTION.format(name=name or "", n=load[m]) if load.get(m)
                                 else name or "") for m, name in same], "order": i})
    rows.sort(key=lambda x: (not (x["rescue"] and not x["open"]), not x["support"], x["order"]))
    return {"rows": rows, "by": by}


@bp.post("/assign")
@login_required
@safety_access
def assign_visit():
    """One tap: this member goes to this household (an officer's or a block leader's own 班). A
    household someone is already on the way to asks first (nobody is sent twice unseen)."""
    d = active_disaster(g.db, g.member.association_id)
    form = request.form
    ok = lambda v: v.isascii() and v.isdigit() and len(v) < 10  # noqa: E731
    did, mid = form.get("delivery", ""), form.get("member", "")
    if d is None or not ok(did) or not ok(mid):
        return not_found()
    row = g.db.get(Delivery, int(did))
    who = g.db.get(Member, int(mid))
    if (row is None or row.association_id != g.member.association_id or row.disaster_id != d.id
            or (g.block_id is not None and row.household.block_id != g.block_id)):
        return not_found()
    if (who is None or who.association_id != g.member.association_id or who.status != MemberStatus.active
            or not who.line_user_id):
        return not_found()
    already = open_assignments(g.db, row.id)
    if already and form.get("again") != "1":
        names = texts.NAMES_SEPARATOR.join(texts.HOUSEHOLD_NAME.format(name=g.db.get(Member, a.responder_id).name or "")
                                           for a in already if a.responder_id)
        return render_template("admin_safety_assign.html", household=row.household.name, names=names,
                               delivery=row.id, member=who.id, who=who.name or ""), 409
    a = assign(g.db, d, row, who, g.member, utcnow())
    return redirect(url_for("safety_page.page", assigned=a.id) + "#assign", 303)

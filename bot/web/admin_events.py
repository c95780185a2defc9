"""Officers' pages of events (出欠) under /admin: the list, each event's results (table with
filters by 班 and answer, a server-rendered SVG bar chart) and the CSV download for Excel.

Routes live on `bot.web.auth.bp`, behind its `login_required`; block leaders see their own 班 only.
"""
from __future__ import annotations

import csv
import io

from flask import Response, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from bot.state import kairan
from bot.web.auth import ID, LIST_LIMIT, bp, id_arg, login_required, message, not_found
from bot.web.csv_safe import csv_cell, download_headers
from handlers.messages import dates, texts
from handlers.messages.labels import target_label
from handlers import corrections
from models import Association, Event, EventState, utcnow
from models.corrections import ACTIONS, MAX_NOTE, event_halt, history
from models.circulars import target_block_names
from models.events import STATUSES, recent_events, results

BOM = b"\xef\xbb\xbf"  # Excel reads a CSV as UTF-8 only with it
COLORS = {"yes": "#06C755", "no": "#b00020", "maybe": "#e8a200", "unanswered": "#777777", "unread": "#bbbbbb"}


def bar_chart(counts: dict[str, int]) -> Markup:
    """One horizontal bar per answer (参加 … 未読), its length proportional to the count, with the count.

    Drawn narrow (420 units wide, labels 22): on a 360 px phone the chart is about 320 px wide, so a
    label is still 16 px; the page caps it at 520 px on a PC."""
    row, bar, left, width = 44, 30, 100, 260
    top = max(counts.values(), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(texts.EV_CHART_LABEL)}" '
             f'viewBox="0 0 {left + width + 60} {row * len(STATUSES)}" font-size="22">']
    for i, code in enumerate(STATUSES):
        n, y, label = counts.get(code, 0), i * row + 8, escape(texts.STATUS_LABELS[code])
        w = round(width * n / top)
        parts += [f'<text x="{left - 12}" y="{y + 22}" text-anchor="end">{label}</text>',
                  f'<rect data-answer="{code}" x="{left}" y="{y}" width="{w}" height="{bar}" fill="{COLORS[code]}">'
                  f'<title>{label} {n}</title></rect>',
                  f'<text class="count" x="{left + w + 8}" y="{y + 22}">{n}</text>']
    return Markup("".join(parts) + "</svg>")


def excel_time(at, tz: str) -> str:
    """「2026-11-22 10:00」 (local): Excel reads it as a date and time and sorts it."""
    return dates.numeric(at, tz)


def csv_bytes(ev: Event, rows, tz: str) -> bytes:
    """UTF-8 with BOM, CRLF: 所属,種別,氏名,回答,連絡事項 (+ 人数, 回答日時, 代理)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(texts.CSV_HEADER)
    for r in rows:
        d = r.delivery
        w.writerow([csv_cell(v) for v in (
            r.block, texts.KIND_REPRESENTATIVE if r.representative else texts.KIND_MEMBER, r.name,
            texts.STATUS_LABELS[r.status], r.comment, r.count if ev.ask_count and r.status == "yes" else "",
            excel_time(d.answered_at, tz), texts.EV_PROXY if d.answered_by_proxy else "")])
    return BOM + out.getvalue().encode("utf-8")


def _event(event_id: int):
    """The sent event and its results as this officer may see them (block leaders: their 班)."""
    ev = g.db.get(Event, event_id)
    if ev is None or ev.association_id != g.member.association_id or ev.state != EventState.sent:
        return None, None
    res = results(g.db, ev, g.block_id if g.block_id is not None else id_arg("b"))
    if g.block_id is not None and res.total == 0:
        return None, None  # not asked in this block leader's 班
    return ev, res


def _filtered(res):
    answer = request.args.get("v", "")
    return [r for r in res.rows if r.status == answer] if answer in STATUSES else res.rows


@bp.get("/events")
@login_required
def events():
    tz = kairan().settings.timezone
    rows = []
    for ev in recent_events(g.db, g.member.association_id, limit=LIST_LIMIT):
        res = results(g.db, ev, g.block_id)
        if g.block_id is None or res.total:
            rows.append({"ev": ev, "res": res, "when": dates.weekday(ev.starts_at, tz),
                         "deadline": dates.weekday(ev.deadline, tz)})
    return render_template("admin_events.html", rows=rows, labels=texts.STATUS_LABELS, limit=LIST_LIMIT)


@bp.get(f"/events/<{ID}:event_id>")
@login_required
def event(event_id: int):
    ev, res = _event(event_id)
    if ev is None:
        return not_found()
    tz = kairan().settings.timezone
    blocks = g.db.get(Association, ev.association_id).blocks if g.block_id is None else []  # the 班 filter
    filters = {k: v for k, v in request.args.items() if k in ("b", "v") and v}
    return render_template(
        "admin_event.html", ev=ev, res=res, rows=_filtered(res), chart=bar_chart(res.counts), blocks=blocks,
        labels=texts.STATUS_LABELS, kinds=(texts.KIND_REPRESENTATIVE, texts.KIND_MEMBER),
        when=dates.weekday(ev.starts_at, tz), deadline=dates.weekday(ev.deadline, tz),
        target=target_label(ev.target, target_block_names(g.db, ev)), unit=texts.EV_UNIT_LABELS[ev.per_person],
        block_id=id_arg("b"), answer=request.args.get("v", ""),
        halt=event_halt(g.db, ev.association_id, ev.id), may_correct=corrections.may_correct(g.member, ev),
        fixes=[{"r": r, "date": dates.date(r.at, tz)} for r in history(g.db, ev.association_id, "event", ev.id)],
        saved=request.args.get("saved", ""),
        paper=corrections.paper_households(g.db, "event", ev, g.block_id),
        csv_url=url_for("admin.event_csv", event_id=ev.id, **filters))


@bp.get(f"/events/<{ID}:event_id>.csv")
@login_required
def event_csv(event_id: int):
    ev, res = _event(event_id)
    if ev is None:
        return not_found()
    tz = kairan().settings.timezone
    return Response(csv_bytes(ev, _filtered(res), tz), mimetype="text/csv",
                    headers=download_headers("event", dates.local(utcnow(), tz).date(), ident=ev.id, detail=ev.name))


@bp.route(f"/events/<{ID}:event_id>/fix", methods=["GET", "POST"])
@login_required
def event_fix(event_id: int):
    """訂正 (name, 連絡事項), 延期 or 中止 of a sent event: the form → the cost → the notice to
    everyone who got it (handlers/corrections.py). The author or the board."""
    ev, _res = _event(event_id)
    if ev is None:
        return not_found()
    if not corrections.may_correct(g.member, ev):
        return message(texts.FIX_NOT_YOURS, 403)
    raw = request.values.get("action", "correct")
    action = raw if raw in ACTIONS else "correct"
    problem = corrections.refusal(g.db, g.member, "event", ev, action)
    if problem:
        return message(problem, 409)
    tz = kairan().settings.timezone
    form = request.form if request.method == "POST" else {}
    title = form.get("title", ev.name).strip()[:100]
    body = form.get("body", ev.note).replace("\r\n", "\n").strip()
    note = form.get("note", "").strip()
    page = {"item": ev, "kind": "event", "action": action, "title": title, "body": body, "note": note,
            "max_note": MAX_NOTE, "back": url_for("admin.event", event_id=ev.id),
            "post": url_for("admin.event_fix", event_id=ev.id)}
    problem = None
    if request.method == "POST":
        if not note:
            problem = texts.FIX_NOTE_EMPTY
        elif len(note) > MAX_NOTE:
            problem = texts.FIX_NOTE_TOO_LONG.format(max=MAX_NOTE)
        elif action == "correct" and (not title or (title == ev.name and body == ev.note)):
            problem = texts.FIX_NOTHING_CHANGED
        elif form.get("confirm") == "1":
            try:
                corrections.apply(g.db, g.member, "event", ev, action, note, utcnow(), tz,
                                  title=title if action == "correct" else None,
                                  body=body if action == "correct" else None)
            except corrections.AlreadyDone:
                return message(texts.FIX_ALREADY_DONE, 409)
            return redirect(url_for("admin.event", event_id=ev.id, saved=action), code=303)
        else:
            cost = corrections.cost_text(g.db, "event", ev, action, utcnow(), tz, g.member)
            return render_template("admin_correct.html", cost=cost, confirm=True, **page)
    return render_template("admin_correct.html", problem=problem, confirm=False, **page), 400 if problem else 200

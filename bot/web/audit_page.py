"""操作の記録 (/admin/audit): the association's audit log, newest first, filterable by who did it,
by action and by date, and downloadable as CSV for Excel. The board only (chair, 役員, 防災担当):
the log names members and what was changed.

Each row shows when, who (the member's current name; 「システム」 for the scheduler and the CLI,
「退会した方」 for an erased member), what (texts.AUDIT_ACTIONS, else the key itself), the target
and the detail — a change's before → after, field by field.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, g, render_template, request
from sqlalchemy import select

from bot.state import kairan
from bot.web.admin_events import BOM
from bot.web.auth import bp, id_arg, login_required, message
from bot.web.csv_safe import csv_cell, download_headers
from handlers.messages import dates, texts
from models import AuditLog, Member, utcnow
from models.audit import AuditFilter, entries

SHOWN = 300  # rows on the page (the CSV has them all, within the filter)
CSV_MAX = 50_000


def _day(name: str, tz: str) -> dt.datetime | None:
    """A date input (YYYY-MM-DD) as the start of that local day, in UTC; anything else None."""
    value = request.args.get(name, "")
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz)).astimezone(dt.timezone.utc)


def _filter(tz: str) -> tuple[AuditFilter, dict[str, str]]:
    actor = id_arg("who")
    action = request.args.get("action", "")
    if action not in _action_choices():
        action = ""
    since, until = _day("from", tz), _day("to", tz)
    if until is not None:
        until += dt.timedelta(days=1)  # 「〜まで」 includes that day
    shown = {"who": str(actor or ""), "action": action, "from": request.args.get("from", "") if since else "",
             "to": request.args.get("to", "") if until else ""}
    return AuditFilter(actor_id=actor, action=action or None, since=since, until=until), shown


def _action_choices() -> dict[str, str]:
    keys = set(g.db.scalars(select(AuditLog.action).where(AuditLog.association_id == g.member.association_id)
                            .distinct()))
    return {k: texts.AUDIT_ACTIONS.get(k, k) for k in sorted(keys)}


def _people(rows: list[AuditLog]) -> dict[int, Member]:
    ids = {r.actor_id for r in rows if r.actor_id} | {_target_id(r, "member") for r in rows} - {None}
    if not ids:
        return {}
    return {m.id: m for m in g.db.scalars(select(Member).where(
        Member.id.in_(ids), Member.association_id == g.member.association_id))}


def _target_id(r: AuditLog, kind: str) -> int | None:
    prefix = f"{kind}:"
    if r.target and r.target.startswith(prefix) and r.target[len(prefix):].isdigit():
        return int(r.target[len(prefix):])
    return None


def _who(member: Member | None, actor_id: int | None) -> str:
    if actor_id is None:
        return texts.AUDIT_SYSTEM
    if member is None or member.name is None:
        return texts.AUDIT_GONE
    return member.name


def _value(v: Any) -> str:
    if v is None or v == "":
        return texts.REGISTRY_EMPTY
    if isinstance(v, bool):
        return texts.AUDIT_YES if v else texts.AUDIT_NO
    return str(v)


def _detail(d: dict | None) -> str:
    """「班: 1班 → 2班、紙: いいえ → はい」 for a change; key=value for the rest."""
    if not d:
        return ""
    before, after = d.get("before"), d.get("after")
    parts = []
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after)):
            label = texts.AUDIT_FIELDS.get(k, k)
            parts.append(f"{label}: {_value(before.get(k))} → {_value(after.get(k))}")
    for k, v in d.items():
        if k not in ("before", "after"):
            parts.append(f"{texts.AUDIT_FIELDS.get(k, k)}: {_value(v)}")
    return texts.AUDIT_JOIN.join(parts)


def _target(r: AuditLog, people: dict[int, Member]) -> str:
    mid = _target_id(r, "member")
    if mid is not None:
        m = people.get(mid)
        return texts.AUDIT_TARGET_MEMBER.format(name=m.name if m and m.name else texts.AUDIT_GONE)
    return r.target or ""


def _shown(rows: list[AuditLog], tz: str) -> list[dict]:
    people = _people(rows)
    return [{"at": dates.numeric(r.at, tz), "who": _who(people.get(r.actor_id), r.actor_id),
             "action": texts.AUDIT_ACTIONS.get(r.action, r.action), "target": _target(r, people),
             "detail": _detail(r.detail)} for r in rows]


def _board_only():
    return message(texts.AUDIT_BOARD_ONLY, 403, texts.NAV_AUDIT)


@bp.get("/audit")
@login_required
def audit():
    if not g.member.is_board:
        return _board_only()
    tz = kairan().settings.timezone
    f, shown = _filter(tz)
    rows = entries(g.db, g.member.association_id, f, limit=SHOWN + 1)
    actors = g.db.scalars(select(Member).where(
        Member.association_id == g.member.association_id,
        Member.id.in_(select(AuditLog.actor_id).where(AuditLog.association_id == g.member.association_id)))
        .order_by(Member.id)).all()
    return render_template("admin_audit.html", rows=_shown(rows[:SHOWN], tz), more=len(rows) > SHOWN,
                           shown=shown, actions=_action_choices(), limit=SHOWN,
                           actors=[(m.id, m.name or texts.AUDIT_GONE) for m in actors],
                           query=request.query_string.decode("ascii", "replace"))


@bp.get("/audit.csv")
@login_required
def audit_csv():
    if not g.member.is_board:
        return _board_only()
    tz = kairan().settings.timezone
    f, _ = _filter(tz)
    rows = _shown(entries(g.db, g.member.association_id, f, limit=CSV_MAX), tz)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(texts.AUDIT_CSV_HEADER)
    for r in rows:
        w.writerow([csv_cell(r[k]) for k in ("at", "who", "action", "target", "detail")])
    return Response(BOM + out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers=download_headers("audit", dates.local(utcnow(), tz).date()))

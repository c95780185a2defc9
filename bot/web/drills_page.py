"""訓練の記録 (/admin/drills): the association's drills (issue 14) and each one's one-page printable
report — when 25/50/75/90 % of households had answered, the answer curve (a server-rendered SVG,
like the attendance chart of bot/web/admin_events.py), per 班, the households that never answered,
and this 年度's drills beside last 年度's. Drills only: a real disaster's figures never appear here,
and a drill's never on the city's or a real disaster's pages.

Who: whoever may open the live safety page (models.safety.may_see_safety); a block leader sees
their own 班's figures only.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import g, render_template
from markupsafe import Markup, escape

from bot.state import kairan
from bot.web.auth import bp, login_required, not_found
from handlers.messages import dates, texts
from models import Disaster
from models.drills import MARKS, DrillPlan, drills_of, figures, fiscal_year
from models.safety import may_see_safety
from sqlalchemy import select

W, H, LEFT, BOTTOM, TOP, RIGHT = 640, 300, 56, 44, 12, 16


def minutes_text(m: float | None) -> str:
    if m is None:
        return texts.DRILL_NOT_REACHED
    whole = int(round(m))
    return (texts.DRILL_HOURS.format(h=whole // 60, m=whole % 60) if whole >= 60
            else texts.DRILL_MINUTES.format(m=whole))


def curve_svg(times: list[float], total: int, span: float) -> Markup:
    """The share of households answered against minutes since the start: a step line, with the
    25/50/75/90 % levels drawn across."""
    span = max(span, times[-1] if times else 0, 10.0)
    iw, ih = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(m: float) -> float:
        return round(LEFT + iw * m / span, 1)

    def y(share: float) -> float:
        return round(TOP + ih * (1 - share), 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="curve" role="img" '
             f'aria-label="{escape(texts.DRILL_CHART_LABEL)}" viewBox="0 0 {W} {H}" font-size="16">',
             f'<rect x="{LEFT}" y="{TOP}" width="{iw}" height="{ih}" fill="#fff" stroke="#888"/>']
    for p in MARKS:
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + iw}" y1="{y(p / 100)}" y2="{y(p / 100)}" stroke="#ccc" '
                     f'stroke-dasharray="4 4"/><text x="{LEFT - 6}" y="{y(p / 100) + 5}" text-anchor="end">{p}%</text>')
    step = next(s for s in (5, 10, 15, 30, 60, 120, 240, 480, 1440, 10**6) if span / s <= 8)
    for i in range(0, int(span // step) + 1):
        m = i * step
        parts.append(f'<text x="{x(m)}" y="{H - BOTTOM + 20}" text-anchor="middle">{m}</text>')
    parts.append(f'<text x="{LEFT + iw / 2}" y="{H - 6}" text-anchor="middle">{escape(texts.DRILL_CHART_X)}</text>')
    points = [(x(0), y(0))]
    for i, m in enumerate(times, start=1):
        points += [(x(m), y((i - 1) / total)), (x(m), y(i / total))]
    points.append((x(span), y(len(times) / total if total else 0)))
    parts.append('<polyline data-answers="{}" fill="none" stroke="#06C755" stroke-width="3" points="{}"/>'.format(
        len(times), " ".join(f"{a},{b}" for a, b in points)))
    return Markup("".join(parts) + "</svg>")


def _row(f, tz: str) -> dict:
    d = f.disaster
    return {"id": d.id, "date": dates.short(d.started_at, tz), "kind": texts.DISASTER_KINDS.get(d.kind, d.kind),
            "share": round(100 * f.share), "half": minutes_text(f.marks[50]), "most": minutes_text(f.marks[90]),
            "running": d.ended_at is None}


def _allowed() -> bool:
    return may_see_safety(g.member)


@bp.get("/drills/")
@login_required
def drills():
    if not _allowed():
        return not_found()
    tz = kairan().settings.timezone
    rows = [_row(figures(g.db, d, g.block_id), tz) for d in drills_of(g.db, g.member.association_id)[:50]]
    plans = [{"at": dates.short(p.start_at, tz), "kind": texts.DISASTER_KINDS.get(p.kind, p.kind)}
             for p in g.db.scalars(select(DrillPlan).where(DrillPlan.association_id == g.member.association_id,
                                                           DrillPlan.state == "planned").order_by(DrillPlan.start_at))]
    return render_template("admin_drills.html", rows=rows, plans=plans)


def _compare(current: Disaster, tz: ZoneInfo) -> list[dict]:
    """This 年度's drills and last 年度's: how many, the share answered, the 50 % and 90 % times (averages)."""
    this = fiscal_year(current.started_at, tz)
    years: dict[int, list] = {this: [], this - 1: []}
    for d in drills_of(g.db, g.member.association_id):
        y = fiscal_year(d.started_at, tz)
        if y in years and d.started_at <= current.started_at:
            years[y].append(figures(g.db, d, g.block_id))
    out = []
    for y, fs in years.items():
        if not fs:
            continue

        def mean(vals):
            vals = [v for v in vals if v is not None]
            return sum(vals) / len(vals) if vals else None
        out.append({"year": texts.DRILL_YEAR.format(year=y) + (texts.DRILL_THIS_YEAR if y == this else ""),
                    "n": len(fs), "share": round(100 * sum(f.share for f in fs) / len(fs)),
                    "half": minutes_text(mean(f.marks[50] for f in fs)),
                    "most": minutes_text(mean(f.marks[90] for f in fs))})
    return out


@bp.get("/drills/<int:disaster_id>")
@login_required
def drill(disaster_id: int):
    if not _allowed():
        return not_found()
    d = g.db.get(Disaster, disaster_id) if disaster_id < 2**31 else None
    if d is None or d.association_id != g.member.association_id or not d.drill:
        return not_found()
    tz_name = kairan().settings.timezone
    tz = ZoneInfo(tz_name)
    f = figures(g.db, d, g.block_id)
    end = d.ended_at or max([d.started_at] + [d.started_at + dt.timedelta(minutes=t) for t in f.times])
    span = (end - d.started_at).total_seconds() / 60
    marks = [{"pct": p, "after": texts.DRILL_AFTER.format(
        minutes=minutes_text(f.marks[p]), at=dates.fmt(d.started_at + dt.timedelta(minutes=f.marks[p]), tz_name,
                                                       texts.CLOCK_TODAY))
        if f.marks[p] is not None else texts.DRILL_NOT_REACHED} for p in MARKS]
    blocks = [{"block": b, "answered": a, "total": n, "share": round(100 * a / n) if n else 0,
               "half": minutes_text(h)} for b, a, n, h in f.per_block]
    silent = [{"block": b, "household": h, "support": s} for b, h, s in f.silent]
    return render_template(
        "admin_drill.html", d=d, f=f, kind=texts.DISASTER_KINDS.get(d.kind, d.kind),
        title=texts.DRILL_REPORT_TITLE.format(date=dates.date(d.started_at, tz_name),
                                              kind=texts.DISASTER_KINDS.get(d.kind, d.kind)),
        pct=round(100 * f.share), marks=marks, chart=curve_svg(f.times, f.total, span), blocks=blocks,
        silent=silent, compare=_compare(d, tz))

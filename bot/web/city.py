"""The city staff's pages (/city, behind `staff_required`): every association's aggregate figures,
and the city notices with their read rates per association.

Aggregates only: counts and rates, never a resident's name — the unread chairs' names appear only
for associations that have granted it (`Association.shares_with_city`); otherwise the page says
that the association's chair has not read, without a name (APPI: personal data does not leave the
association by default). Every query is scoped to the staff member's municipality: another
municipality's notice is no page (404).
"""
from __future__ import annotations

from flask import abort, render_template

from bot.state import kairan
from bot.web.auth import ID
from bot.web.city_auth import bp, current_staff, g, staff_required
from handlers.messages import dates, texts
from models import CityNotice, NoticeAudience, SendState
from models.city import city_figures, notice_figures, recent_notices
from models.base import utcnow


def _when(at) -> str:
    return dates.date(at, kairan().settings.timezone) if at else ""


@bp.get("/")
@staff_required
def home():
    staff = current_staff()
    figures = city_figures(g.db, staff.municipality_id, utcnow())
    disasters = [f for f in figures if f.disaster]
    return render_template("city/home.html", figures=figures, disasters=disasters,
                           disaster_kinds=texts.DISASTER_KINDS,
                           totals={"households": sum(f.households for f in figures),
                                   "registered": sum(f.registered for f in figures)})


@bp.get("/notices")
@staff_required
def notices():
    staff = current_staff()
    rows = []
    for n in recent_notices(g.db, staff.municipality_id):
        figs = notice_figures(g.db, n)
        read, total = sum(f.read for f in figs), sum(f.total for f in figs)
        rows.append({"notice": n, "when": _when(n.sent_at), "read": read, "total": total,
                     "rate": round(100 * read / total) if total else 0,
                     "audience": texts.NOTICE_AUDIENCE_LABELS.get(n.audience.value if n.audience else "", "")})
    return render_template("city/notices.html", rows=rows)


@bp.get(f"/notices/<{ID}:notice_id>")
@staff_required
def notice(notice_id: int):
    n = g.db.get(CityNotice, notice_id)
    if n is None or n.municipality_id != current_staff().municipality_id or n.state != SendState.sent:
        abort(404)
    figs = notice_figures(g.db, n)
    return render_template("city/notice.html", n=n, when=_when(n.sent_at), figures=figs,
                           chairs=n.audience == NoticeAudience.chairs,
                           audience=texts.NOTICE_AUDIENCE_LABELS.get(n.audience.value if n.audience else "", ""))

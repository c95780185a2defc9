"""The city staff's pages (/city, behind `staff_required`): every association's aggregate figures,
and the city notices with their read rates per association.

Aggregates only: counts and rates, never a resident's name — the unread chairs' names appear only
for associations that have granted it (`Association.shares_with_city`); otherwise the page says
that the association's chair has not read, without a name (APPI: personal data does not leave the
association by default). Every query is scoped to the staff member's municipality: another
municipality's notice is no page (404).

`/city/n/<token>` is a chair's or household's own page of a notice (its attachments), reached
from [全文を見る] in chat, like a circular's /c/<token>: no sign-in, the token is the secret.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, g, render_template
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import ID
from bot.web.city_auth import bp, current_staff, staff_required
from bot.web.headers import ATTACHMENT_CSP
from bot.web.pages import TOKEN
from handlers.messages import dates, texts
from models import CityNotice, Delivery, Municipality, NoticeAttachment, NoticeAudience, SendState, utcnow
from models.city import SUBJECT, city_figures, notice_figures, recent_notices
from models.registry import RegistryEntry


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
    # the printed copies (Kobe sends circular material to every association): to each association's
    # 回覧物受取担当者 as the registry has them, with its number of copies
    entries = {e.association_id: e for e in g.db.scalars(
        select(RegistryEntry).where(RegistryEntry.association_id.in_([f.id for f in figs] or [-1])))}
    paper = [(f.name, entries.get(f.id)) for f in figs]
    copies = sum((e.circular_copies or 0) for _, e in paper if e is not None)
    return render_template("city/notice.html", n=n, when=_when(n.sent_at), figures=figs, paper=paper, copies=copies,
                           chairs=n.audience == NoticeAudience.chairs,
                           audience=texts.NOTICE_AUDIENCE_LABELS.get(n.audience.value if n.audience else "", ""))


# --- a chair's or household's page of a notice (no sign-in: the token is theirs, as /c/<token>) ---

def _receipt(s, token: str):
    if not TOKEN.fullmatch(token):
        abort(404)
    d = s.scalar(select(Delivery).where(Delivery.page_token == token, Delivery.of_kind(SUBJECT)))
    n = s.get(CityNotice, d.notice_id) if d else None
    if d is None or n is None:
        abort(404)
    return d, n


@bp.get("/n/<token>")
def notice_page(token: str):
    """Opening it counts as read for that chair or household."""
    k = kairan()
    with k.db.session() as s:
        d, n = _receipt(s, token)
        d.mark_read(None, "page", utcnow())
        m = s.get(Municipality, n.municipality_id)
        return render_template("city/notice_page.html", municipality=m.name if m else "", n=n, token=token,
                               date=_when(n.sent_at))


@bp.get(f"/n/<token>/a/<{ID}:attachment_id>")
def notice_attachment(token: str, attachment_id: int):
    with kairan().db.session() as s:
        d, n = _receipt(s, token)
        a = s.get(NoticeAttachment, attachment_id)
        if a is None or a.notice_id != n.id:
            abort(404)
        disposition = "inline" if a.kind == "image" or a.content_type == "application/pdf" else "attachment"
        return Response(a.data, mimetype=a.content_type,
                        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(a.filename)}",
                                 "Cache-Control": "private, max-age=3600", "Content-Security-Policy": ATTACHMENT_CSP})

"""The circular archive (回覧の一覧): every circular this association sent, newest first, with its
category and read rate; filtered by category (?cat=), searched over title and body (?q=), 50 a
page (?p=). A block leader sees those delivered in their 班. One circular's page is
`admin.circular` (bot/web/admin.py); here too its attachments (behind the sign-in) and its 訂正
(a form, then a page stating the cost, then the notice: handlers/corrections.py).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from bot.state import kairan
from bot.web.admin import _rate
from bot.web.auth import ID, LIST_LIMIT, bp, login_required, message, not_found
from bot.web.headers import ATTACHMENT_CSP
from handlers import corrections
from handlers.messages import dates, texts
from models import Attachment, Circular, CircularState, Delivery, Household, utcnow
from models.circulars import CATEGORIES
from models.corrections import MAX_NOTE, corrected_ids
from models.stats import read_stats

MAX_QUERY = 100
MAX_PAGE = 10_000


def _page() -> int:
    raw = request.args.get("p", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def archive_query(aid: int, block_id: int | None, category: str, words: str):
    """The sent circulars this officer may see, with the filters (LIKE wildcards in `words` escaped)."""
    q = select(Circular).where(Circular.association_id == aid, Circular.state == CircularState.sent)
    if block_id is not None:  # delivered in this block leader's 班
        q = q.where(Circular.id.in_(select(Delivery.circular_id).join(Household, Delivery.household_id == Household.id)
                                    .where(Delivery.circular_id.is_not(None), Household.block_id == block_id)))
    if category in CATEGORIES:
        q = q.where(Circular.category == category)
    for w in words.split():
        q = q.where(or_(Circular.title.contains(w, autoescape=True), Circular.body.contains(w, autoescape=True)))
    return q


@bp.get("/archive")
@login_required
def archive():
    tz = kairan().settings.timezone
    aid = g.member.association_id
    category = request.args.get("cat", "")
    category = category if category in CATEGORIES else ""
    words = request.args.get("q", "")[:MAX_QUERY].strip()
    page = _page()
    q = archive_query(aid, g.block_id, category, words)
    total = g.db.scalar(select(func.count()).select_from(q.subquery()))
    found = list(g.db.scalars(q.order_by(Circular.sent_at.desc(), Circular.id.desc())
                              .offset((page - 1) * LIST_LIMIT).limit(LIST_LIMIT)))
    fixed = corrected_ids(g.db, aid, "circular", [c.id for c in found])
    rows = []
    for c in found:
        st = read_stats(g.db, c, g.block_id)
        rows.append({"c": c, "st": st, "date": dates.date(c.sent_at, tz), "corrected": c.id in fixed,
                     "category": texts.CIRCULAR_CATEGORIES.get(c.category, texts.CIRCULAR_CATEGORIES["other"]),
                     "attachments": len(c.attachments),
                     "blocks": [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]})
    args = {k: v for k, v in (("cat", category), ("q", words)) if v}
    first = (page - 1) * LIST_LIMIT + 1
    return render_template(
        "admin_archive.html", rows=rows, limit=LIST_LIMIT, category=category, words=words, total=total,
        categories=[(k, texts.CIRCULAR_CATEGORIES[k]) for k in CATEGORIES],
        range=texts.ARCHIVE_PAGE.format(first=first, last=first + len(rows) - 1, total=total) if rows else "",
        newer=url_for("admin.archive", **args, p=page - 1) if page > 1 else None,
        older=url_for("admin.archive", **args, p=page + 1) if page * LIST_LIMIT < total else None,
        filtered=bool(args))


def visible_circular(circular_id: int):
    """The sent circular of this association, if this officer may see it (block leaders: their 班)."""
    c = g.db.get(Circular, circular_id)
    if c is None or c.association_id != g.member.association_id or c.state != CircularState.sent:
        return None
    if g.block_id is not None and read_stats(g.db, c, g.block_id).total == 0:
        return None
    return c


@bp.get(f"/circulars/<{ID}:circular_id>/a/<{ID}:attachment_id>")
@login_required
def circular_attachment(circular_id: int, attachment_id: int):
    c = visible_circular(circular_id)
    a = g.db.get(Attachment, attachment_id) if c is not None else None
    if a is None or a.circular_id != c.id or a.association_id != c.association_id:
        return not_found()
    disposition = "inline" if a.kind == "image" or a.content_type == "application/pdf" else "attachment"
    return Response(a.data, mimetype=a.content_type,
                    headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(a.filename)}",
                             "Cache-Control": "private, no-store", "Content-Security-Policy": ATTACHMENT_CSP})


@bp.route(f"/circulars/<{ID}:circular_id>/correct", methods=["GET", "POST"])
@login_required
def circular_correct(circular_id: int):
    """訂正: the form (title, body, the notice's words) → the cost → sent. The author or the board."""
    c = visible_circular(circular_id)
    if c is None:
        return not_found()
    if not corrections.may_correct(g.member, c):
        return message(texts.FIX_NOT_YOURS, 403)
    k = kairan().settings
    form = request.form if request.method == "POST" else {}
    title = form.get("title", c.title).strip()[:100]
    body = form.get("body", c.body).replace("\r\n", "\n").strip()
    note = form.get("note", "").strip()
    problem = None
    if request.method == "POST":
        if not note:
            problem = texts.FIX_NOTE_EMPTY
        elif len(note) > MAX_NOTE:
            problem = texts.FIX_NOTE_TOO_LONG.format(max=MAX_NOTE)
        elif not body or (title == c.title and body == c.body):
            problem = texts.FIX_NOTHING_CHANGED
        elif form.get("confirm") == "1":
            try:
                corrections.apply(g.db, g.member, "circular", c, "correct", note, utcnow(), k.timezone,
                                  title=title, body=body)
            except corrections.AlreadyDone:
                return message(texts.FIX_ALREADY_DONE, 409)
            return redirect(url_for("admin.circular", circular_id=c.id, saved=1), code=303)
        else:
            cost = corrections.cost_text(g.db, "circular", c, "correct", utcnow(), k.timezone, g.member)
            return render_template("admin_correct.html", item=c, kind="circular", action="correct", title=title,
                                   body=body, note=note, cost=cost, confirm=True,
                                   back=url_for("admin.circular", circular_id=c.id),
                                   post=url_for("admin.circular_correct", circular_id=c.id))
    return render_template("admin_correct.html", item=c, kind="circular", action="correct", title=title, body=body,
                           note=note, problem=problem, confirm=False, max_note=MAX_NOTE,
                           back=url_for("admin.circular", circular_id=c.id),
                           post=url_for("admin.circular_correct", circular_id=c.id)), 400 if problem else 200

"""問い合わせ (/admin/inquiries): residents' messages to the officers, open ones first, with the
answers so far; an officer answers here as in the chat (handlers/inquiries/chat.answer: the
resident gets it from the association, by push through the outbox) or marks it done.

Who sees what: the board every 班, a block leader their own 班 only (another 班's or another
association's inquiry answers 404, nothing changes). The resident's photo is served only to them.
"""
from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for
from sqlalchemy import case, select

from bot.state import kairan
from bot.web.auth import ID, bp, login_required, not_found
from bot.web.headers import secure
from bot.web.safety_page import PHOTO_TYPES
from handlers.inquiries.chat import answer, answered_by
from handlers.messages import dates, texts
from models import Block, Member, utcnow
from models.audit import record
from models.inquiries import MAX_TEXT, Inquiry

SHOWN = 100


def _scoped(q):
    q = q.where(Inquiry.association_id == g.member.association_id)
    return q.where(Inquiry.block_id == g.block_id) if g.block_id is not None else q


def _own(inquiry_id: int) -> Inquiry | None:
    return g.db.scalar(_scoped(select(Inquiry).where(Inquiry.id == inquiry_id)))


@bp.get("/inquiries")
@login_required
def inquiries():
    tz = kairan().settings.timezone
    order = case((Inquiry.status == "open", 0), (Inquiry.status == "answered", 1), else_=2)
    rows = g.db.scalars(_scoped(select(Inquiry)).order_by(order, Inquiry.created_at.desc()).limit(SHOWN)).all()
    blocks = dict(g.db.execute(select(Block.id, Block.name).where(Block.association_id == g.member.association_id)).all())
    names = dict(g.db.execute(select(Member.id, Member.name).where(
        Member.id.in_([q.member_id for q in rows if q.member_id] or [-1]))).all())
    shown = [{"q": q, "from": texts.INQ_PAGE_FROM.format(block=blocks.get(q.block_id, ""), name=names.get(q.member_id) or "",
                                                         at=dates.short(q.created_at, tz)),
              "status": texts.INQ_STATUS.get(q.status, q.status),
              "answers": [(texts.INQ_PAGE_ANSWERED.format(who=who, at=dates.short(at, tz)), a.text)
                          for (who, at), a in zip(answered_by(g.db, q), q.answers)]} for q in rows]
    note = {"sent": texts.INQ_PAGE_SAVED, "closed": texts.INQ_PAGE_CLOSED,
            "empty": texts.INQ_PAGE_EMPTY}.get(request.args.get("done", ""), "")
    return render_template("admin_inquiries.html", rows=shown, note=note, max_text=MAX_TEXT)


@bp.post(f"/inquiries/<{ID}:inquiry_id>/answer")
@login_required
def inquiry_answer(inquiry_id: int):
    q = _own(inquiry_id)
    if q is None:
        return not_found()
    text = (request.form.get("text") or "").strip()
    if not text or len(text) > MAX_TEXT:
        return redirect(url_for("admin.inquiries", done="empty"), 303)
    if not answer(g.db, q, g.member, text, utcnow()):
        return not_found()  # the resident has withdrawn meanwhile
    record(g.db, g.member.association_id, g.member.id, "inquiry.answer", f"inquiry:{q.id}", via="dashboard")
    return redirect(url_for("admin.inquiries", done="sent"), 303)


@bp.post(f"/inquiries/<{ID}:inquiry_id>/close")
@login_required
def inquiry_close(inquiry_id: int):
    q = _own(inquiry_id)
    if q is None:
        return not_found()
    q.status = "closed"
    record(g.db, g.member.association_id, g.member.id, "inquiry.close", f"inquiry:{q.id}")
    return redirect(url_for("admin.inquiries", done="closed"), 303)


@bp.get(f"/inquiries/<{ID}:inquiry_id>/photo")
@login_required
def inquiry_photo(inquiry_id: int):
    q = _own(inquiry_id)
    if q is None or q.photo_status != "stored" or not q.photo:
        return not_found()
    ctype = q.photo_type if q.photo_type in PHOTO_TYPES else "application/octet-stream"  # never an SVG or HTML
    resp = Response(q.photo, mimetype=ctype, headers={"Content-Disposition": f"inline; filename=inquiry-{q.id}"})
    resp.headers["Cache-Control"] = "private, no-store"
    return secure(resp)

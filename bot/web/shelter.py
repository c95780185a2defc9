"""避難所・連絡先 (/admin/shelter): the text residents get when they tap 避難所・連絡先 in the chat
(handlers/views/disaster.py), kept in associations.shelter_info. Every officer may read it; the
board (chair, officers, disaster officers) may change it — checked here, not only in the menu.
The POST carries the CSRF token (bot/web/auth.py's blueprint checks every POST)."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from bot.web.auth import bp, login_required, message
from handlers.messages import texts
from handlers.views.disaster import MAX_SHELTER
from models import Association
from models.audit import record


def _page(text: str, problem: str | None = None, status: int = 200):
    return render_template("shelter.html", text=text, max=MAX_SHELTER, problem=problem, may_edit=g.member.is_board,
                           saved=request.args.get("saved") == "1"), status


@bp.get("/shelter")
@login_required
def shelter():
    assoc = g.db.get(Association, g.member.association_id)
    return _page(assoc.shelter_info or "")


@bp.post("/shelter")
@login_required
def shelter_save():
    if not g.member.is_board:
        return message(texts.SHELTER_BOARD_ONLY, 403, texts.NAV_SHELTER)
    text = request.form.get("text", "").replace("\r\n", "\n").strip()
    if len(text) > MAX_SHELTER:
        return _page(text, texts.SHELTER_TOO_LONG.format(n=MAX_SHELTER), 400)
    assoc = g.db.get(Association, g.member.association_id)
    if (assoc.shelter_info or "") != text:
        assoc.shelter_info = text or None
        record(g.db, assoc.id, g.member.id, "association.shelter", f"association:{assoc.id}", chars=len(text))
    return redirect(url_for("admin.shelter", saved=1), 303)

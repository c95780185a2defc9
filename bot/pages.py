"""Public pages: the privacy notice, each household's circular page (全文), health check."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template
from sqlalchemy import select

from models import Association, Attachment, Circular, Delivery, utcnow
from models.circulars import SUBJECT

from .config import PRIVACY_POLICY_VERSION
from .inbox import current_association
from .messages import local_date
from .state import kairan

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> Response:
    if kairan().settings.simulator:
        return redirect("/simulator")
    return Response("kairan: LINE webhook at /callback", mimetype="text/plain")


@bp.get("/healthz")
def healthz() -> Response:
    with kairan().db.session() as s:
        s.scalar(select(Association.id).limit(1))
    return Response("ok", mimetype="text/plain")


@bp.get("/privacy")
def privacy() -> str:
    with kairan().db.session() as s:
        assoc = current_association(s, kairan().settings)
        return render_template("privacy.html", association=assoc.name, version=PRIVACY_POLICY_VERSION)


def _delivery(s, token: str) -> tuple[Delivery, Circular]:
    d = s.scalar(select(Delivery).where(Delivery.page_token == token, Delivery.subject_type == SUBJECT))
    c = s.get(Circular, d.subject_id) if d else None
    if d is None or c is None:
        abort(404)
    return d, c


@bp.get("/c/<token>")
def circular_page(token: str) -> str:
    """A household's page of a circular. Opening it counts as read for that household."""
    k = kairan()
    with k.db.session() as s:
        d, c = _delivery(s, token)
        d.mark_read(None, "page", utcnow())
        assoc = s.get(Association, c.association_id)
        return render_template("circular.html", association=assoc.name, c=c, token=token,
                               date=local_date(c.sent_at, k.settings.timezone))


@bp.get("/c/<token>/a/<int:attachment_id>")
def attachment(token: str, attachment_id: int) -> Response:
    with kairan().db.session() as s:
        d, c = _delivery(s, token)
        a = s.get(Attachment, attachment_id)
        if a is None or a.circular_id != c.id:
            abort(404)
        disposition = "inline" if a.kind == "image" or a.content_type == "application/pdf" else "attachment"
        return Response(a.data, mimetype=a.content_type,
                        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(a.filename)}",
                                 "Cache-Control": "private, max-age=3600"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)

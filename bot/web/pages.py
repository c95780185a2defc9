"""Public pages: the privacy notice, each household's circular page (全文), health check."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, redirect, render_template, request
from sqlalchemy import select

from bot.state import kairan
from bot.web.headers import ATTACHMENT_CSP, secure
from handlers.messages import dates, texts
from models import Association, Attachment, Circular, Delivery, Municipality, utcnow
from models.circulars import SUBJECT
from models.roster import PRIVACY_POLICY_VERSION, current_association

bp = Blueprint("pages", __name__)
# page tokens are secrets.token_urlsafe(16); anything else (NUL, other characters, huge) is no page
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,40}")  # the column is String(40)
MAX_ID = 2**31 - 1


@bp.after_request
def _headers(resp: Response) -> Response:
    # the same headers as the officers' pages: the URL of a circular page is its household's secret
    return secure(resp)


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
    """The notice of the association the consent card is about (?a=slug), of a city channel's
    associations before one is picked (?m=municipality id), else of the deployment's association."""
    slug, municipality = request.args.get("a", ""), request.args.get("m", "")
    with kairan().db.session() as s:
        if slug:
            assoc = s.scalar(select(Association).where(Association.slug == slug[:40]))
            if assoc is None:
                abort(404)
            name, city = assoc.name, assoc.municipality_id is not None
        elif municipality:
            m = s.get(Municipality, int(municipality)) if municipality.isdigit() and len(municipality) < 12 else None
            if m is None:
                abort(404)
            name, city = texts.PRIVACY_CITY_ASSOCIATIONS.format(city=m.name), True
        else:
            assoc = current_association(s, kairan().settings.association_slug)
            name, city = assoc.name, assoc.municipality_id is not None
        return render_template("privacy.html", association=name, city=city, version=PRIVACY_POLICY_VERSION)


def _delivery(s, token: str) -> tuple[Delivery, Circular]:
    if not TOKEN.fullmatch(token):
        abort(404)
    d = s.scalar(select(Delivery).where(Delivery.page_token == token, Delivery.of_kind(SUBJECT)))
    c = s.get(Circular, d.circular_id) if d else None
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
                               date=dates.date(c.sent_at, k.settings.timezone))


@bp.get(f"/c/<token>/a/<int(min=1, max={MAX_ID}):attachment_id>")
def attachment(token: str, attachment_id: int) -> Response:
    with kairan().db.session() as s:
        d, c = _delivery(s, token)
        a = s.get(Attachment, attachment_id)
        if a is None or a.circular_id != c.id:
            abort(404)
        disposition = "inline" if a.kind == "image" or a.content_type == "application/pdf" else "attachment"
        return Response(a.data, mimetype=a.content_type,
                        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(a.filename)}",
                                 "Cache-Control": "private, max-age=3600",
                                 "Content-Security-Policy": ATTACHMENT_CSP})


@bp.get("/i/<token>")
def hero_image(token: str) -> Response:
    """The first photo of a circular, the hero of its Flex card: one message for every household, so
    LINE fetches it by the photo's own secret (attachments.image_token), not a household's page."""
    if not TOKEN.fullmatch(token):
        abort(404)
    with kairan().db.session() as s:
        a = s.scalar(select(Attachment).where(Attachment.image_token == token))
        c = s.get(Circular, a.circular_id) if a is not None else None
        if a is None or c is None or not a.is_hero_image:  # (a draft's too: the preview shows the card)
            abort(404)
        return Response(a.data, mimetype=a.content_type,
                        headers={"Content-Disposition": "inline", "Cache-Control": "private, max-age=86400",
                                 "X-Content-Type-Options": "nosniff", "Content-Security-Policy": ATTACHMENT_CSP})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)

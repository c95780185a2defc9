"""The city staff's pages' sign-in and guard: the /city blueprint, `staff_required`, `current_staff()`.

Sign-in works as the officers' (bot/web/auth.py): 「管理画面」 typed by a city staff member in chat
(on the city channel, or on any channel where they are registered as city staff) gives
`{base_url}/city/login/<token>` (bot/web/signin.py `issue_staff_link`); its GET only shows a
confirm button (LINE fetches links to build previews), the POST consumes the one-time row and
starts a signed cookie session of at most 8 hours, whose keys are not the officers' ones.

Every signed-in request loads the staff row again: inactive staff lose access at once, and the
cookie's `session_epoch` must still be the row's (ログアウト, and `kairan city-staff revoke`, bump
it). Everything a page shows is scoped to `current_staff().municipality_id`.

POSTs under /city carry a CSRF token (Flask-WTF's CSRFProtect, checked for this blueprint only;
its Referer check is off because every page sends Referrer-Policy: no-referrer, and the origin is
checked as on the officers' pages).

Pages register on `bp` (bot/web/city.py; the registry's pages too):

    @bp.get("/registry")
    @staff_required
    def registry(): staff = current_staff(); s = g.db ...
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import update

from bot.state import kairan
from bot.web.auth import SESSION_LIFETIME, _same_origin
from bot.web.csrf import protect_posts
from bot.web.headers import secure
from bot.web.signin import consume_staff, landing, peek
from handlers.messages import texts
from models import CityStaff, LoginToken, Municipality, utcnow

bp = Blueprint("city", __name__, url_prefix="/city")
protect_posts(bp)

# session keys (signed by Flask, not encrypted: ids only); not the officers' keys
K_STAFF = "city_staff"
K_AT = "city_login_at"
K_EPOCH = "city_epoch"


@bp.record_once
def _setup(state: Any) -> None:
    state.app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME


@bp.app_context_processor
def _texts() -> dict:
    return {"texts": texts}


@bp.after_request
def _headers(resp):
    resp.headers["Cache-Control"] = "no-store"
    return secure(resp)


def message(text: str, status: int, title: str = texts.CITY_TITLE) -> tuple[str, int]:
    return render_template("city/message.html", title=title, text=text), status


@bp.errorhandler(CSRFError)
def _csrf_failed(_e: Any):
    return message(texts.CITY_CROSS_SITE, 400, texts.CITY_TITLE_BAD_LINK)


def _now_ts() -> int:
    return int(utcnow().timestamp())


def _deny(text: str):
    for key in (K_STAFF, K_AT, K_EPOCH):
        session.pop(key, None)
    return message(text, 403, texts.CITY_TITLE_SIGN_IN)


def current_staff() -> CityStaff:
    """The signed-in city staff member of this request (inside a `staff_required` view)."""
    return g.staff


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Runs the view inside one DB session (`g.db`), with the signed-in staff member (loaded now)
    in `g.staff` (`current_staff()`) and their municipality in `g.municipality`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        staff_id, at, epoch = session.get(K_STAFF), session.get(K_AT), session.get(K_EPOCH)
        if not isinstance(staff_id, int) or not isinstance(at, int) or not isinstance(epoch, int):
            return _deny(texts.CITY_SIGN_IN)
        now = _now_ts()
        if not (at - 60 <= now < at + int(SESSION_LIFETIME.total_seconds())):
            return _deny(texts.CITY_EXPIRED)
        with kairan().db.session() as s:
            staff = s.get(CityStaff, staff_id)
            if staff is not None and staff.session_epoch != epoch:
                return _deny(texts.CITY_SIGNED_OUT)
            if staff is None or not staff.active:
                return _deny(texts.CITY_NOT_STAFF)
            municipality = s.get(Municipality, staff.municipality_id)
            g.db, g.staff, g.municipality = s, staff, municipality
            g.city_header = {"municipality": municipality.name if municipality else "", "name": staff.name or ""}
            return view(*args, **kwargs)

    return wrapper


# --- sign-in -------------------------------------------------------------------------------


def _usable_staff(s, staff_id: int | None) -> CityStaff | None:
    staff = s.get(CityStaff, staff_id) if staff_id is not None else None
    return staff if staff is not None and staff.active else None


@bp.get("/login/<token>")
def login_page(token: str):
    """Shows the confirm button. Does NOT use the link up (LINE's preview fetches it too)."""
    jti = peek(kairan().settings, token)
    if jti is None:
        return message(texts.CITY_BAD_LINK, 400, texts.CITY_TITLE_BAD_LINK)
    with kairan().db.session() as s:
        row = s.get(LoginToken, jti)
        if row is None or row.staff_id is None:
            return message(texts.CITY_BAD_LINK, 400, texts.CITY_TITLE_BAD_LINK)
        if row.used_at is not None or row.expires_at <= utcnow():
            return message(texts.CITY_USED_LINK, 410, texts.CITY_TITLE_BAD_LINK)
        staff = _usable_staff(s, row.staff_id)
        if staff is None:
            return message(texts.CITY_NOT_STAFF, 403, texts.CITY_TITLE_BAD_LINK)
        municipality = s.get(Municipality, staff.municipality_id)
        return render_template("city/login.html", token=token, municipality=municipality.name if municipality else "")


@bp.post("/login/<token>")
def login(token: str):
    settings = kairan().settings
    if not _same_origin():
        return message(texts.CITY_CROSS_SITE, 403, texts.CITY_TITLE_BAD_LINK)
    if peek(settings, token) is None:
        return message(texts.CITY_BAD_LINK, 400, texts.CITY_TITLE_BAD_LINK)
    with kairan().db.session() as s:
        staff = _usable_staff(s, consume_staff(s, settings, token))  # atomic: the link works once
        staff_id, epoch = (staff.id, staff.session_epoch) if staff is not None else (None, None)
    if staff_id is None:
        session.clear()
        return message(texts.CITY_USED_LINK, 410, texts.CITY_TITLE_BAD_LINK)
    session.clear()  # nothing of an earlier sign-in carries over
    session[K_STAFF], session[K_EPOCH], session[K_AT] = staff_id, epoch, _now_ts()
    session.permanent = True
    return redirect(landing(settings, token, "/city") or url_for("city.home"), 303)


@bp.post("/logout")
def logout():
    if not _same_origin():
        return message(texts.CITY_CROSS_SITE, 403)
    staff_id, epoch = session.get(K_STAFF), session.get(K_EPOCH)
    if isinstance(staff_id, int) and isinstance(epoch, int):
        # ends this session and every copy of its cookie (and the staff member's other devices)
        with kairan().db.session() as s:
            s.execute(update(CityStaff).where(CityStaff.id == staff_id, CityStaff.session_epoch == epoch)
                      .values(session_epoch=CityStaff.session_epoch + 1))
    session.clear()
    return message(texts.CITY_LOGGED_OUT, 200, texts.CITY_TITLE_LOGGED_OUT)


@bp.errorhandler(404)
def not_found(_e: Any = None):
    return message(texts.CITY_NOT_FOUND, 404, texts.CITY_TITLE_NOT_FOUND)


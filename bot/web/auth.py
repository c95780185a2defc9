"""The officers' pages' sign-in and guard: the /admin blueprint, one-time sign-in links, `login_required`.

The pages themselves register on `bp` in bot/web/admin.py, admin_events.py and safety_page.py
(safety has a blueprint of its own, behind the same guard).

Sign-in: 「管理画面」 in chat gives `{base_url}/admin/login/<token>` (bot/web/signin.py). GET of that
link only shows a confirm button — LINE fetches links in chat to build previews, so a GET must
not use the link up. The POST (same URL: the token in the path is the secret, so a forged form
cannot sign anyone in without knowing it) consumes the token row atomically and starts a signed
cookie session of at most 8 hours.

Every signed-in request loads the member again and checks their *current* status and role: a
member who left the board, or withdrew, loses access at once. Block leaders see their own 班 only.
The cookie also carries the member's `session_epoch` at sign-in: ログアウト bumps it, and so does
any change of role or status (models.roster), so a copied cookie dies with the session it came from.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import update

from bot.state import kairan
from bot.web.csrf import protect_posts
from bot.web.headers import secure
from bot.web.nav import items_for
from bot.web.signin import consume, landing, peek
from handlers.messages import texts
from models import OFFICER_ROLES, Association, Block, Household, LoginToken, Member, MemberStatus, Role, utcnow
from models.safety import active_disaster, may_see_safety

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Every POST under /admin carries the CSRF token (Flask-WTF, bot/web/csrf.py) but the sign-in's:
# it has no session yet, and its one-time token in the path is the secret (plus _same_origin).
protect_posts(bp, exempt=("admin.login",))

SESSION_LIFETIME = dt.timedelta(hours=8)
MAX_ID = 2**31 - 1  # ids in URLs: larger numbers are no page (the database's INTEGER would overflow)
ID = f"int(min=1, max={MAX_ID})"
LIST_LIMIT = 50
UNREAD_SHOWN = 300  # more than any association has households; a guard against huge pages

# session keys (the cookie is signed by Flask with SECRET_KEY, not encrypted: ids only)
K_MEMBER = "admin_member"
K_AT = "admin_login_at"  # unix seconds of the sign-in
K_EPOCH = "admin_epoch"  # the member's session_epoch at sign-in


@bp.record_once
def _session_lifetime(state: Any) -> None:
    # The cookie of a permanent session expires with this; the login time in the session is also
    # checked on every request (below), so the 8 hours hold even if a browser keeps the cookie.
    state.app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME


@bp.app_context_processor
def _texts() -> dict:
    return {"texts": texts}


@bp.after_request
def _headers(resp):
    # personal data (names of unread households): never stored by browsers or proxies
    resp.headers["Cache-Control"] = "no-store"
    return secure(resp)  # CSP, nosniff, no framing, no referrer (the login URL carries the token)


def message(text: str, status: int, title: str = texts.ADMIN_TITLE) -> tuple[str, int]:
    return render_template("admin_message.html", title=title, text=text), status


def _same_origin() -> bool:
    """A POST must come from our own pages (defence in depth against login CSRF)."""
    fetch_site = request.headers.get("Sec-Fetch-Site", "")
    if fetch_site in ("cross-site", "same-site"):
        return False
    if fetch_site == "same-origin":
        # the browser itself vouches; with Referrer-Policy: no-referrer it sends Origin: null
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # older browsers send no Origin on same-origin POSTs
    allowed = {request.host_url.rstrip("/"), _origin_of(kairan().settings.base_url)}
    return _origin_of(origin) in allowed


def _origin_of(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


def _now_ts() -> int:
    return int(utcnow().timestamp())


def _deny(text: str) -> tuple[str, int]:
    session.clear()
    return message(text, 403, texts.ADMIN_TITLE_SIGN_IN)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Runs the view inside one DB session, with the signed-in officer (loaded now) in `g.member`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        member_id, at, epoch = session.get(K_MEMBER), session.get(K_AT), session.get(K_EPOCH)
        if not isinstance(member_id, int) or not isinstance(at, int) or not isinstance(epoch, int):
            return _deny(texts.ADMIN_SIGN_IN)
        now = _now_ts()
        if not (at - 60 <= now < at + int(SESSION_LIFETIME.total_seconds())):
            return _deny(texts.ADMIN_EXPIRED)
        with kairan().db.session() as s:
            member = s.get(Member, member_id)
            if member is not None and member.session_epoch != epoch:
                return _deny(texts.ADMIN_SIGNED_OUT)  # signed out, or the role changed since the sign-in
            if member is None or not _allowed(member):
                return _deny(texts.ADMIN_NOT_OFFICER)
            g.db, g.member = s, member
            g.block_id = member.led_block_id  # None = the whole association
            assoc = s.get(Association, member.association_id)
            block = s.get(Block, g.block_id) if g.block_id is not None else None
            # plain strings for the page header (safe to render even after the session is gone)
            disaster = active_disaster(s, member.association_id)
            g.header = {"association": assoc.name if assoc else "", "name": member.name or "",
                        "role": texts.ROLE_LABELS.get(member.role, ""), "block": block.name if block else "",
                        # the navigation bar: 安否状況 for whoever may open the live page
                        "safety": may_see_safety(member),
                        "disaster": ((texts.DRILL_MARK if disaster.drill else "")  # a drill says so (issue 14)
                                     + texts.DISASTER_KINDS.get(disaster.kind, "")) if disaster else None,
                        "nav": items_for(member, disaster is not None)}
            return view(*args, **kwargs)

    return wrapper




def _allowed(member: Member) -> bool:
    if member.status != MemberStatus.active or member.role not in OFFICER_ROLES:
        return False
    # a block leader without a 班 would otherwise see everything: refuse instead
    return member.role != Role.block_leader or member.led_block_id is not None


# --- sign-in -------------------------------------------------------------------------------


@bp.get("/login/<token>")
def login_page(token: str):
    """Shows the confirm button. Does NOT use the link up (LINE's preview fetches it too)."""
    jti = peek(kairan().settings, token)
    if jti is None:
        return message(texts.ADMIN_BAD_LINK, 400, texts.ADMIN_TITLE_BAD_LINK)
    with kairan().db.session() as s:
        row = s.get(LoginToken, jti)
        if row is None:
            return message(texts.ADMIN_BAD_LINK, 400, texts.ADMIN_TITLE_BAD_LINK)
        if row.used_at is not None or row.expires_at <= utcnow():
            return message(texts.ADMIN_USED_LINK, 410, texts.ADMIN_TITLE_BAD_LINK)
        member = s.get(Member, row.member_id) if row.member_id is not None else None  # None: a city staff link
        if member is None or not _allowed(member):
            return message(texts.ADMIN_NOT_OFFICER, 403, texts.ADMIN_TITLE_BAD_LINK)
        assoc = s.get(Association, row.association_id)
        return render_template("admin_login.html", token=token, association=assoc.name if assoc else "")


@bp.post("/login/<token>")
def login(token: str):
    settings = kairan().settings
    if not _same_origin():
        return message(texts.ADMIN_CROSS_SITE, 403, texts.ADMIN_TITLE_BAD_LINK)
    if peek(settings, token) is None:
        return message(texts.ADMIN_BAD_LINK, 400, texts.ADMIN_TITLE_BAD_LINK)
    with kairan().db.session() as s:
        member_id = consume(s, settings, token)  # atomic: the link works once
        member = s.get(Member, member_id) if member_id is not None else None
        if member is None:
            fail = message(texts.ADMIN_USED_LINK, 410, texts.ADMIN_TITLE_BAD_LINK)
        elif not _allowed(member):
            fail = message(texts.ADMIN_NOT_OFFICER, 403, texts.ADMIN_TITLE_BAD_LINK)
        else:
            fail = None
            member_id, epoch = member.id, member.session_epoch
    if fail is not None:
        session.clear()
        return fail
    session.clear()  # nothing of an earlier sign-in carries over
    session[K_MEMBER] = member_id
    session[K_EPOCH] = epoch
    session[K_AT] = _now_ts()
    session.permanent = True
    return redirect(landing(settings, token) or url_for("admin.index"), 303)


@bp.post("/logout")
def logout():
    if not _same_origin():
        return message(texts.ADMIN_CROSS_SITE, 403)
    member_id, epoch = session.get(K_MEMBER), session.get(K_EPOCH)
    if isinstance(member_id, int) and isinstance(epoch, int):
        # ends this session and every copy of its cookie (and the member's other signed-in devices)
        with kairan().db.session() as s:
            s.execute(update(Member).where(Member.id == member_id, Member.session_epoch == epoch)
                      .values(session_epoch=Member.session_epoch + 1))
    session.clear()
    return message(texts.ADMIN_LOGGED_OUT, 200, texts.ADMIN_TITLE_LOGGED_OUT)


# --- pages ---------------------------------------------------------------------------------


def id_arg(name: str) -> int | None:
    """An id from the query string (?b=3); anything else, or out of range, is None."""
    value = request.args.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 1 <= int(value) <= MAX_ID:
        return None
    return int(value)


def household_in_scope(household_id: int | None) -> Household | None:
    """A household the signed-in officer may act on: of their association, and of a block
    leader's own 班. None otherwise (the page answers 404)."""
    h = g.db.get(Household, household_id) if household_id else None
    if h is None or h.association_id != g.member.association_id:
        return None
    if g.block_id is not None and h.block_id != g.block_id:
        return None
    return h


@bp.errorhandler(CSRFError)
def _csrf_failed(_e: Any):
    """No or a stale token: the view never ran, nothing was written."""
    return message(texts.ADMIN_CROSS_SITE, 400)


@bp.errorhandler(404)
def not_found(_e: Any = None):
    return message(texts.ADMIN_NOT_FOUND, 404, texts.ADMIN_TITLE_NOT_FOUND)



"""One-time sign-in links for officers' web pages, and for city staff's (/city).

「管理画面」 in chat → a signed token (itsdangerous) naming a `login_tokens` row, valid 10 minutes.
An officer's row names the member (link under /admin/login/); a city staff member's names the
staff row (link under /city/login/, bot/web/city_auth.py). Each page consumes only rows of its own
kind, so a link shown on the other page is refused there and still works where it belongs.
GET of the link only shows a confirm button (LINE fetches links to build previews); the POST
consumes the row atomically, so the link works once.

A link may name the page to land on after sign-in (「安否状況」 → the live safety page). It is
inside the signed token, so nobody can change it, and it is used only if it is a relative path
under /admin (`safe_next`; /city for staff): never another site.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from models import CityStaff, LoginToken, Member, utcnow

TTL = dt.timedelta(minutes=10)
SALT = "kairan-admin-login"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


_NEXT = {prefix: re.compile(prefix + r"(/[A-Za-z0-9._~/-]*)?") for prefix in ("/admin", "/city")}


def safe_next(path: object, prefix: str = "/admin") -> str | None:
    """`path` if it is a plain relative path under `prefix` (no host, scheme, query, `..` or `//`)."""
    if not isinstance(path, str) or len(path) > 200 or not _NEXT[prefix].fullmatch(path):
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or "//" in path or any(p in (".", "..") for p in path.split("/")):
        return None
    return path


def issue_login_link(session: Session, settings: Settings, member: Member, now: dt.datetime | None = None,
                     next_path: str | None = None) -> str:
    """A one-time link; after sign-in it lands on `next_path` (a path under /admin) or /admin."""
    now = now or utcnow()
    jti = secrets.token_urlsafe(16)
    session.add(LoginToken(jti=jti, association_id=member.association_id, member_id=member.id,
                           created_at=now, expires_at=now + TTL))
    payload = {"j": jti}
    if next_path is not None:
        if safe_next(next_path) is None:
            raise ValueError("a sign-in link lands under /admin only")
        payload["n"] = next_path
    token = _serializer(settings).dumps(payload)
    return f"{settings.base_url}/admin/login/{token}"


def issue_staff_link(session: Session, settings: Settings, staff: CityStaff, now: dt.datetime | None = None,
                     next_path: str | None = None) -> str:
    """A one-time link for a city staff member; after sign-in it lands on `next_path` (under /city) or /city."""
    now = now or utcnow()
    jti = secrets.token_urlsafe(16)
    session.add(LoginToken(jti=jti, association_id=None, staff_id=staff.id, created_at=now, expires_at=now + TTL))
    payload = {"j": jti}
    if next_path is not None:
        if safe_next(next_path, "/city") is None:
            raise ValueError("a city staff sign-in link lands under /city only")
        payload["n"] = next_path
    return f"{settings.base_url}/city/login/{_serializer(settings).dumps(payload)}"


class Links:
    """The sign-in links handlers hand out in chat (handlers.framework.ports.Links)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def sign_in(self, session: Session, member: Member, now: dt.datetime, next_path: str | None = None) -> str:
        return issue_login_link(session, self.settings, member, now, next_path=next_path)

    def staff_sign_in(self, session: Session, staff: CityStaff, now: dt.datetime, next_path: str | None = None) -> str:
        return issue_staff_link(session, self.settings, staff, now, next_path=next_path)


def _payload(settings: Settings, token: str) -> dict | None:
    try:
        data = _serializer(settings).loads(token, max_age=int(TTL.total_seconds()) * 100)
    except (BadSignature, SignatureExpired, TypeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("j"), str) else None


def peek(settings: Settings, token: str) -> str | None:
    """The jti of a well-signed token (expiry is checked against the row, with our clock)."""
    data = _payload(settings, token)
    return data["j"] if data else None


def landing(settings: Settings, token: str, prefix: str = "/admin") -> str | None:
    """The page a well-signed link lands on after sign-in (None: the home under `prefix`)."""
    data = _payload(settings, token)
    return safe_next(data.get("n"), prefix) if data else None


def _consume(session: Session, settings: Settings, token: str, now: dt.datetime | None, column) -> int | None:
    now = now or utcnow()
    jti = peek(settings, token)
    if jti is None:
        return None
    res = session.execute(update(LoginToken)
                          .where(LoginToken.jti == jti, LoginToken.used_at.is_(None), LoginToken.expires_at > now,
                                 column.is_not(None))
                          .values(used_at=now))
    if res.rowcount != 1:
        return None
    return session.scalar(select(column).where(LoginToken.jti == jti))


def consume(session: Session, settings: Settings, token: str, now: dt.datetime | None = None) -> int | None:
    """Use an officer's link: returns the member id, or None if it is forged, expired, already used
    or a city staff member's."""
    return _consume(session, settings, token, now, LoginToken.member_id)


def consume_staff(session: Session, settings: Settings, token: str, now: dt.datetime | None = None) -> int | None:
    """Use a city staff member's link: returns the staff id, or None (forged, expired, used, an officer's)."""
    return _consume(session, settings, token, now, LoginToken.staff_id)

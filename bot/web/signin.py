"""One-time sign-in links for officers' web pages.

「管理画面」 in chat → a signed token (itsdangerous) naming a `login_tokens` row, valid 10 minutes.
GET of the link only shows a confirm button (LINE fetches links to build previews); the POST
consumes the row atomically, so the link works once.

A link may name the page to land on after sign-in (「安否状況」 → the live safety page). It is
inside the signed token, so nobody can change it, and it is used only if it is a relative path
under /admin (`safe_next`): never another site.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from models import LoginToken, Member, utcnow

TTL = dt.timedelta(minutes=10)
SALT = "kairan-admin-login"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


_NEXT = re.compile(r"/admin(/[A-Za-z0-9._~/-]*)?")


def safe_next(path: object) -> str | None:
    """`path` if it is a plain relative path under /admin (no host, scheme, query, `..` or `//`)."""
    if not isinstance(path, str) or len(path) > 200 or not _NEXT.fullmatch(path):
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


class Links:
    """The sign-in links handlers hand out in chat (handlers.framework.ports.Links)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def sign_in(self, session: Session, member: Member, now: dt.datetime, next_path: str | None = None) -> str:
        return issue_login_link(session, self.settings, member, now, next_path=next_path)


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


def landing(settings: Settings, token: str) -> str | None:
    """The page a well-signed link lands on after sign-in (None: the admin home)."""
    data = _payload(settings, token)
    return safe_next(data.get("n")) if data else None


def consume(session: Session, settings: Settings, token: str, now: dt.datetime | None = None) -> int | None:
    """Use the link: returns the member id, or None if it is forged, expired or already used."""
    now = now or utcnow()
    jti = peek(settings, token)
    if jti is None:
        return None
    res = session.execute(update(LoginToken)
                          .where(LoginToken.jti == jti, LoginToken.used_at.is_(None), LoginToken.expires_at > now)
                          .values(used_at=now))
    if res.rowcount != 1:
        return None
    return session.get(LoginToken, jti).member_id

"""One-time sign-in links for officers' web pages.

「管理画面」 in chat → a signed token (itsdangerous) naming a `login_tokens` row, valid 10 minutes.
GET of the link only shows a confirm button (LINE fetches links to build previews); the POST
consumes the row atomically, so the link works once.
"""
from __future__ import annotations

import datetime as dt
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from models import LoginToken, Member, utcnow

from .config import Settings

TTL = dt.timedelta(minutes=10)
SALT = "kairan-admin-login"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def issue_login_link(session: Session, settings: Settings, member: Member, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    jti = secrets.token_urlsafe(16)
    session.add(LoginToken(jti=jti, association_id=member.association_id, member_id=member.id,
                           created_at=now, expires_at=now + TTL))
    token = _serializer(settings).dumps({"j": jti})
    return f"{settings.base_url}/admin/login/{token}"


def peek(settings: Settings, token: str) -> str | None:
    """The jti of a well-signed token (expiry is checked against the row, with our clock)."""
    try:
        return _serializer(settings).loads(token, max_age=int(TTL.total_seconds()) * 100)["j"]
    except (BadSignature, SignatureExpired, KeyError, TypeError):
        return None


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

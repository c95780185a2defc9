"""The one CSRFProtect (Flask-WTF) of the web pages, checked per blueprint.

Both signed-in areas use it: /admin (officers, bot/web/auth.py) and /city (city staff,
bot/web/city_auth.py). A blueprint that asks calls `protect_posts(bp, exempt=...)`: every POST
under it must carry the form field `csrf_token` (`{{ csrf_token() }}` in the template, or a
FlaskForm's `form.hidden_tag()`), else the blueprint's CSRFError handler answers 400 and the view
never runs. The sign-in POSTs are exempt: there is no session yet, and the one-time token in
their path is the secret (plus the same-origin check).

The Referer check is off because every page sends Referrer-Policy: no-referrer.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
TIME_LIMIT = 8 * 3600  # as long as a sign-in: an officer may type slowly


def setup(app: Flask) -> None:
    if "csrf" in app.extensions:
        return
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the blueprints that ask are checked
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)  # no Referer is ever sent (no-referrer)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", TIME_LIMIT)
    csrf.init_app(app)


def protect_posts(bp: Blueprint, exempt: tuple[str, ...] = ()) -> None:
    """Every POST under `bp` needs the token, except the endpoints named in `exempt`."""

    @bp.record_once
    def _setup(state: Any) -> None:
        setup(state.app)

    @bp.before_request
    def _check() -> None:
        if request.method == "POST" and request.endpoint not in exempt:
            csrf.protect()

"""Every error page a person may see is in Japanese, in the site's layout, phone-sized, and says what
to do next (a wrong or expired link `/c/<bad>`, a page that does not exist, a form sent twice…).

Machine answers keep their own shape: the webhook (`/callback`, LINE reads only the status), the
health check and the simulator's JSON API. Under /admin a missing page is the dashboard's own
answer (bot/web/auth.py not_found: the officers' menu bar stays).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from bot.web.headers import secure
from handlers.messages import texts

MACHINE = ("/callback", "/healthz", "/simulator/")  # answered as they are (not pages for people)
CODES = (400, 403, 404, 405, 413, 429, 500)


def page(e: Any):
    if request.path.startswith(MACHINE):
        return e
    code = e.code if isinstance(e, HTTPException) and e.code in texts.ERROR_PAGES else 500
    if code == 404 and (request.path == "/admin" or request.path.startswith("/admin/")):
        from bot.web.auth import not_found  # noqa: PLC0415 - the dashboard's page, with its menu bar

        resp = make_response(not_found())
    else:
        title, text = texts.ERROR_PAGES[code]
        resp = make_response(render_template("error.html", title=title, text=text), code)
    if isinstance(e, HTTPException) and code == 405 and e.valid_methods:
        resp.headers["Allow"] = ", ".join(e.valid_methods)
    resp.headers["Cache-Control"] = "no-store"
    return secure(resp)


def register(app: Flask) -> None:
    for code in CODES:
        app.register_error_handler(code, page)
    app.register_error_handler(InternalServerError, page)

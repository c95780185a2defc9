"""The Flask app factory: `gunicorn 'bot.app:create_app()'`."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .config import Settings, load_settings
from .state import build

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # urllib3 logs request lines at DEBUG only; keep bodies and tokens out of INFO logs
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or load_settings()
    if overrides:
        settings = settings.with_(**overrides)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        JSON_AS_ASCII=False,
    )
    app.extensions["kairan"] = build(settings)

    from . import pages, webhook

    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)
    from . import admin

    app.register_blueprint(admin.bp)
    if settings.simulator:
        from . import simulator
        simulator.init_app(app)
        log.warning("simulator mode: no LINE credentials set; LINE is faked at %s", settings.line_api_base_url)
    return app

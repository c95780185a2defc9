"""The Flask app factory: `gunicorn 'bot.app:create_app()'`."""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot.config import Settings, load_settings
from bot.state import build

log = logging.getLogger(__name__)


SECRET_PATHS = re.compile(r"/(c|admin/login|city/login|city/n)/[^/\s?\"]+")


class RedactPaths(logging.Filter):
    """Request logs name paths; page tokens and sign-in links in them are secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact = (lambda a: SECRET_PATHS.sub(r"/\1/…", a) if isinstance(a, str) else a)
        if isinstance(record.args, Mapping):  # gunicorn's access log passes a dict of atoms
            record.args = {k: redact(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(redact(a) for a in record.args)
        record.msg = SECRET_PATHS.sub(r"/\1/…", str(record.msg))
        return True


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # a line per 2-second tick otherwise
    for name in ("werkzeug", "gunicorn.access"):
        logging.getLogger(name).addFilter(RedactPaths())


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or load_settings()
    if overrides:
        settings = settings.with_(**overrides)
    if not logging.getLogger().handlers:  # under gunicorn nobody else configures it
        configure_logging(settings.log_level)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        JSON_AS_ASCII=False,
    )
    app.extensions["kairan"] = build(settings)
    if not settings.simulator:  # each gunicorn worker builds its app: its channels are read at start
        app.extensions["kairan"].channels.warm()

    from bot import webhook
    from bot.web import admin, admin_events, archive, auth, pages, safety_page  # noqa: F401 - pages register on auth.bp
    from bot.web import audit_page, paper, people, roster  # noqa: F401 - the dashboard (issue 12), on auth.bp
    from bot.web import jma_page  # noqa: F401 - 自動開始 (issue 14), on auth.bp
    from bot.web import drills_page  # noqa: F401 - 訓練の記録 (issue 14), on auth.bp
    from bot.web import inquiries_page  # noqa: F401 - 問い合わせ (issue 13), on auth.bp
    from bot.web import city, city_auth, errors  # noqa: F401 - the city staff's pages register on city_auth.bp
    from bot.web import city_registry, registry as registry_pages  # noqa: F401 - the registry's pages (auth.bp, city_auth.bp)
    from bot.web import shelter  # noqa: F401 - 避難所・連絡先 (issue 13), on auth.bp
    from bot.web import reports_page  # noqa: F401 - 通報 triage (issue 16), on auth.bp
    from bot.web import city_reports  # noqa: F401 - 通報 forwarded to the city (issue 16), on city_auth.bp
    from bot.web import mimamori_page  # noqa: F401 - 見守り (issue 17), on auth.bp
    from bot.web import open311  # 通報 for city systems: Open311 GeoReport v2, read-only (issue 16)

    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(safety_page.bp)
    app.register_blueprint(city_auth.bp)
    app.register_blueprint(open311.bp)
    errors.register(app)  # every error page in Japanese, phone-sized (bot/web/errors.py)
    if settings.simulator:
        from bot.dev import simulator
        simulator.init_app(app)
    return app

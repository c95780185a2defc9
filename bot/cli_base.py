"""What every `kairan` command module shares: the one-line failure, the settings, and one
migrated transaction (bot/cli.py, bot/city_cli.py, bot/registry_cli.py)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings, load_settings as _load_settings
from handlers.messages import texts
from models import Database
from models.migrate import upgrade


class Fail(click.ClickException):
    """One line on stderr, exit 1 (click's own 'Error:' prefix is English)."""

    def show(self, file=None) -> None:
        click.echo(texts.CLI_ERROR.format(message=self.format_message()), err=True)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """The settings, or one line saying what the environment lacks (e.g. KAIRAN_SECRET_KEY)."""
    try:
        return _load_settings(env)
    except ConfigError as e:
        raise Fail(str(e)) from None


@contextmanager
def database(settings: Settings | None = None) -> Iterator[tuple[Settings, Session]]:
    """Migrate, then one transaction: committed on success, rolled back on any error."""
    settings = settings or load_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            yield settings, s
    finally:
        db.dispose()

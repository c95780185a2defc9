"""Per-app state (settings, database, LINE client) kept in app.extensions, as Flask extensions do."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from bot.config import Settings
from models import Database


@dataclass
class Kairan:
    settings: Settings
    db: Database
    line: Any  # bot.line.client.LineClient
    processor: Any  # bot.inbox.Processor
    pool: Any = None  # bot.workers.InboxPool: handles webhook events off the request thread
    extras: dict[str, Any] = field(default_factory=dict)

    # the scheduler's I/O ticks (scheduler.runtime.Runtime)
    def send_outbox(self, limit: int, stop: Any = None) -> int:
        from bot.outbox import dispatch_once

        return dispatch_once(self.db, self.line, limit=limit, stop=stop)

    def sweep_inbox(self) -> int:
        return self.processor.sweep()


def kairan() -> Kairan:
    return current_app.extensions["kairan"]


def build(settings: Settings) -> Kairan:
    """Everything a process needs to work: used by the web app and the scheduler alike."""
    import handlers.chat  # noqa: F401 - registers every handler on the router
    from bot.inbox import Processor
    from bot.line.client import LineClient
    from bot.workers import InboxPool

    db = Database(settings.database_url)
    line = LineClient(settings)
    processor = Processor(db, settings, line)
    return Kairan(settings, db, line, processor, InboxPool(processor, settings))

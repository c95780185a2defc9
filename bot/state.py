"""Per-app state (settings, database, channels, LINE clients) kept in app.extensions, as Flask extensions do."""
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
    line: Any  # bot.line.client.LineClient: the environment's channel (`line.clients`: every channel's)
    processor: Any  # bot.inbox.Processor
    pool: Any = None  # bot.workers.InboxPool: handles webhook events off the request thread
    extras: dict[str, Any] = field(default_factory=dict)
    channels: Any = None  # bot.channels.Directory: the channels, cached

    @property
    def clients(self) -> Any:  # bot.line.client.LineClients
        return self.line.clients

    # the scheduler's I/O ticks (scheduler.runtime.Runtime)
    def send_outbox(self, limit: int, stop: Any = None) -> int:
        from bot.outbox import dispatch_once

        return dispatch_once(self.db, self.line, limit=limit, stop=stop)

    def sweep_inbox(self) -> int:
        return self.processor.sweep()

    def line_for(self, channel_id: int | None) -> Any:
        return self.line if channel_id is None else self.clients.get(channel_id)


def kairan() -> Kairan:
    return current_app.extensions["kairan"]


def build(settings: Settings) -> Kairan:
    """Everything a process needs to work: used by the web app and the scheduler alike."""
    import handlers.chat  # noqa: F401 - registers every handler on the router
    from bot.channels import Directory
    from bot.inbox import Processor
    from bot.line.client import LineClients
    from bot.workers import InboxPool

    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    channels = Directory(db, settings)
    line = LineClients(settings, channels).env
    processor = Processor(db, settings, line, channels)
    return Kairan(settings, db, line, processor, InboxPool(processor, settings), channels=channels)

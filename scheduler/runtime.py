"""What the scheduler's jobs are given by the process that runs them (bot.state.Kairan fits).

Jobs are plain functions of a Runtime: the database, the settings, the LINE client (content
downloads only) and the two I/O ticks that belong to the process edge — send what is due in the
outbox, and sweep the webhook inbox — passed in as callables, so the scheduler imports no bot code.
"""
from __future__ import annotations

import threading
from typing import Any, Optional, Protocol

from models import Database


class Runtime(Protocol):
    db: Database
    settings: Any  # bot.config.Settings: timezone, quiet hours, re-ask and retention knobs
    line: Any  # the environment channel's LINE client (content downloads: get_content(message_id))
    extras: dict[str, Any]  # "stopping": a threading.Event set when the process is told to stop

    def send_outbox(self, limit: int, stop: Optional[threading.Event]) -> int:
        """Send what is due in the outbox (at most `limit` rows); returns rows handled."""

    def line_for(self, channel_id: Optional[int]) -> Any:
        """The LINE client of a channel (None: the environment's): content is downloaded through
        the channel the resident sent it on. None when that channel is gone."""

    def sweep_inbox(self) -> int:
        """Handle webhook events left in the inbox (a crashed worker's, a failed one's retry)."""

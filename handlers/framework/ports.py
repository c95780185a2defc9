"""What handlers need from the process, as small Protocols: the process edge (bot/) passes objects
that fit them into every Ctx, so no handler imports bot.

- `ChatSettings`: the few settings handlers read (bot.config.Settings fits).
- `LineApi`: LINE calls a handler may need inside the chat (bot.line.client.LineClient fits):
  content downloads (an officer's attached image or PDF) and this month's quota figure.
- `Links`: links to the web pages that need signing, an officer's or a city staff member's
  (bot.web.signin.Links fits).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Protocol

from sqlalchemy.orm import Session

from models import CityStaff, Member


class ChatSettings(Protocol):
    @property
    def base_url(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def reminder_days(self) -> int: ...
    @property
    def reminder_hour(self) -> int: ...
    @property
    def quiet_start_hour(self) -> int: ...
    @property
    def quiet_end_hour(self) -> int: ...
    @property
    def urgent_quota_reserve(self) -> int: ...
    @property
    def rescue_update_minutes(self) -> int: ...
    @property
    def safety_reask_minutes(self) -> int: ...
    @property
    def safety_reask_max(self) -> int: ...
    @property
    def location_retention_days(self) -> int: ...


class LineApi(Protocol):
    def get_content(self, message_id: str) -> Any:
        """The bytes of a message's content (image, file), with a content type; None if LINE refuses."""

    def display_name(self, user_id: str) -> Optional[str]:
        """The user's LINE display name (their profile), None if LINE does not give it."""

    def quota(self) -> tuple[Optional[int], Optional[int]]:
        """(monthly limit or None for no cap, this month's usage) — (None, None) if LINE did not answer."""


class Links(Protocol):
    def sign_in(self, session: Session, member: Member, now: dt.datetime, next_path: Optional[str] = None) -> str:
        """A one-time sign-in link to the officers' pages, landing on `next_path` (under /admin)."""

    def staff_sign_in(self, session: Session, staff: CityStaff, now: dt.datetime, next_path: Optional[str] = None) -> str:
        """A one-time sign-in link to the city staff's pages (/city), landing on `next_path` (under /city)."""

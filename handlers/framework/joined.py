"""What someone approved (or linked) late still gets: the circulars and events sent before they
joined that are still open for their household. Each capability registers a provider here
(circulars: unread ones of the last 30 days; events: those before their deadline); registration
calls `open_items` right after approval and pushes them through the outbox. (Registration may
not import the other capabilities: they come to it through this list.)"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy.orm import Session

from models import Member

from .ports import ChatSettings

Provider = Callable[[Session, ChatSettings, Member, dt.datetime], list[dict[str, Any]]]
PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    PROVIDERS.append(fn)
    return fn


def open_items(session: Session, settings: ChatSettings, member: Member, now: dt.datetime) -> list[dict[str, Any]]:
    """The messages (cards) of what is still open for the member's household, oldest first per kind."""
    return [m for p in PROVIDERS for m in p(session, settings, member, now)]

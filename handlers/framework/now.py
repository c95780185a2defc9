"""What a member can do now: the help's answer to a text nothing took (issue 10: never 「退会」 to
someone who just tried to answer; the open items with their buttons instead). Each capability
registers a provider here (circulars: the household's unread ones; events: the open ones not yet
answered); registration's help calls
`open_items`. (Registration may not import the other capabilities: they come to it through this list.)"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session

from models import Member

from .ports import ChatSettings


@dataclass
class Item:
    line: str  # 「・未読の回覧：「防災訓練のお知らせ」」
    chips: list[Any] = field(default_factory=list)  # quick-reply actions that act on it


Provider = Callable[[Session, ChatSettings, Member, dt.datetime], list[Item]]
PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    PROVIDERS.append(fn)
    return fn


def open_items(session: Session, settings: ChatSettings, member: Member, now: dt.datetime) -> list[Item]:
    return [i for p in PROVIDERS for i in p(session, settings, member, now)]

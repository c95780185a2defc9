"""The chat without HTTP (`chat`): a webhook event built as LINE sends it becomes a Ctx with a real
database session and goes through the real router (handlers.chat), as bot/inbox.py does it; the
replies are popped from the Ctx and the outbox rows the turn wrote can be read back.

It speaks the same driver API as tests/chat.py's `Line` (text, postback, follow, image, file,
location, tap → the messages replied), so a dialog-heavy test reads the same with either; what
travels through /callback (signatures, the stored event, the reply call) is the webhook tests'.
A helper module, not a test module: conftest.py registers its fixture (pytest_plugins).
"""
from __future__ import annotations

import json
import uuid

import pytest
from linebot.v3.webhooks import Event
from sqlalchemy import select

import handlers.chat  # noqa: F401 - registers every capability on the router
from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from models import ChannelRef, OutboxMessage, utcnow
from models.quota import store as store_quota
from models.roster import current_association
from models.tenancy import resolve

from chat import Events
from conftest import spec_errors
from line_spec import validate_webhook_event

MAX_REPLY = 5  # LINE takes five messages in a reply; bot/inbox.py sends the first five


class Chat(Events):
    """Plays LINE at the router: each act is one Ctx, dispatched, in one transaction."""

    def __init__(self, k, fake):
        self.k, self.db, self.fake = k, k.db, fake
        self.settings = k.settings
        self.replies: list[dict] = []  # the last turn's replies
        self._outbox_seen = 0
        # the channel the events come in on (None: the environment's channel, as bot/inbox.py);
        # a test of a city channel sets it to that channel's ChannelRef
        self.channel: ChannelRef | None = None

    def unfollow(self, user: str) -> list[dict]:
        return self._answer(user, self.base(user, "unfollow", reply=False))

    def _answer(self, user: str, event: dict) -> list[dict]:
        validate_webhook_event(event)  # our fixtures must look exactly like LINE's events
        raw = json.loads(json.dumps(event, ensure_ascii=False))
        if router.needs_quota(raw):  # as bot/inbox.py: the figure is refreshed before the transaction
            limit, usage = self.k.line.quota()
            if usage is not None:
                with self.db.session() as s:
                    store_quota(s, limit, usage, utcnow(), current_association(s, self.settings.association_slug).id)
        with self.db.session() as s:
            channel = self.channel or ChannelRef.env(current_association(s, self.settings.association_slug).id)
            who = resolve(s, channel, user)  # as bot/inbox.py: the channel, then who is talking on it
            ctx = Ctx(session=s, settings=self.settings, association=who.association, event=Event.from_dict(raw),
                      user_id=user, member=who.member, now=utcnow(), line=self.k.line, links=self.k.processor.links,
                      channel=channel, staff=who.staff)
            router.dispatch(ctx)
            replies = ctx.replies[:MAX_REPLY]
        replies = json.loads(json.dumps(replies, ensure_ascii=False))  # what LINE would get, as JSON
        if replies:  # every reply must keep LINE's rules, as the fake LINE API checks them
            errors = spec_errors("reply", {"replyToken": raw.get("replyToken") or uuid.uuid4().hex,
                                           "messages": replies})
            if errors:
                self.fake.invalid.append(("reply", errors))
        self.replies = replies
        return replies

    def outbox(self) -> list[OutboxMessage]:
        """The outbox rows written since the last call (pushes and multicasts the turns queued)."""
        with self.db.session() as s:
            rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id > self._outbox_seen)
                             .order_by(OutboxMessage.id)).all()
            s.expunge_all()
        if rows:
            self._outbox_seen = rows[-1].id
        return rows


@pytest.fixture
def chat(k, fake):
    """The router-level chat: same acts as `line`, no HTTP."""
    return Chat(k, fake)

"""Which LINE channel a webhook or an outbox row belongs to, without asking the database each time.

`Directory` keeps every channel of the `channels` table in memory, decrypted: the webhook's
`destination` (the bot's user id) → `Entry` (its ChannelRef, secret, token, version). The
environment's channel (LINE_CHANNEL_SECRET / _ACCESS_TOKEN, or the simulator's) is the entry with
id None; it serves `current_association(settings.association_slug)`, whose id is cached too.

Invalidation: at most every `settings.channel_check_seconds` (2 s) a lookup runs one aggregate
query (count, sum and max of the versions, max id, last update) over the channels table; when
that stamp differs from the one loaded, the rows that are new or whose version changed are read
and decrypted again, and the ones gone are dropped. Every change to a channel bumps its version
(`kairan channel rotate`, `rekey`), so another process (the CLI) is seen within those seconds;
the process that makes a change calls `invalidate()` and sees it at once. Between checks a
lookup is a dict read: the number of channels does not change its cost.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.secrets import InvalidToken, SecretBox, box_for
from models import Database
from models.roster import current_association
from models.tenancy import Channel, ChannelRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    ref: ChannelRef
    secret: str
    token: str
    version: int  # the row's version (0: the environment's channel)
    bot_user_id: Optional[str] = None  # None: the environment's channel (its bot id is not known)
    label: str = ""

    def __repr__(self) -> str:  # never the secret or the token, whatever logs it
        return f"Entry(id={self.ref.id}, kind={self.ref.kind}, version={self.version}, label={self.label!r})"

    @property
    def id(self) -> Optional[int]:
        return self.ref.id


class Directory:
    def __init__(self, db: Database, settings: Settings, box: SecretBox | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.db, self.settings = db, settings
        self.box = box or box_for(settings)
        self.clock = clock
        self.check_every = settings.channel_check_seconds
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._checked_at: float | None = None
        self._rechecked_at: float | None = None
        self._rechecks = 0
        self._env_destinations: frozenset[str] = frozenset()
        self._by_id: dict[int, Entry] = {}
        self._by_dest: dict[str, Entry] = {}
        self._env_assoc: int | None = None
        self._unreadable: set[tuple[int, int]] = set()  # (id, version) logged once
        self._unreadable_dests: frozenset[str] = frozenset()
        self.reloads = 0  # how many times the table was read (tests, benchmarks)

    # --- lookups -------------------------------------------------------------------------
    def by_destination(self, destination: str | None) -> Entry | None:
        """The channel whose bot user id this is; None when no channel row has it."""
        if not destination:
            return None
        self._fresh()
        return self._by_dest.get(destination)

    def by_id(self, channel_id: int | None) -> Entry | None:
        """The channel with this id (None: the environment's); None when there is no such channel."""
        if channel_id is None:
            return self.env()
        self._fresh()
        return self._by_id.get(channel_id)

    def for_webhook(self, destination: str | None) -> Entry | None:
        """The channel a webhook body is for: its destination's row; a destination no row has is
        the environment's channel (zero configuration), when there is one. A row whose secret
        cannot be decrypted is nobody's channel (None: refused)."""
        entry = self.by_destination(destination)
        if (entry is None and destination and BOT_USER_ID.fullmatch(destination)
                and destination not in self._env_destinations and self._may_recheck()):
            self.invalidate()  # a channel added a moment ago in another process: look again, now
            entry = self.by_destination(destination)
        if entry is not None:
            return entry
        if destination in self._unreadable_dests:
            return None
        return self.env()

    def env(self) -> Entry | None:
        """The environment's channel (id None), or None when the environment names none."""
        if not self.settings.env_channel:
            return None
        return Entry(ChannelRef.env(self.env_association_id()), self.settings.channel_secret,
                     self.settings.channel_access_token, 0, None, "env")

    def env_association_id(self) -> int | None:
        """`current_association(settings.association_slug)`, cached; None while there is none."""
        if self._env_assoc is None:
            with self.db.read() as s:
                try:
                    self._env_assoc = current_association(s, self.settings.association_slug).id
                except RuntimeError:
                    return None
        return self._env_assoc

    def entries(self) -> list[Entry]:
        """Every channel of the table (not the environment's), by id."""
        self._fresh()
        return [self._by_id[i] for i in sorted(self._by_id)]

    # --- the cache -----------------------------------------------------------------------
    def warm(self) -> None:
        """Read and decrypt every channel now (a web worker's start), not on its first webhook
        (0.07–0.4 s with 1,000 channels: docs/benchmarks.md). A database not reachable yet is
        left for the first lookup."""
        try:
            self._fresh()
            self.env_association_id()
        except Exception as e:  # noqa: BLE001 - the first webhook tries again
            log.warning("channels not loaded at start (%s): loaded at the first webhook", type(e).__name__)

    def env_verified(self, destination: str | None) -> None:
        """A body for this destination verified with the environment's secret: it is the
        environment channel's bot, no reason to look at the table for it again."""
        if destination and len(self._env_destinations) < 16:
            self._env_destinations = self._env_destinations | {destination}

    def _may_recheck(self) -> bool:
        """A destination no row has makes an early look at the table, at most RECHECKS a second (a
        stream of made-up destinations costs a few queries a second, not one each)."""
        now = self.clock()
        with self._lock:
            if self._rechecked_at is None or now - self._rechecked_at >= 1.0:
                self._rechecked_at, self._rechecks = now, 0
            if self._rechecks >= RECHECKS:
                return False
            self._rechecks += 1
            return True

    def invalidate(self) -> None:
        """A channel was changed in this process: the next lookup checks the table."""
        with self._lock:
            self._checked_at = None
            self._env_assoc = None

    def _fresh(self) -> None:
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.check_every:
            return
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < self.check_every:
                return  # another thread checked meanwhile
            self._check()
            self._checked_at = self.clock()

    def _check(self) -> None:
        with self.db.read() as s:
            stamp = tuple(s.execute(select(func.count(Channel.id), func.coalesce(func.sum(Channel.version), 0),
                                           func.max(Channel.version), func.max(Channel.id),
                                           func.max(Channel.updated_at))).one())
            if stamp == self._stamp:
                return
            listed = s.execute(select(Channel.id, Channel.version, Channel.bot_user_id)).all()
            versions = {i: v for i, v, _ in listed}
            changed = [i for i, v in versions.items() if i not in self._by_id or self._by_id[i].version != v]
            rows = s.scalars(select(Channel).where(Channel.id.in_(changed))).all() if changed else []
            loaded = {r.id: self._entry(r) for r in rows}
        by_id = {i: e for i, e in self._by_id.items() if i in versions and i not in loaded}
        by_id.update({i: e for i, e in loaded.items() if e is not None})
        self._by_id = by_id
        self._by_dest = {e.bot_user_id: e for e in by_id.values()}
        self._unreadable_dests = frozenset(d for i, _, d in listed if i not in by_id)
        self._stamp = stamp
        self._env_assoc = None  # an association may have been added or given a channel
        self.reloads += 1

    def _entry(self, row: Channel) -> Entry | None:
        try:
            secret, token = self.box.decrypt(row.secret_enc), self.box.decrypt(row.token_enc)
        except (InvalidToken, ValueError, UnicodeError):
            if (row.id, row.version) not in self._unreadable:
                self._unreadable.add((row.id, row.version))
                log.error("channel %s (%s): its secret cannot be decrypted with the configured keys "
                          "(KAIRAN_CHANNEL_KEYS / KAIRAN_SECRET_KEY changed?); its webhooks are refused", row.id,
                          row.label)
            return None
        return Entry(row.ref(), secret, token, row.version, row.bot_user_id, row.label)


# --- writing channels (the CLI, the demo) ------------------------------------------------------
BOT_USER_ID = re.compile(r"U[0-9a-f]{32}")
RECHECKS = 5  # a second at most: early looks at the channels table for destinations no row has


def add_channel(session: Session, box: SecretBox, *, bot_user_id: str, secret: str, token: str, label: str,
                association_id: int | None = None, municipality_id: int | None = None) -> Channel:
    """A channel row with its secret and token encrypted (the caller checks who owns it)."""
    row = Channel(bot_user_id=bot_user_id, label=label, association_id=association_id,
                  municipality_id=municipality_id, secret_enc=box.encrypt(secret), token_enc=box.encrypt(token),
                  version=1)
    session.add(row)
    session.flush()
    return row


def rotate_channel(row: Channel, box: SecretBox, secret: str | None = None, token: str | None = None) -> None:
    """A new secret and/or token (encrypted with the first key); the version goes up, so every
    process drops its cached copy and its LINE client."""
    if secret is not None:
        row.secret_enc = box.encrypt(secret)
    if token is not None:
        row.token_enc = box.encrypt(token)
    row.version = (row.version or 0) + 1


def rekey_channels(session: Session, box: SecretBox) -> int:
    """Every channel's secret and token encrypted again with the first key (MultiFernet.rotate),
    versions bumped; returns how many. Raises InvalidToken (nothing changed: the caller's
    transaction rolls back) when a row was made with none of the keys."""
    rows = session.scalars(select(Channel).order_by(Channel.id)).all()
    for row in rows:
        row.secret_enc, row.token_enc = box.rotate(row.secret_enc), box.rotate(row.token_enc)
        row.version = (row.version or 0) + 1
    return len(rows)

"""The only place that talks to LINE: line-bot-sdk's own clients, with timeouts and typed outcomes.

Messages travel as LINE JSON dicts (what `Message.to_dict()` gives) so the outbox can store them;
they are checked against LINE's limits here and sent through the SDK's endpoint methods (`_send`).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
)

from bot.config import Settings
from handlers.messages import limits as line_limits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """How a send went, in the terms the dispatcher needs."""

    ok: bool
    status: int | None = None  # HTTP status; None for a network error or timeout
    error: str | None = None  # LINE's error body or the exception text
    retry_after: float | None = None
    request_id: str | None = None
    # the request reached LINE but its answer did not come in time (a read timeout): LINE may
    # have accepted it. A push is retried with its key; a reply cannot be retried. A refused or
    # reset connection is not uncertain: nothing was accepted, and a reply falls back to a push.
    uncertain: bool = False
    data: Any = None  # the answer's body as the SDK's model (a created rich menu's id), when there is one

    @property
    def already_accepted(self) -> bool:  # 409: LINE accepted this retry key before
        return self.status == 409

    @property
    def retryable(self) -> bool:
        if self.ok or self.already_accepted:
            return False
        return self.status is None or self.status >= 500 or self.status == 429

    @property
    def monthly_limit(self) -> bool:
        return self.status == 429 and "monthly limit" in (self.error or "")


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for k, v in dict(headers).items():
        if k.lower() == name:
            return v
    return None


class RateLimiter:
    """A token bucket per endpoint, so a big fan-out paces itself instead of tripping 429s.

    LINE's limits (per channel): multicast 200 requests/s, push and reply 2,000/s. We keep a
    margin below them; several dispatcher processes each take their share (`share`).
    """

    LIMITS = {"multicast": 150.0, "push": 1500.0}

    def __init__(self, share: int = 1):
        self._lock = threading.Lock()
        self._rate = {k: v / max(1, share) for k, v in self.LIMITS.items()}
        self._tokens = dict(self._rate)
        self._at = {k: time.monotonic() for k in self._rate}

    def acquire(self, endpoint: str) -> None:
        rate = self._rate.get(endpoint)
        if rate is None:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens[endpoint] = min(rate, self._tokens[endpoint] + (now - self._at[endpoint]) * rate)
                self._at[endpoint] = now
                if self._tokens[endpoint] >= 1:
                    self._tokens[endpoint] -= 1
                    return
                wait = (1 - self._tokens[endpoint]) / rate
            time.sleep(wait)


class LineClient:
    """One per channel and process, its connections made lazily (never before gunicorn forks):
    its own access token, its own rate limiter (LINE's limits are per channel)."""

    def __init__(self, settings: Settings, token: str | None = None, channel_id: int | None = None,
                 version: int = 0, clients: "LineClients | None" = None):
        self.settings = settings
        self._token = settings.channel_access_token if token is None else token
        self.channel_id, self.version = channel_id, version  # None: the environment's channel
        self.clients = clients  # every channel's client (bot/outbox.py sends each row through its own)
        self.timeout = (min(3.0, settings.line_timeout_seconds), settings.line_timeout_seconds)
        self._lock = threading.Lock()
        self._api: MessagingApi | None = None
        self._blob: MessagingApiBlob | None = None
        self.limiter = RateLimiter()

    def __repr__(self) -> str:  # never the token
        return f"LineClient(channel_id={self.channel_id}, version={self.version})"

    def _client(self, host: str) -> ApiClient:
        cfg = Configuration(access_token=self._token, host=host)
        cfg.retries = False  # we retry ourselves, with retry keys, in the outbox
        cfg.connection_pool_maxsize = max(10, self.settings.inbox_workers)  # one per handling thread
        return ApiClient(cfg)

    @property
    def api(self) -> MessagingApi:
        with self._lock:
            if self._api is None:
                self._api = MessagingApi(self._client(self.settings.line_api_base_url))
            return self._api

    @property
    def blob(self) -> MessagingApiBlob:
        with self._lock:
            if self._blob is None:
                self._blob = MessagingApiBlob(self._client(self.settings.line_data_api_base_url))
            return self._blob

    MAX_READ_TIMEOUT = 60.0  # seconds: the longest a retry after timeouts waits for LINE's answer

    def read_timeout(self, previous_timeouts: int = 0) -> float:
        """The read timeout of a send: doubled after each attempt that got no answer, so a LINE
        slower than our timeout still answers a retry (with the 409 that settles it)."""
        base = self.timeout[1]
        return min(base * 2 ** max(0, previous_timeouts), max(base, self.MAX_READ_TIMEOUT))

    def call_seconds(self, previous_timeouts: int = 0) -> float:
        """The longest one send can take before the client gives up (connect + read timeout)."""
        return self.timeout[0] + self.read_timeout(previous_timeouts)

    def _call(self, what: str, fn, *args, read_timeout: float | None = None, **kwargs) -> SendResult:
        timeout = self.timeout if read_timeout is None else (min(self.timeout[0], read_timeout), read_timeout)
        try:
            resp = fn(*args, _request_timeout=timeout, **kwargs)
        except ApiException as e:
            retry_after = _header(e.headers, "retry-after")
            log.warning("LINE %s failed: HTTP %s request_id=%s", what, e.status, _header(e.headers, "x-line-request-id"))
            return SendResult(
                ok=False, status=e.status, error=(e.body or str(e.reason or ""))[:1000],
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
                request_id=_header(e.headers, "x-line-accepted-request-id"),
            )
        except (urllib3.exceptions.HTTPError, OSError) as e:
            # Only a read timeout means the request reached LINE and may have been accepted. A
            # ProtocolError (with retries off: a kept-alive connection LINE had closed, a reset),
            # a refused or timed-out connection: taken as not sent. (A reset after LINE accepted is
            # possible but rare; for a reply it costs a duplicate push, never a lost answer.)
            uncertain = isinstance(e, urllib3.exceptions.ReadTimeoutError)
            log.warning("LINE %s failed: %s%s", what, type(e).__name__, " (may have been accepted)" if uncertain else "")
            return SendResult(ok=False, status=None, error=f"{type(e).__name__}: {e}"[:1000], uncertain=uncertain)
        request_id = _header(getattr(resp, "headers", None), "x-line-request-id")
        log.info("LINE %s ok request_id=%s", what, request_id)
        return SendResult(ok=True, status=getattr(resp, "status_code", 200), request_id=request_id,
                          data=getattr(resp, "data", None))

    def _send(self, what: str, method: str, model, body: dict, **kwargs) -> SendResult:
        """POST a message body through the SDK's endpoint method, validated once.

        The body is LINE JSON made by the SDK's own models (handlers/messages/builders.py) and
        checked against LINE's documented limits by `_refused`; the SDK's endpoint method would
        turn it into its request model and then validate that model again as an argument
        (pydantic's `validate_arguments`), both thrown away right after serialising: a third of a
        reply's CPU on the webhook's hot path (docs/benchmarks.md, issue 15). So the dict goes to
        the undecorated endpoint (`raw_function`: the same path, headers, auth, host and
        serialisation, LINE's answer parsed as before). An SDK whose method has no such attribute
        gets the model, validated, as before."""
        fn = getattr(self.api, method)
        raw = getattr(fn, "raw_function", None)
        if raw is None:
            return self._call(what, fn, model.from_dict(body), **kwargs)
        return self._call(what, raw, self.api, body, **kwargs)

    @staticmethod
    def _refused(kind: str, body: dict) -> SendResult | None:
        """LINE's documented limits that the SDK does not check: a message breaking them would be
        a 400 from LINE; we refuse it here, visibly, without spending a request."""
        problems = line_limits.check_request(kind, body)
        if not problems:
            return None
        log.error("LINE %s not sent: %d limit violation(s), first: %s", kind, len(problems), problems[0][:200])
        return SendResult(ok=False, status=400, error=("kairan refused: " + "; ".join(problems))[:1000])

    def reply(self, reply_token: str, messages: list[dict], read_timeout: float | None = None) -> SendResult:
        """`read_timeout`: a shorter wait than the client's (the handling pool's replies)."""
        body = {"replyToken": reply_token, "messages": messages}
        if (refused := self._refused("reply", body)) is not None:
            return refused
        return self._send("reply", "reply_message_with_http_info", ReplyMessageRequest, body, read_timeout=read_timeout)

    def push(self, to: str, messages: list[dict], retry_key: str, read_timeout: float | None = None) -> SendResult:
        body = {"to": to, "messages": messages}
        if (refused := self._refused("push", body)) is not None:
            return refused
        self.limiter.acquire("push")
        return self._send("push", "push_message_with_http_info", PushMessageRequest, body, x_line_retry_key=retry_key,
                          read_timeout=read_timeout)

    def multicast(self, to: list[str], messages: list[dict], retry_key: str,
                  read_timeout: float | None = None) -> SendResult:
        body = {"to": to, "messages": messages}
        if (refused := self._refused("multicast", body)) is not None:
            return refused
        self.limiter.acquire("multicast")
        return self._send("multicast", "multicast_with_http_info", MulticastRequest, body, x_line_retry_key=retry_key,
                          read_timeout=read_timeout)

    def get_content(self, message_id: str) -> tuple[bytes, str] | None:
        """Download an image or file the user sent (None when LINE has none ready)."""
        try:
            resp = self.blob.get_message_content_with_http_info(message_id, _request_timeout=self.timeout)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            log.warning("LINE content download failed: %s", type(e).__name__)
            return None
        if resp.status_code != 200 or resp.data is None:
            return None
        return bytes(resp.data), _header(resp.headers, "content-type") or "application/octet-stream"

    def display_name(self, user_id: str) -> str | None:
        """The user's LINE display name (GET /v2/bot/profile/{userId}); None when LINE does not
        give it (the user blocked the channel, or LINE did not answer)."""
        try:
            return self.api.get_profile(user_id, _request_timeout=self.timeout).display_name
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            log.warning("LINE profile lookup failed: %s", type(e).__name__)
            return None

    def bot_user_id(self) -> str | None:
        """The channel's own bot user id (the webhooks' destination), asked from LINE; None if unknown."""
        try:
            return self.api.get_bot_info(_request_timeout=self.timeout).user_id
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            log.warning("LINE bot info lookup failed: %s", type(e).__name__)
            return None

    def quota(self) -> tuple[int | None, int | None]:
        """(monthly limit or None when unlimited, used this month), asked from LINE now;
        (None, None) when unknown. Not cached here: handlers and the dispatcher use the figure
        every process shares (models/quota.py), which calls this when it is too old."""
        try:
            q = self.api.get_message_quota(_request_timeout=self.timeout)
            c = self.api.get_message_quota_consumption(_request_timeout=self.timeout)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            log.warning("LINE quota lookup failed: %s", type(e).__name__)
            return None, None
        limit = q.value if q.type == "limited" else None
        return limit, c.total_usage


    # --- rich menus (issue 13; bot/richmenus.py). Each call answers a SendResult; the link calls
    # are idempotent, so the outbox retries them like pushes (no retry key: LINE takes none there)
    def create_rich_menu(self, body: dict) -> SendResult:
        """POST /v2/bot/richmenu; `.data.rich_menu_id` is the new menu's id."""
        return self._call("create rich menu", self.api.create_rich_menu_with_http_info, RichMenuRequest.from_dict(body))

    def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> SendResult:
        """POST /v2/bot/richmenu/{id}/content on the data host."""
        return self._call("upload rich menu image", self.blob.set_rich_menu_image_with_http_info, rich_menu_id,
                          image, _headers={"Content-Type": content_type})  # (the SDK ignores _content_type here)

    def set_default_rich_menu(self, rich_menu_id: str) -> SendResult:
        return self._call("set default rich menu", self.api.set_default_rich_menu_with_http_info, rich_menu_id)

    def delete_rich_menu(self, rich_menu_id: str) -> SendResult:
        return self._call("delete rich menu", self.api.delete_rich_menu_with_http_info, rich_menu_id)

    def rich_menu_ids(self) -> list[str] | None:
        """The ids of the channel's rich menus (None: LINE did not answer)."""
        result = self._call("list rich menus", self.api.get_rich_menu_list_with_http_info)
        if not result.ok or result.data is None:
            return None
        return [m.rich_menu_id for m in result.data.richmenus or []]

    def link_rich_menu(self, user_ids: list[str], rich_menu_id: str, read_timeout: float | None = None) -> SendResult:
        """One user: POST /v2/bot/user/{userId}/richmenu/{id}; more (≤500): POST /v2/bot/richmenu/bulk/link."""
        self.limiter.acquire("push")
        if len(user_ids) == 1:
            return self._call("link rich menu", self.api.link_rich_menu_id_to_user_with_http_info, user_ids[0],
                              rich_menu_id, read_timeout=read_timeout)
        req = RichMenuBulkLinkRequest(rich_menu_id=rich_menu_id, user_ids=user_ids)
        return self._call("bulk link rich menu", self.api.link_rich_menu_id_to_users_with_http_info, req,
                          read_timeout=read_timeout)

    def unlink_rich_menu(self, user_ids: list[str], read_timeout: float | None = None) -> SendResult:
        """Back to the default menu: DELETE /v2/bot/user/{userId}/richmenu, or bulk unlink (≤500)."""
        self.limiter.acquire("push")
        if len(user_ids) == 1:
            return self._call("unlink rich menu", self.api.unlink_rich_menu_id_from_user_with_http_info, user_ids[0],
                              read_timeout=read_timeout)
        req = RichMenuBulkUnlinkRequest(user_ids=user_ids)
        return self._call("bulk unlink rich menu", self.api.unlink_rich_menu_id_from_users_with_http_info, req,
                          read_timeout=read_timeout)


class LineClients:
    """Every channel's LineClient in this process: built on first use, built anew when the
    channel's version changes (a rotated token), forgotten when the channel is gone. The
    environment's channel (id None) is `env`, the process's `k.line`."""

    def __init__(self, settings: Settings, directory):
        self.settings, self.directory = settings, directory  # bot.channels.Directory
        self._lock = threading.Lock()
        self._clients: dict[int, LineClient] = {}
        self.env = LineClient(settings, clients=self)

    def get(self, channel_id: int | None) -> LineClient | None:
        """The channel's client; None when there is no such channel (deleted, or unreadable)."""
        if channel_id is None:
            return self.env if self.settings.env_channel else None
        entry = self.directory.by_id(channel_id)
        if entry is None:
            with self._lock:
                self._clients.pop(channel_id, None)
            return None
        client = self._clients.get(channel_id)
        if client is None or client.version != entry.version:
            with self._lock:
                client = self._clients.get(channel_id)
                if client is None or client.version != entry.version:
                    client = LineClient(self.settings, entry.token, channel_id, entry.version, self)
                    self._clients[channel_id] = client
        return client

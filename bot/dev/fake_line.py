"""A fake LINE Messaging API, in-process: the simulator's and the tests' LINE.

It serves the endpoints kairan calls (reply, push, multicast, quota, content, profile) with
LINE's documented behaviour: reply tokens are single-use, a retry key already accepted answers
409 with `x-line-accepted-request-id`, a retry key on reply is a 400. Faults (500, 429, latency)
can be queued to test the outbox. Every request is recorded as sent, with headers and JSON body.

Channels: each request's access token (the Authorization header) tells which channel sent it;
`tokens` names them (token → channel name, recorded as `Recorded.channel`). With `strict_tokens`
only the named tokens are accepted (401 otherwise), as LINE accepts only a channel's own token;
`token_source` (the simulator) gives the names afresh at each request. The quota figures are per
token: `quota_limits` (channel name → limit) over `quota_limit`, the consumption of the token's
own sends; a fault can be kept for one channel (`fail_next(..., channel=name)`).
"""
from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, Response, request

from handlers.messages import limits as line_limits


@dataclass
class Recorded:
    seq: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    channel: str | None = None  # the name of the channel whose token was used (FakeLine.tokens)

    @property
    def retry_key(self) -> str | None:
        return self.headers.get("x-line-retry-key")

    @property
    def token(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class Delivered:
    seq: int
    user_id: str
    message: dict
    via: str  # reply / push / multicast


@dataclass
class Fault:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str = ""
    accept_anyway: bool = False  # LINE accepted, but the answer never reached us (timeout-like)
    reset: bool = False  # the connection is dropped before LINE takes the request (nothing sent)
    channel: str | None = None  # only for requests made with this channel's token


class FakeLine:
    def __init__(self, validator: Callable[[str, dict], list[str]] | None = None,
                 schema_validator: Callable[[str, dict], list[str]] | None = None):
        self._lock = threading.RLock()
        # rich menus (per channel name; None: an unnamed token): id -> {channel, body, image, content_type}
        self.schema_validator = schema_validator or _rich_menu_limits  # (schema name, body) -> errors
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.default_menus: dict[str | None, str] = {}  # channel -> its default menu id
        self.user_menus: dict[tuple[str | None, str], str] = {}  # (channel, user id) -> linked menu id
        self._seq = itertools.count(1)
        self.requests: list[Recorded] = []
        self.delivered: list[Delivered] = []
        self.accepted_keys: dict[str, str] = {}
        self.reply_tokens: dict[str, str | None] = {}  # token -> user id (None once used)
        self.reply_channels: dict[str, str] = {}  # reply token -> the channel it belongs to
        self.content: dict[str, tuple[bytes, str]] = {}
        self.profiles: dict[str, str] = {}
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.in_flight = 0  # requests being answered (a slow one may outlive the test that sent it)
        self.quota_limit: int | None = 200
        self.usage_elsewhere = 0  # messages this month sent by other means (e.g. LINE Official Account Manager)
        self.arrivals: list[tuple[float, str, str | None]] = []  # (monotonic time, path, retry key) on arrival
        self.validator = validator or self._limits_only
        self.invalid: list[tuple[str, list[str]]] = []  # requests that broke LINE's rules
        self.tokens: dict[str, str] = {}  # access token -> channel name
        self.strict_tokens = False  # accept only the tokens named (as LINE: a channel's own)
        self.token_source: Callable[[], dict[str, str]] | None = None  # names afresh (the simulator)
        self.quota_limits: dict[str, int | None] = {}  # channel name -> its monthly limit (else quota_limit)

    def channel_of(self, token: str) -> str | None:
        """The name of the channel whose access token this is (None: not a named token)."""
        names = self.token_source() if self.token_source is not None else self.tokens
        return names.get(token)

    def sends_via(self, channel: str, path_suffix: str | None = None) -> list[Recorded]:
        """The POSTs made with that channel's token."""
        return [r for r in self.sends(path_suffix) if r.channel == channel]

    # --- helpers for tests and the simulator -------------------------------------------
    @staticmethod
    def _limits_only(kind: str, body: dict) -> list[str]:
        return line_limits.check_request(kind, body)

    def issue_reply_token(self, user_id: str, channel: str | None = None) -> str:
        """A reply token for an event from `user_id`; given a channel name, only that channel's
        token may use it (as on LINE, where a reply token belongs to the channel of its event)."""
        token = uuid.uuid4().hex
        with self._lock:
            self.reply_tokens[token] = user_id
            if channel is not None:
                self.reply_channels[token] = channel
        return token

    def fail_next(self, status: int, times: int = 1, body: dict | None = None, path_contains: str = "",
                  headers: dict[str, str] | None = None, accept_anyway: bool = False, reset: bool = False,
                  channel: str | None = None) -> None:
        with self._lock:
            for _ in range(times):
                self.faults.append(Fault(status, body or {"message": "fake failure"}, headers or {},
                                         path_contains, accept_anyway, reset, channel))

    def sends(self, path_suffix: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and (path_suffix is None or r.path.endswith(path_suffix))]

    def messages_for(self, user_id: str, after: int = 0) -> list[Delivered]:
        with self._lock:
            return [d for d in self.delivered if d.user_id == user_id and d.seq > after]

    def texts_for(self, user_id: str) -> list[str]:
        """Plain text of everything a user received (flex: all text components), for assertions."""
        return [message_text(d.message) for d in self.messages_for(user_id)]

    def menu_of(self, user_id: str, channel: str | None = None) -> str | None:
        """The rich menu the user sees on that channel: their own, else the channel's default."""
        with self._lock:
            return self.user_menus.get((channel, user_id)) or self.default_menus.get(channel)

    def reset(self) -> None:
        with self._lock:
            self.rich_menus.clear()
            self.default_menus.clear()
            self.user_menus.clear()
            self.requests.clear()
            self.delivered.clear()
            self.accepted_keys.clear()
            self.faults.clear()
            self.invalid.clear()
            self.arrivals.clear()
            self.usage_elsewhere = 0
            self.tokens.clear()
            self.strict_tokens = False
            self.quota_limits.clear()

    # --- the WSGI app ------------------------------------------------------------------
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until no request is being answered (a test's slow request must not land in the next
        test's record); False if one still is after `timeout` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self.in_flight == 0:
                    return True
            time.sleep(0.01)
        return False

    def app(self) -> Flask:
        app = Flask("fake_line")
        fake = self

        @app.before_request
        def _arrived() -> None:
            with fake._lock:
                fake.in_flight += 1

        @app.teardown_request
        def _answered(_exc) -> None:
            with fake._lock:
                fake.in_flight -= 1

        def token() -> str:
            return request.headers.get("Authorization", "").removeprefix("Bearer ")

        def record(status: int, body: Any) -> Recorded:
            rec = Recorded(next(fake._seq), request.method, request.path,
                           {k.lower(): v for k, v in request.headers.items()}, body, status, fake.channel_of(token()))
            fake.requests.append(rec)
            return rec

        def refused_token() -> Response | None:
            """401 for a missing token, or (strict) one no channel has, as LINE answers."""
            if not token() or (fake.strict_tokens and fake.channel_of(token()) is None):
                return answer(401, {"message": "Authentication failed. Confirm that the access token in the "
                                               "authorization header is valid."})
            return None

        def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
            h = {"x-line-request-id": uuid.uuid4().hex}
            h.update(headers or {})
            return Response(json.dumps(body), status=status, headers=h, content_type="application/json")

        def take_fault() -> Fault | None:
            channel = fake.channel_of(token())
            for i, f in enumerate(fake.faults):
                if f.path_contains in request.path and (f.channel is None or f.channel == channel):
                    return fake.faults.pop(i)
            return None

        @app.post("/v2/bot/message/<kind>")
        def send(kind: str):
            with fake._lock:  # seen before the latency: a test can tell a send is in flight
                fake.arrivals.append((time.monotonic(), request.path, request.headers.get("X-Line-Retry-Key")))
            if fake.latency:
                time.sleep(fake.latency)
            if (refused := refused_token()) is not None:
                return refused
            body = request.get_json(silent=True)
            with fake._lock:
                if body is None:
                    record(400, None)
                    return answer(400, {"message": "The request body has 1 error(s)"})
                if kind not in ("reply", "push", "multicast"):
                    record(404, body)
                    return answer(404, {"message": "Not found"})
                key = request.headers.get("X-Line-Retry-Key")
                if kind == "reply" and key:
                    record(400, body)
                    return answer(400, {"message": "The retry key cannot be used for this API"})
                errors = fake.validator(kind, body)
                if errors:
                    fake.invalid.append((kind, errors))
                    record(400, body)
                    return answer(400, {"message": "The request body has errors",
                                        "details": [{"message": e} for e in errors]})
                if key and key in fake.accepted_keys:
                    record(409, body)
                    return answer(409, {"message": "The retry key is already accepted"},
                                  {"x-line-accepted-request-id": fake.accepted_keys[key]})
                fault = take_fault()
                if fault and fault.reset:  # as a kept-alive connection LINE had closed: no answer at all
                    record(0, body)
                    sock = request.environ.get("werkzeug.socket")
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        sock.shutdown(socket.SHUT_RDWR)
                    return answer(500, {"message": "connection reset"})  # never reaches the caller
                if fault and not fault.accept_anyway:
                    record(fault.status, body)
                    return answer(fault.status, fault.body, fault.headers)
                if kind == "reply":
                    user = fake.reply_tokens.get(body["replyToken"])
                    owner = fake.reply_channels.get(body["replyToken"])
                    if user is None or (owner is not None and owner != fake.channel_of(token())):
                        record(400, body)
                        return answer(400, {"message": "Invalid reply token"})
                    fake.reply_tokens[body["replyToken"]] = None
                    recipients = [user]
                else:
                    recipients = [body["to"]] if kind == "push" else list(body["to"])
                request_id = uuid.uuid4().hex
                if key:
                    fake.accepted_keys[key] = request_id
                rec = record(200 if not fault else fault.status, body)
                for user in recipients:
                    for m in body["messages"]:
                        fake.delivered.append(Delivered(rec.seq, user, m, kind))
                if fault:  # accepted, but the caller sees an error (as after a timeout)
                    return answer(fault.status, fault.body, fault.headers)
                resp = {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in body["messages"]]}
                return answer(200, resp if kind != "multicast" else {}, {"x-line-request-id": request_id})

        @app.get("/v2/bot/message/quota")
        def quota():
            if (refused := refused_token()) is not None:
                return refused
            rec = record(200, None)
            limit = fake.quota_limits.get(rec.channel, fake.quota_limit) if rec.channel else fake.quota_limit
            if limit is None:
                return answer(200, {"type": "none"})
            return answer(200, {"type": "limited", "value": limit})

        @app.get("/v2/bot/message/quota/consumption")
        def consumption():
            if (refused := refused_token()) is not None:
                return refused
            record(200, None)
            with fake._lock:  # this channel's own sends (the same token)
                used = sum(len(body_recipients(r)) for r in fake.requests
                           if r.status == 200 and r.path.endswith(("/push", "/multicast")) and r.token == token())
            return answer(200, {"totalUsage": used + fake.usage_elsewhere})

        @app.get("/v2/bot/info")
        def bot_info():
            if (refused := refused_token()) is not None:
                return refused
            record(200, None)
            return answer(200, {"userId": fake_bot_user_id(token()), "basicId": "@kairan", "displayName": "kairan",
                                "chatMode": "bot", "markAsReadMode": "manual"})

        @app.get("/v2/bot/message/<message_id>/content")
        def content(message_id: str):
            if (refused := refused_token()) is not None:
                return refused
            record(200, None)
            item = fake.content.get(message_id)
            if item is None:
                return answer(404, {"message": "Not found"})
            return Response(item[0], content_type=item[1])

        @app.get("/v2/bot/profile/<user_id>")
        def profile(user_id: str):
            if (refused := refused_token()) is not None:
                return refused
            record(200, None)
            name = fake.profiles.get(user_id)
            if name is None:
                return answer(404, {"message": "Not found"})
            return answer(200, {"userId": user_id, "displayName": name, "language": "ja"})

        # --- rich menus (REF #rich-menu; spec messaging-api.yml, messaging-api-blob's content) ----
        def rich_guard(body: Any = None, schema: str | None = None) -> Response | None:
            """Token, the spec's schema, queued faults: the answer when the request goes no further."""
            if (refused := refused_token()) is not None:
                return refused
            if schema is not None:
                errors = ["body: not JSON"] if body is None else fake.schema_validator(schema, body)
                if errors:
                    fake.invalid.append((schema, errors))
                    record(400, body)
                    return answer(400, {"message": "The request body has errors",
                                        "details": [{"message": e} for e in errors]})
            fault = take_fault()
            if fault is not None:
                record(fault.status, body)
                return answer(fault.status, fault.body, fault.headers)
            return None

        def own_menu(menu_id: str) -> dict | None:
            menu = fake.rich_menus.get(menu_id)
            return menu if menu is not None and menu["channel"] == fake.channel_of(token()) else None

        @app.post("/v2/bot/richmenu")
        def create_rich_menu():
            body = request.get_json(silent=True)
            with fake._lock:
                if (stop := rich_guard(body, "RichMenuRequest")) is not None:
                    return stop
                menu_id = "richmenu-" + uuid.uuid4().hex
                fake.rich_menus[menu_id] = {"channel": fake.channel_of(token()), "body": body, "image": None,
                                            "content_type": None}
                record(200, body)
                return answer(200, {"richMenuId": menu_id})

        @app.get("/v2/bot/richmenu/list")
        def list_rich_menus():
            with fake._lock:
                if (stop := rich_guard()) is not None:
                    return stop
                record(200, None)
                channel = fake.channel_of(token())
                return answer(200, {"richmenus": [dict(m["body"], richMenuId=i) for i, m in fake.rich_menus.items()
                                                  if m["channel"] == channel]})

        @app.delete("/v2/bot/richmenu/<menu_id>")
        def delete_rich_menu(menu_id: str):
            with fake._lock:
                if (stop := rich_guard()) is not None:
                    return stop
                if own_menu(menu_id) is None:
                    record(404, None)
                    return answer(404, {"message": "Not found"})
                record(200, None)
                channel = fake.rich_menus.pop(menu_id)["channel"]
                for k in [k for k, v in fake.user_menus.items() if v == menu_id]:
                    del fake.user_menus[k]
                if fake.default_menus.get(channel) == menu_id:
                    del fake.default_menus[channel]
                return answer(200, {})

        @app.post("/v2/bot/richmenu/<menu_id>/content")
        def upload_rich_menu_image(menu_id: str):
            data = request.get_data()
            with fake._lock:
                if (stop := rich_guard({"bytes": len(data)})) is not None:
                    return stop
                menu = own_menu(menu_id)
                if menu is None:
                    record(404, {"bytes": len(data)})
                    return answer(404, {"message": "Not found"})
                problems = _image_problems(data, request.content_type, menu["body"]["size"])
                if menu["image"] is not None:
                    problems.append("An image has already been uploaded to the richmenu")
                if problems:
                    fake.invalid.append(("rich menu image", problems))
                    record(400, {"bytes": len(data)})
                    return answer(400, {"message": "; ".join(problems)})
                menu["image"], menu["content_type"] = data, request.content_type
                record(200, {"bytes": len(data)})
                return answer(200, {})

        @app.get("/v2/bot/richmenu/<menu_id>/content")
        def download_rich_menu_image(menu_id: str):
            with fake._lock:
                if (stop := rich_guard()) is not None:
                    return stop
                menu = own_menu(menu_id)
                record(200 if menu and menu["image"] else 404, None)
                if not menu or not menu["image"]:
                    return answer(404, {"message": "Not found"})
                return Response(menu["image"], content_type=menu["content_type"])

        def linkable(menu_id: str) -> Response | None:
            menu = own_menu(menu_id)
            if menu is None:
                record(404, None)
                return answer(404, {"message": "Not found"})
            if menu["image"] is None:  # LINE: a menu without an image cannot be linked
                record(400, None)
                return answer(400, {"message": "must upload richmenu image before applying it to user"})
            return None

        @app.post("/v2/bot/user/all/richmenu/<menu_id>")
        def set_default_rich_menu(menu_id: str):
            with fake._lock:
                if (stop := rich_guard() or linkable(menu_id)) is not None:
                    return stop
                record(200, None)
                fake.default_menus[fake.channel_of(token())] = menu_id
                return answer(200, {})

        @app.post("/v2/bot/user/<user_id>/richmenu/<menu_id>")
        def link_rich_menu(user_id: str, menu_id: str):
            with fake._lock:
                if (stop := rich_guard() or linkable(menu_id)) is not None:
                    return stop
                record(200, {"userId": user_id, "richMenuId": menu_id})
                fake.user_menus[(fake.channel_of(token()), user_id)] = menu_id
                return answer(200, {})

        @app.delete("/v2/bot/user/<user_id>/richmenu")
        def unlink_rich_menu(user_id: str):
            with fake._lock:
                if (stop := rich_guard()) is not None:
                    return stop
                record(200, {"userId": user_id})
                fake.user_menus.pop((fake.channel_of(token()), user_id), None)
                return answer(200, {})

        @app.get("/v2/bot/user/<user_id>/richmenu")
        def user_rich_menu(user_id: str):
            with fake._lock:
                if (stop := rich_guard()) is not None:
                    return stop
                record(200, None)
                menu_id = fake.user_menus.get((fake.channel_of(token()), user_id))
                if menu_id is None:
                    return answer(404, {"message": "the user has no richmenu"})
                return answer(200, {"richMenuId": menu_id})

        @app.post("/v2/bot/richmenu/bulk/link")
        def bulk_link():
            body = request.get_json(silent=True)
            with fake._lock:
                if (stop := rich_guard(body, "RichMenuBulkLinkRequest")) is not None:
                    return stop
                if (stop := linkable(body["richMenuId"])) is not None:
                    return stop
                record(202, body)  # asynchronous on LINE; done at once here
                for user_id in body["userIds"]:
                    fake.user_menus[(fake.channel_of(token()), user_id)] = body["richMenuId"]
                return answer(202, {})

        @app.post("/v2/bot/richmenu/bulk/unlink")
        def bulk_unlink():
            body = request.get_json(silent=True)
            with fake._lock:
                if (stop := rich_guard(body, "RichMenuBulkUnlinkRequest")) is not None:
                    return stop
                record(202, body)
                for user_id in body["userIds"]:
                    fake.user_menus.pop((fake.channel_of(token()), user_id), None)
                return answer(202, {})

        return app


def _rich_menu_limits(schema: str, body: dict) -> list[str]:
    """The fake's own checks of rich-menu requests (tests add the OpenAPI schema's, tests/line_spec.py)."""
    if schema == "RichMenuRequest":
        from handlers.messages.menus import check_menu

        return check_menu(body)
    if schema in ("RichMenuBulkLinkRequest", "RichMenuBulkUnlinkRequest"):
        ids = body.get("userIds")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 500:
            return ["userIds: 1-500 user IDs"]
    return []


def _image_problems(data: bytes, content_type: str | None, size: dict) -> list[str]:
    """LINE's rules for a rich menu's image: JPEG or PNG, at most 1 MB, the menu's own size."""
    import io

    from PIL import Image

    if content_type not in ("image/png", "image/jpeg"):
        return [f"Content-Type must be image/png or image/jpeg, not {content_type}"]
    if len(data) > 1_000_000:
        return [f"image over 1 MB ({len(data)} bytes)"]
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, dims = img.format, img.size
    except Exception:  # noqa: BLE001 - any undecodable upload is LINE's 400
        return ["not an image"]
    out = []
    if (fmt == "PNG") != (content_type == "image/png") or fmt not in ("PNG", "JPEG"):
        out.append(f"image is {fmt}, Content-Type says {content_type}")
    if dims != (size.get("width"), size.get("height")):
        out.append(f"image is {dims[0]}×{dims[1]}, the menu {size.get('width')}×{size.get('height')}")
    return out


def fake_bot_user_id(token: str) -> str:
    """The bot user id the fake answers for an access token (stable, valid-looking)."""
    import hashlib

    return "U" + hashlib.sha256(f"kairan-fake-bot:{token}".encode()).hexdigest()[:32]


def body_recipients(r: Recorded) -> list[str]:
    if not isinstance(r.body, dict):
        return []
    to = r.body.get("to")
    return [to] if isinstance(to, str) else list(to or [])


def message_text(m: dict) -> str:
    """All human-readable text of a message object (flex: every text, button label and altText)."""
    if m.get("type") == "text":
        return m["text"]
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and "text" in node:
                out.append(node["text"])
            if node.get("type") == "button":
                out.append(node.get("action", {}).get("label", ""))
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(m.get("contents", {}))
    return "\n".join([m.get("altText", "")] + out)


class ServedFake:
    """The fake on a real port (127.0.0.1), in a thread: for tests and benchmarks."""

    def __init__(self, fake: FakeLine | None = None, app=None):
        from werkzeug.serving import make_server

        self.fake = fake or FakeLine()
        self.server = make_server("127.0.0.1", 0, app or self.fake.app(), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

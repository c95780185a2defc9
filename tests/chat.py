"""One chat driver over three transports: a test plays the LINE users and taps the bot's buttons.

- `Line`: builds complete webhook events, signs them and posts them to /callback (the fake LINE
  API on a real port answers the bot's calls); returns the messages the bot replied.
- `Sim`: drives the served simulator over HTTP, as its page does (tests/served.py serves it).
- `Chat` in tests/harness.py: no HTTP at all — builds a Ctx from the same events and dispatches it
  on the real router.

All of them tap the same way: `driver.tap(who, messages, label)` finds the button (or quick-reply
chip) labelled `label` in `messages` and does what a tap does — a postback with its data, the text
of a message action, a datetime picker with `value` — and returns what the driver returns for that
event. The helpers that read messages (`actions`, `button`, `all_text`, `texts_of`) are shared too;
they take a list of LINE messages or the simulator's items ({"from": "bot", "message": {...}}).
"""
from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any

import requests

from bot.dev.fake_line import FakeLine, message_text
from bot.dev.simulator import HEADER
from bot.webhook import signature

from line_spec import validate_webhook_event

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
POST_HEADERS = {HEADER: "1"}


# --- reading what the bot sent -----------------------------------------------------------------
def bot_messages(messages: list[dict]) -> list[dict]:
    """LINE messages: as given, or the bot's ones among the simulator's items."""
    return [m["message"] if "from" in m and "message" in m else m
            for m in messages if m.get("from", "bot") == "bot"]


def actions(messages: list[dict]) -> list[dict]:
    """Every action a user could tap in these messages (Flex buttons and quick replies)."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if "action" in node and isinstance(node["action"], dict):
                found.append(node["action"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(bot_messages(messages))
    return found


def labels(messages: list[dict]) -> list[str | None]:
    return [a.get("label") for a in actions(messages)]


def button(messages: list[dict], label: str | None = None, data_prefix: str | None = None) -> dict:
    """The action a user taps, by its label (or its postback data's start); the newest one when
    several match. Fails loudly when it is not there."""
    hits = [a for a in actions(messages) if (label is None or a.get("label") == label)
            and (data_prefix is None or str(a.get("data", "")).startswith(data_prefix))]
    assert hits, f"no button {label or data_prefix!r} among {labels(messages)}"
    return hits[-1]


def all_text(messages: list[dict]) -> str:
    """The text of the messages (of the bot's ones among the simulator's items)."""
    return "\n".join(message_text(m) for m in bot_messages(messages))


texts_of = all_text


# --- webhook events, as LINE sends them ------------------------------------------------------
_ids = itertools.count(1)


def event_id() -> str:
    return f"01TEST{next(_ids):020d}"


def base_event(user: str, etype: str, reply_token: str | None = None) -> dict:
    e = {"type": etype, "mode": "active", "timestamp": int(time.time() * 1000),
         "source": {"type": "user", "userId": user}, "webhookEventId": event_id(),
         "deliveryContext": {"isRedelivery": False}}
    if reply_token:
        e["replyToken"] = reply_token
    return e


class Driver:
    """What every transport shares: how a tap is done. A transport gives text() and postback()."""

    def text(self, user: str, text: str) -> Any:
        raise NotImplementedError

    def postback(self, user: str, data: str, params: dict | None = None, display_text: str = "") -> Any:
        raise NotImplementedError

    def tap(self, user: str, messages: list[dict], label: str | None = None, value: str | None = None, *,
            data_prefix: str | None = None) -> Any:
        """Tap the button labelled `label` (or whose data starts with `data_prefix`) in `messages`."""
        action = button(messages, label, data_prefix)
        kind = action["type"]
        if kind == "postback":
            assert value is None, f"{label!r} is a postback, it takes no value"
            return self.postback(user, action["data"], display_text=action.get("displayText", ""))
        if kind == "message":
            return self.text(user, action["text"])
        if kind == "datetimepicker":
            assert value is not None, f"{label!r} is a datetime picker: give the value picked"
            return self.postback(user, action["data"], params={action["mode"]: value})
        raise AssertionError(f"{label!r} is a {kind} action: nothing to post (open its uri instead)")


class Events(Driver):
    """Builds the webhook events of a LINE user's acts; `_answer(user, event)` carries them."""

    def reply_token(self, user: str) -> str | None:
        return uuid.uuid4().hex

    def base(self, user: str, etype: str, reply: bool = True) -> dict:
        return base_event(user, etype, self.reply_token(user) if reply else None)

    def text_event(self, user: str, text: str) -> dict:
        e = self.base(user, "message")
        e["message"] = {"id": uuid.uuid4().hex[:16], "type": "text", "text": text, "quoteToken": uuid.uuid4().hex}
        return e

    def postback_event(self, user: str, data: str, params: dict | None = None) -> dict:
        e = self.base(user, "postback")
        e["postback"] = {"data": data}
        if params:
            e["postback"]["params"] = params
        return e

    def text(self, user: str, text: str) -> list[dict]:
        return self._answer(user, self.text_event(user, text))

    def postback(self, user: str, data: str, params: dict | None = None, display_text: str = "") -> list[dict]:
        return self._answer(user, self.postback_event(user, data, params))

    def follow(self, user: str) -> list[dict]:
        e = self.base(user, "follow")
        e["follow"] = {"isUnblocked": False}
        return self._answer(user, e)

    def content(self, data: bytes, content_type: str) -> str:
        """Where the bot will download a message's content from: the id it has there."""
        mid = uuid.uuid4().hex[:16]
        self.fake.content[mid] = (data, content_type)
        return mid

    def image(self, user: str, data: bytes = b"\x89PNG fake", content_type: str = "image/png") -> list[dict]:
        e = self.base(user, "message")
        e["message"] = {"id": self.content(data, content_type), "type": "image", "contentProvider": {"type": "line"},
                        "quoteToken": uuid.uuid4().hex}
        return self._answer(user, e)

    def file(self, user: str, name: str, data: bytes, content_type: str = "application/pdf") -> list[dict]:
        e = self.base(user, "message")
        e["message"] = {"id": self.content(data, content_type), "type": "file", "fileName": name,
                        "fileSize": len(data)}
        return self._answer(user, e)

    def location(self, user: str, lat: float, lng: float, address: str | None = None) -> list[dict]:
        e = self.base(user, "message")
        e["message"] = {"id": uuid.uuid4().hex[:16], "type": "location", "latitude": lat, "longitude": lng}
        if address:
            e["message"]["address"] = address
        return self._answer(user, e)

    def _answer(self, user: str, event: dict) -> list[dict]:
        raise NotImplementedError


# --- transport 1: signed webhooks to /callback, the fake LINE API on a port ----------------
class Line(Events):
    """Plays LINE: builds complete webhook events, signs them, posts them to /callback."""

    def __init__(self, client, fake: FakeLine, secret: str = SECRET):
        self.client, self.fake, self.secret = client, fake, secret
        self.last_status = None

    def reply_token(self, user: str) -> str:
        return self.fake.issue_reply_token(user)

    def post(self, *events: dict, signature_override: str | None = None, validate: bool = True) -> int:
        for e in events:
            if validate:  # our fixtures must look exactly like LINE's events
                validate_webhook_event(e)
        body = json.dumps({"destination": "U" + "f" * 32, "events": list(events)}, ensure_ascii=False).encode()
        sig = signature_override if signature_override is not None else signature(self.secret, body)
        resp = self.client.post("/callback", data=body, headers={"X-Line-Signature": sig,
                                                                 "Content-Type": "application/json"})
        self.last_status = resp.status_code
        return resp.status_code

    def unfollow(self, user: str) -> int:
        return self.post(self.base(user, "unfollow", reply=False))

    def _answer(self, user: str, event: dict) -> list[dict]:
        """Post the event; return the messages the bot sent back to this user in reply."""
        before = max((d.seq for d in self.fake.delivered), default=0)
        status = self.post(event)
        assert status == 200, status
        return [d.message for d in self.fake.messages_for(user, after=before) if d.via == "reply"]


# --- transport 2: the served simulator, over HTTP as its page does -------------------------
class Sim(Driver):
    """Drives the served simulator over HTTP, as the page does."""

    def __init__(self, url: str, app):
        self.url, self.app = url, app
        self.k = app.extensions["kairan"]
        self.fake = self.k.extras["fake_line"]
        self.http = requests.Session()
        self.events: list[dict] = []
        self.seen: dict[str, int] = {}

    def get(self, path: str, **params):
        return self.http.get(self.url + path, params=params, timeout=30)

    def post(self, path: str, body: dict | None = None, **kw):
        return self.http.post(self.url + path, json=body, headers=POST_HEADERS, timeout=30, **kw)

    def send(self, user: str, kind: str, **fields) -> dict:
        resp = self.post("/simulator/api/send", {"user_id": user, "kind": kind, **fields})
        assert resp.status_code == 200, resp.text
        out = resp.json()
        self.events.append(out["event"])
        assert out["status"] == 200, out
        return out

    def text(self, user: str, text: str) -> dict:
        return self.send(user, "text", text=text)

    def postback(self, user: str, data: str, params: dict | None = None, display_text: str = "") -> dict:
        return self.send(user, "postback", data=data, displayText=display_text, **({"params": params} if params else {}))

    def upload(self, user: str, kind: str, name: str, data: bytes, ctype: str) -> dict:
        resp = self.http.post(self.url + "/simulator/api/send", data={"user_id": user, "kind": kind},
                              files={"file": (name, data, ctype)}, headers=POST_HEADERS, timeout=30)
        assert resp.status_code == 200, resp.text
        out = resp.json()
        self.events.append(out["event"])
        return out

    def dispatch(self) -> int:
        resp = self.post("/simulator/api/dispatch", {})
        assert resp.status_code == 200
        return resp.json()["sent"]

    def new(self, user: str) -> list[dict]:
        """Items for `user` since the last call (bot messages and the user's own)."""
        resp = self.get("/simulator/api/messages", user_id=user, after=self.seen.get(user, 0))
        assert resp.status_code == 200
        body = resp.json()
        self.seen[user] = body["last"]
        return body["items"]

    def bot(self, user: str) -> list[dict]:
        return [i for i in self.new(user) if i["from"] == "bot"]

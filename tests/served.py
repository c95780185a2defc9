"""The simulator-mode app served for real on a port (`sim`), and the helpers that drive it over HTTP
as the simulator page does. A helper module, not a test module: the tests that need it import it,
and conftest.py registers its fixture (pytest_plugins).

The bot's own line-bot-sdk client talks over HTTP to the fake LINE API mounted at /_fake_line in
the same app; each simulated tap is a signed webhook event posted to /callback.
"""
from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from bot.app import create_app
from bot.config import Settings
from bot.dev.demo import demo_user_id, seed
from bot.dev.simulator import HEADER
from conftest import SECRET, TOKEN, spec_errors
from line_spec import validate_webhook_event

CHAIR = demo_user_id("山田 太郎")
HANAKO = demo_user_id("佐藤 花子")
POST_HEADERS = {HEADER: "1"}


class Sim:
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


def texts_of(items: list[dict]) -> str:
    from bot.dev.fake_line import message_text

    return "\n".join(message_text(i["message"]) for i in items if i["from"] == "bot")


def actions(message: dict) -> list[dict]:
    """Every action a user can tap in a message: Flex buttons and quick-reply chips."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "button" and "action" in node:
                found.append(node["action"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.get("contents", {}))
    found += [i["action"] for i in (message.get("quickReply") or {}).get("items", [])]
    return found


def find_action(items: list[dict], label: str | None = None, data_prefix: str | None = None) -> dict:
    for i in items:
        if i["from"] != "bot":
            continue
        for a in actions(i["message"]):
            if (label is None or a.get("label") == label) and \
                    (data_prefix is None or str(a.get("data", "")).startswith(data_prefix)):
                return a
    raise AssertionError(f"no action {label or data_prefix!r} in {texts_of(items)!r}")


def tap(sim: Sim, user: str, action: dict) -> dict:
    assert action["type"] == "postback"
    return sim.send(user, "postback", data=action["data"], displayText=action.get("displayText", ""))


@pytest.fixture
def sim(db_url):
    holder: dict = {}
    # The server first, on a free port; the app (which needs that port in its settings) next.
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, simulator=True, database_url=db_url,
                        line_api_base_url=f"{url}/_fake_line", line_data_api_base_url=f"{url}/_fake_line",
                        base_url=url, handle_events_inline=True, line_timeout_seconds=10.0)
    app = holder["app"] = create_app(settings)
    k = app.extensions["kairan"]
    k.extras["fake_line"].validator = spec_errors  # every message the bot sends must match LINE's spec
    with k.db.session() as s:
        seed(s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    s = Sim(url, app)
    yield s
    server.shutdown()
    server.server_close()
    k.db.dispose()
    assert not s.fake.invalid, f"the bot sent messages that break LINE's rules: {s.fake.invalid}"
    for e in s.events:
        validate_webhook_event(e)

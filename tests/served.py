"""The simulator-mode app served for real on a port (`sim`); its driver (`Sim`, over HTTP as the
simulator page does) is in tests/chat.py, with the other transports. A helper module, not a test
module: conftest.py registers its fixture (pytest_plugins).

The bot's own line-bot-sdk client talks over HTTP to the fake LINE API mounted at /_fake_line in
the same app; each simulated tap is a signed webhook event posted to /callback.
"""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from bot.app import create_app
from bot.config import Settings
from bot.dev.demo import demo_user_id, seed

from chat import SECRET, TOKEN, Sim, actions, button, texts_of  # noqa: F401 - the driver lives in tests/chat.py
from conftest import spec_errors
from line_spec import validate_webhook_event

CHAIR = demo_user_id("山田 太郎")
HANAKO = demo_user_id("佐藤 花子")


def find_action(items: list[dict], label: str | None = None, data_prefix: str | None = None) -> dict:
    """Kept for older imports: `chat.button`."""
    return button(items, label, data_prefix)


def tap(sim: Sim, user: str, action: dict) -> dict:
    """Kept for older imports: tap an action found with find_action (new code: `sim.tap(user, items, label)`)."""
    assert action["type"] == "postback"
    return sim.postback(user, action["data"], display_text=action.get("displayText", ""))


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

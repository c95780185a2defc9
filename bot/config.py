"""Settings read from the environment, once, into one frozen object.

Every knob an operator may turn is here, with its default; nothing else reads os.environ.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_CHANNEL_SECRET = "kairan-simulator-channel-secret"
DEV_ACCESS_TOKEN = "kairan-simulator-access-token"
# Bump when the privacy notice changes materially: members are asked to consent again.
PRIVACY_POLICY_VERSION = "2026-11"


def _default_db_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'kairan.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    channel_secret: str = DEV_CHANNEL_SECRET
    channel_access_token: str = DEV_ACCESS_TOKEN
    simulator: bool = True
    line_api_base_url: str = "https://api.line.me"
    line_data_api_base_url: str = "https://api-data.line.me"
    database_url: str = field(default_factory=_default_db_url)
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Tokyo"
    secret_key: str = "kairan-dev-secret-key"
    association_slug: str | None = None
    line_timeout_seconds: float = 10.0
    # tests set this to handle webhook events inside the request (deterministic)
    handle_events_inline: bool = False
    # webhook events are handled by a pool of threads per web process, never on the request's thread
    inbox_workers: int = 32  # threads; mostly waiting on LINE's reply call, so many are cheap
    inbox_db_slots: int = 4  # of those, how many may be in a database transaction at once
    inbox_queue: int = 1000  # events waiting for a thread; beyond it they wait in the inbox for the sweep
    inbox_order_wait_ms: int = 200  # a new event waits this long, so a user's slightly earlier one can arrive
    reply_timeout_seconds: float = 5.0  # a reply slower than this falls back to a push
    log_level: str = "INFO"
    quiet_start_hour: int = 21  # reminders wait from 21:00 …
    quiet_end_hour: int = 8  # … until 08:00 (disaster messages never wait)
    reminder_hour: int = 9  # planned reminders go at 09:00 local time
    reminder_days: int = 2  # default plan: one reminder 2 days after sending
    safety_reask_minutes: int = 30  # disaster mode: silent households are asked again …
    safety_reask_max: int = 3  # … at most this many times
    location_retention_days: int = 30  # locations are purged this long after disaster mode ends
    tile_url: str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"  # 国土地理院 標準地図

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def load_settings(env: dict[str, str] | None = None, **overrides) -> Settings:
    env = dict(os.environ if env is None else env)
    secret = env.get("LINE_CHANNEL_SECRET", "")
    token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "")
    simulator = not (secret and token)
    port = env.get("PORT", "8000")
    local = f"http://127.0.0.1:{port}"
    s = Settings(
        channel_secret=secret or DEV_CHANNEL_SECRET,
        channel_access_token=token or DEV_ACCESS_TOKEN,
        simulator=simulator,
        # In simulator mode the bot talks to the fake LINE API mounted in this same app.
        line_api_base_url=env.get("LINE_API_BASE_URL")
        or (f"{local}/_fake_line" if simulator else "https://api.line.me"),
        line_data_api_base_url=env.get("LINE_DATA_API_BASE_URL")
        or (f"{local}/_fake_line" if simulator else "https://api-data.line.me"),
        database_url=env.get("DATABASE_URL") or _default_db_url(),
        base_url=(env.get("KAIRAN_BASE_URL") or local).rstrip("/"),
        timezone=env.get("KAIRAN_TIMEZONE", "Asia/Tokyo"),
        secret_key=env.get("KAIRAN_SECRET_KEY") or (secret and f"kairan:{secret}") or "kairan-dev-secret-key",
        association_slug=env.get("KAIRAN_ASSOCIATION") or None,
        log_level=env.get("KAIRAN_LOG_LEVEL", "INFO"),
        quiet_start_hour=int(env.get("KAIRAN_QUIET_HOURS", "21-8").split("-")[0]),
        quiet_end_hour=int(env.get("KAIRAN_QUIET_HOURS", "21-8").split("-")[1]),
        reminder_hour=int(env.get("KAIRAN_REMINDER_HOUR", "9")),
        reminder_days=int(env.get("KAIRAN_REMINDER_DAYS", "2")),
        safety_reask_minutes=int(env.get("KAIRAN_SAFETY_REASK_MINUTES", "30")),
        safety_reask_max=int(env.get("KAIRAN_SAFETY_REASK_MAX", "3")),
        location_retention_days=int(env.get("KAIRAN_LOCATION_RETENTION_DAYS", "30")),
        tile_url=env.get("KAIRAN_TILE_URL") or Settings.tile_url,
        inbox_workers=max(1, int(env.get("KAIRAN_INBOX_WORKERS", str(Settings.inbox_workers)))),
        inbox_db_slots=max(1, int(env.get("KAIRAN_INBOX_DB_SLOTS", str(Settings.inbox_db_slots)))),
        inbox_queue=max(1, int(env.get("KAIRAN_INBOX_QUEUE", str(Settings.inbox_queue)))),
        inbox_order_wait_ms=max(0, int(env.get("KAIRAN_INBOX_ORDER_WAIT_MS", str(Settings.inbox_order_wait_ms)))),
        reply_timeout_seconds=float(env.get("KAIRAN_REPLY_TIMEOUT", str(Settings.reply_timeout_seconds))),
    )
    return s.with_(**overrides) if overrides else s

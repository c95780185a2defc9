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
    # messages of the monthly quota kept for urgent sends (safety checks, rescue alerts): ordinary
    # sends (circulars, events, reminders) are held rather than eat into them
    urgent_quota_reserve: int = 50
    # tests set this to handle webhook events inside the request (deterministic)
    handle_events_inline: bool = False
    log_level: str = "INFO"
    quiet_start_hour: int = 21  # reminders wait from 21:00 …
    quiet_end_hour: int = 8  # … until 08:00 (disaster messages never wait)
    reminder_hour: int = 9  # planned reminders go at 09:00 local time
    reminder_days: int = 2  # default plan: one reminder 2 days after sending
    safety_reask_minutes: int = 30  # disaster mode: silent households are asked again …
    safety_reask_max: int = 3  # … at most this many times
    location_retention_days: int = 30  # locations are purged this long after disaster mode ends
    # a household in 救助が必要: one alert per request, then at most one update (latest location and
    # 連絡事項) this often; what arrives meanwhile is merged into the waiting update
    rescue_update_minutes: int = 5
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
        rescue_update_minutes=int(env.get("KAIRAN_RESCUE_UPDATE_MINUTES", "5")),
        tile_url=env.get("KAIRAN_TILE_URL") or Settings.tile_url,
        line_timeout_seconds=float(env.get("KAIRAN_LINE_TIMEOUT_SECONDS", "10")),
        urgent_quota_reserve=int(env.get("KAIRAN_URGENT_QUOTA_RESERVE", "50")),
    )
    return s.with_(**overrides) if overrides else s

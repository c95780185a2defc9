"""Settings read from the environment, once, into one frozen object.

Every knob an operator may turn is here, with its default; nothing else reads os.environ.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_CHANNEL_SECRET = "kairan-simulator-channel-secret"
DEV_ACCESS_TOKEN = "kairan-simulator-access-token"
# Simulator mode only: a key made at start (sessions end when the process does). Outside it
# KAIRAN_SECRET_KEY is required: a key anyone could derive (the channel secret, a fixed default)
# would let them sign an officer's session.
DEV_SECRET_KEY = secrets.token_urlsafe(32)
SECRET_KEY_MIN_LENGTH = 32
HOW_TO_MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class ConfigError(RuntimeError):
    """The environment does not allow starting (the message says what to set)."""


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
    secret_key: str = ""  # required outside simulator mode (KAIRAN_SECRET_KEY)
    simulator_remote: bool = False  # KAIRAN_SIMULATOR_REMOTE=1: other machines may open the simulator
    association_slug: str | None = None
    line_timeout_seconds: float = 10.0
    # messages of the monthly quota kept for urgent sends (safety checks, rescue alerts): ordinary
    # sends (circulars, events, reminders) are held rather than eat into them
    urgent_quota_reserve: int = 50
    # tests set this to handle webhook events inside the request (deterministic)
    handle_events_inline: bool = False
    # webhook events are handled by a pool of threads per web process, never on the request's thread
    inbox_workers: int = 32  # threads; mostly waiting on LINE's reply call, so many are cheap
    # of those, how many may be in a database transaction at once; 0: by database (bot/inbox.py
    # DB_SLOTS: 4 on SQLite, whose one writer they queue for; 8 on PostgreSQL, where 4 left the
    # handling seconds behind the answers under a burst, docs/benchmarks.md issue 15)
    inbox_db_slots: int = 0
    # database connections each process keeps open: its request threads (gunicorn --threads 4)
    # and handling transactions (8 on PostgreSQL) and the reads beside them hold one each; fewer,
    # and every use beyond the pool opened and closed a connection (docs/benchmarks.md issue 15)
    db_pool_size: int = 16
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
    # JMA's PULL feeds (docs/jma.md): the base URL holding eqvol.xml and extra.xml; None: nothing polls
    jma_feed_url: str | None = None
    jma_poll_seconds: int = 60  # JMA's high-frequency feeds are updated every minute
    location_retention_days: int = 30  # locations are purged this long after disaster mode ends
    # a household in 救助が必要: one alert per request, then at most one update (latest location and
    # 連絡事項) this often; what arrives meanwhile is merged into the waiting update
    rescue_update_minutes: int = 5
    tile_url: str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"  # 国土地理院 標準地図
    # Fernet keys for the channels' secrets and tokens at rest (KAIRAN_CHANNEL_KEYS, comma-separated:
    # the first encrypts, all decrypt); none: derived from secret_key (bot/secrets.py)
    channel_keys: tuple[str, ...] = ()
    # how often a process checks whether a channel was added or changed (its cache of the channels)
    channel_check_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not self.secret_key:
            if not self.simulator:
                raise ConfigError(
                    "KAIRAN_SECRET_KEY is not set: outside simulator mode kairan needs its own secret key to sign "
                    f"officers' sessions and sign-in links. Make one with: {HOW_TO_MAKE_A_KEY} "
                    "and set it as KAIRAN_SECRET_KEY (keep it secret; changing it signs everyone out).")
            object.__setattr__(self, "secret_key", DEV_SECRET_KEY)

    @property
    def env_channel(self) -> bool:
        """Is there a channel in the environment (LINE_CHANNEL_SECRET / _ACCESS_TOKEN, or the simulator's)?"""
        return bool(self.channel_secret and self.channel_access_token)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _fernet_key(key: str) -> bool:
    from cryptography.fernet import Fernet

    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


def load_settings(env: dict[str, str] | None = None, **overrides) -> Settings:
    env = dict(os.environ if env is None else env)
    secret = env.get("LINE_CHANNEL_SECRET", "")
    token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "")
    # no channel in the environment: the simulator, unless KAIRAN_SIMULATOR=0 (a city whose
    # channels are all in the database, `kairan channel add`)
    simulator = not (secret and token) and env.get("KAIRAN_SIMULATOR") != "0"
    channel_keys = tuple(k.strip() for k in env.get("KAIRAN_CHANNEL_KEYS", "").split(",") if k.strip())
    if channel_keys:
        bad = [n + 1 for n, k in enumerate(channel_keys) if not _fernet_key(k)]
        if bad:
            raise ConfigError(f"KAIRAN_CHANNEL_KEYS: key {', '.join(map(str, bad))} is not a Fernet key. Make one with: "
                              'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"')
    key = env.get("KAIRAN_SECRET_KEY", "")
    if key and not simulator and (len(key) < SECRET_KEY_MIN_LENGTH or key == secret):
        raise ConfigError(f"KAIRAN_SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters and not the "
                          f"channel secret. Make one with: {HOW_TO_MAKE_A_KEY}")
    port = env.get("PORT", "8000")
    local = f"http://127.0.0.1:{port}"
    s = Settings(
        # outside simulator mode an empty secret means "no channel in the environment"
        channel_secret=(secret if secret and token else "") or (DEV_CHANNEL_SECRET if simulator else ""),
        channel_access_token=(token if secret and token else "") or (DEV_ACCESS_TOKEN if simulator else ""),
        simulator=simulator,
        # In simulator mode the bot talks to the fake LINE API mounted in this same app.
        line_api_base_url=env.get("LINE_API_BASE_URL")
        or (f"{local}/_fake_line" if simulator else "https://api.line.me"),
        line_data_api_base_url=env.get("LINE_DATA_API_BASE_URL")
        or (f"{local}/_fake_line" if simulator else "https://api-data.line.me"),
        database_url=env.get("DATABASE_URL") or _default_db_url(),
        base_url=(env.get("KAIRAN_BASE_URL") or local).rstrip("/"),
        timezone=env.get("KAIRAN_TIMEZONE", "Asia/Tokyo"),
        secret_key=key,
        simulator_remote=env.get("KAIRAN_SIMULATOR_REMOTE") == "1",
        association_slug=env.get("KAIRAN_ASSOCIATION") or None,
        log_level=env.get("KAIRAN_LOG_LEVEL", "INFO"),
        quiet_start_hour=int(env.get("KAIRAN_QUIET_HOURS", "21-8").split("-")[0]),
        quiet_end_hour=int(env.get("KAIRAN_QUIET_HOURS", "21-8").split("-")[1]),
        reminder_hour=int(env.get("KAIRAN_REMINDER_HOUR", "9")),
        reminder_days=int(env.get("KAIRAN_REMINDER_DAYS", "2")),
        safety_reask_minutes=int(env.get("KAIRAN_SAFETY_REASK_MINUTES", "30")),
        safety_reask_max=int(env.get("KAIRAN_SAFETY_REASK_MAX", "3")),
        jma_feed_url=(env.get("KAIRAN_JMA_FEED_URL") or "").rstrip("/") or None,
        jma_poll_seconds=max(60, int(env.get("KAIRAN_JMA_POLL_SECONDS", "60"))),
        location_retention_days=int(env.get("KAIRAN_LOCATION_RETENTION_DAYS", "30")),
        rescue_update_minutes=int(env.get("KAIRAN_RESCUE_UPDATE_MINUTES", "5")),
        tile_url=env.get("KAIRAN_TILE_URL") or Settings.tile_url,
        line_timeout_seconds=float(env.get("KAIRAN_LINE_TIMEOUT_SECONDS", "10")),
        urgent_quota_reserve=int(env.get("KAIRAN_URGENT_QUOTA_RESERVE", "50")),
        inbox_workers=max(1, int(env.get("KAIRAN_INBOX_WORKERS", str(Settings.inbox_workers)))),
        inbox_db_slots=max(0, int(env.get("KAIRAN_INBOX_DB_SLOTS", str(Settings.inbox_db_slots)))),
        inbox_queue=max(1, int(env.get("KAIRAN_INBOX_QUEUE", str(Settings.inbox_queue)))),
        db_pool_size=max(1, int(env.get("KAIRAN_DB_POOL_SIZE", str(Settings.db_pool_size)))),
        inbox_order_wait_ms=max(0, int(env.get("KAIRAN_INBOX_ORDER_WAIT_MS", str(Settings.inbox_order_wait_ms)))),
        reply_timeout_seconds=float(env.get("KAIRAN_REPLY_TIMEOUT", str(Settings.reply_timeout_seconds))),
        channel_keys=channel_keys,
        channel_check_seconds=max(0.0, float(env.get("KAIRAN_CHANNEL_CHECK_SECONDS",
                                                     str(Settings.channel_check_seconds)))),
    )
    return s.with_(**overrides) if overrides else s

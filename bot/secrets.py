"""Channel secrets and access tokens at rest: cryptography's Fernet, several keys for rotation.

The key comes from the environment, in this order:
- `KAIRAN_CHANNEL_KEYS`: comma-separated Fernet keys (`Fernet.generate_key()`); the first encrypts,
  every one decrypts (MultiFernet), so a new key is put first and `kairan channel rekey`
  re-encrypts every channel with it before the old one is dropped;
- else a key derived from `KAIRAN_SECRET_KEY` with HKDF (SHA-256, a fixed info label): nothing
  new to set, but changing KAIRAN_SECRET_KEY then needs KAIRAN_CHANNEL_KEYS=<new>,<old> and a rekey;
- in simulator mode without KAIRAN_SECRET_KEY, a fixed development key (the simulator's own
  secret key is new at every start, and its channels must stay readable across restarts).

Nothing here logs a secret; `mask` is the only form in which one is shown.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import DEV_SECRET_KEY, Settings

HKDF_INFO = b"kairan channel secrets v1"
# simulator mode only (no real channel is ever encrypted with it: outside simulator mode
# KAIRAN_SECRET_KEY is required, and the key is derived from it)
DEV_CHANNEL_KEY = "6h_-aX6MEKz40vYl5hS8Rc3NB0rDe-u8EJQDXkKBy7M="

__all__ = ["SecretBox", "InvalidToken", "box_for", "derive_key", "mask", "valid_key"]


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from KAIRAN_SECRET_KEY (HKDF-SHA256, no salt, a fixed label)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def valid_key(key: str) -> bool:
    """Is this a Fernet key (32 url-safe base64 bytes)?"""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


class SecretBox:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ValueError("no key")
        self.fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, plain: str) -> str:
        return self.fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plain text; raises InvalidToken when no key of ours made it (or it was altered)."""
        return self.fernet.decrypt(token.encode("ascii")).decode()

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the first key (MultiFernet.rotate)."""
        return self.fernet.rotate(token.encode("ascii")).decode("ascii")


def keys_for(settings: Settings) -> list[bytes]:
    if settings.channel_keys:
        return [k.encode() for k in settings.channel_keys]
    if settings.simulator and settings.secret_key == DEV_SECRET_KEY:
        return [DEV_CHANNEL_KEY.encode()]
    return [derive_key(settings.secret_key)]


def box_for(settings: Settings) -> SecretBox:
    return SecretBox(keys_for(settings))


def mask(value: str | None, shown: int = 4) -> str:
    """For display: the first few characters and an ellipsis (short values: the ellipsis alone)."""
    if not value:
        return ""
    return (value[:shown] if len(value) > 2 * shown else "") + "…"

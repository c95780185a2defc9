"""Channel secrets at rest (bot/secrets.py): where the key comes from, rotation, masking, and the
settings that choose them."""
from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet, InvalidToken

from bot.channels import Entry
from bot.config import DEV_SECRET_KEY, ConfigError, Settings, load_settings
from bot.secrets import DEV_CHANNEL_KEY, SecretBox, box_for, derive_key, keys_for, mask
from models.tenancy import ChannelRef

PRODUCTION = {"LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "t" * 40, "KAIRAN_SECRET_KEY": "k" * 40}


def test_the_derived_key_is_stable_per_secret_key_and_differs_between_them():
    assert derive_key("a" * 40) == derive_key("a" * 40) != derive_key("b" * 40)
    Fernet(derive_key("a" * 40))  # a valid Fernet key
    token = SecretBox([derive_key("a" * 40)]).encrypt("channel-secret")
    with pytest.raises(InvalidToken):
        SecretBox([derive_key("b" * 40)]).decrypt(token)


def test_the_first_key_encrypts_every_key_decrypts_and_rotate_moves_to_the_first():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = SecretBox([old]).encrypt("s3cret")
    both = SecretBox([new, old])
    assert both.decrypt(token) == "s3cret"
    moved = both.rotate(token)
    assert SecretBox([new]).decrypt(moved) == "s3cret"
    with pytest.raises(InvalidToken):
        SecretBox([old]).decrypt(moved)


def test_where_the_key_comes_from():
    keys = (Fernet.generate_key().decode(), Fernet.generate_key().decode())
    assert keys_for(Settings(simulator=False, secret_key="k" * 40, channel_keys=keys)) == [k.encode() for k in keys]
    assert keys_for(Settings(simulator=False, secret_key="k" * 40)) == [derive_key("k" * 40)]
    # the simulator's own secret key is new at every start: its channels use a fixed key
    sim = Settings(simulator=True)
    assert sim.secret_key == DEV_SECRET_KEY and keys_for(sim) == [DEV_CHANNEL_KEY.encode()]
    assert keys_for(Settings(simulator=True, secret_key="k" * 40)) == [derive_key("k" * 40)]


def test_channel_keys_are_read_and_checked_from_the_environment():
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    s = load_settings({**PRODUCTION, "KAIRAN_CHANNEL_KEYS": f" {k1} , {k2} "})
    assert s.channel_keys == (k1, k2)
    assert box_for(s).decrypt(SecretBox([k2.encode()]).encrypt("x")) == "x"
    with pytest.raises(ConfigError, match="key 2"):
        load_settings({**PRODUCTION, "KAIRAN_CHANNEL_KEYS": f"{k1},not-a-key"})


def test_a_city_without_a_channel_in_the_environment_is_not_the_simulator():
    s = load_settings({"KAIRAN_SIMULATOR": "0", "KAIRAN_SECRET_KEY": "k" * 40})
    assert not s.simulator and not s.env_channel and s.channel_secret == "" and s.channel_access_token == ""
    with pytest.raises(ConfigError):
        load_settings({"KAIRAN_SIMULATOR": "0"})  # outside the simulator the secret key is required
    assert load_settings({}).simulator and load_settings({}).env_channel


def test_masks_and_reprs_never_show_the_secret(caplog):
    assert mask("0123456789abcdef") == "0123…"
    assert mask("short") == "…" and mask("") == "" and mask(None) == ""
    entry = Entry(ChannelRef(3, "association", 7), "the-secret-value", "the-token-value", 2, "U" + "a" * 32, "東町")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("entry %r %s", entry, entry)
    assert "the-secret-value" not in repr(entry) + str(entry) + caplog.text
    assert "the-token-value" not in repr(entry) + caplog.text

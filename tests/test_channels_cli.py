"""`kairan municipality / association / channel`: a city set up from the command line; secrets
stored encrypted, shown masked, rotated and re-keyed; --association on the old commands."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.cli import main
from bot.secrets import SecretBox, derive_key
from models import Association, Database, Municipality
from models.tenancy import Channel

from conftest import user_id

KEY_OLD = Fernet.generate_key().decode()
KEY_NEW = Fernet.generate_key().decode()
BOT_A = user_id("bot:higashi")
BOT_C = user_id("bot:city")
SECRET_A = "0123456789abcdef0123456789abcdef"
TOKEN_A = "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def database(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def run(db_url):
    env = {"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
           "KAIRAN_ASSOCIATION": None, "KAIRAN_SECRET_KEY": None, "KAIRAN_CHANNEL_KEYS": KEY_OLD}

    def run(*args: str, ok: bool = True, **more):
        result = CliRunner(env={**env, **more}).invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result
    return run


@pytest.fixture
def city(run):
    run("municipality", "add", "みなと市", "--code", "139999")
    run("association", "add", "東町自治会", "--municipality", "みなと市", "--slug", "higashi", "--district", "東地区")
    run("association", "add", "西町自治会", "--municipality", "みなと市")
    run("channel", "add", "--association", "higashi", "--bot-user-id", BOT_A, "--secret", SECRET_A, "--token", TOKEN_A)
    run("channel", "add", "--municipality", "みなと市", "--bot-user-id", BOT_C, "--secret", "citysecret",
        "--token", "citytoken-xyz", "--label", "みなと市LINE")


def channels(database) -> dict[str, Channel]:
    with database.session() as s:
        rows = s.scalars(select(Channel)).all()
        s.expunge_all()
        return {r.bot_user_id: r for r in rows}


def test_a_city_is_set_up_and_the_secrets_are_stored_encrypted(city, database):
    with database.session() as s:
        m = s.scalar(select(Municipality))
        assert (m.name, m.code) == ("みなと市", "139999")
        assert [(a.slug, a.name, a.municipality_id, a.district) for a in s.scalars(select(Association))] == [
            ("higashi", "東町自治会", m.id, "東地区"), ("assoc2", "西町自治会", m.id, None)]
    rows = channels(database)
    a, c = rows[BOT_A], rows[BOT_C]
    assert (a.kind, a.label, a.version) == ("association", "東町自治会", 1)
    assert (c.kind, c.label) == ("municipality", "みなと市LINE")
    for row, plain in ((a, SECRET_A), (a, TOKEN_A), (c, "citysecret")):
        assert plain not in row.secret_enc + row.token_enc
    box = SecretBox([KEY_OLD.encode()])
    assert (box.decrypt(a.secret_enc), box.decrypt(a.token_enc)) == (SECRET_A, TOKEN_A)


def test_channel_list_shows_secrets_only_masked(run, city):
    out = run("channel", "list").output
    assert BOT_A in out and "東町自治会" in out and "みなと市" in out
    assert SECRET_A not in out and TOKEN_A not in out and "citysecret" not in out
    assert "0123…" in out and "toke…" in out


def test_rotate_bumps_the_version_and_keeps_the_other_value(run, city, database):
    out = run("channel", "rotate", "--bot-user-id", BOT_A, "--secret", "fedcba9876543210fedcba9876543210").output
    assert "版 2" in out and "fedcba9876543210" not in out
    a = channels(database)[BOT_A]
    box = SecretBox([KEY_OLD.encode()])
    assert a.version == 2 and box.decrypt(a.secret_enc).startswith("fedcba") and box.decrypt(a.token_enc) == TOKEN_A
    assert "どちらか" not in run("channel", "rotate", "--bot-user-id", BOT_A, ok=False).output  # an error, not a no-op
    assert run("channel", "rotate", "--bot-user-id", BOT_A, ok=False).exit_code == 1


def test_rekey_moves_every_channel_to_the_new_key(run, city, database):
    before = channels(database)
    # the new key first, the old one kept after it, until the rekey is done
    out = run("channel", "rekey", KAIRAN_CHANNEL_KEYS=f"{KEY_NEW},{KEY_OLD}").output
    assert "2件" in out
    after = channels(database)
    new_only = SecretBox([KEY_NEW.encode()])
    assert new_only.decrypt(after[BOT_A].secret_enc) == SECRET_A
    assert after[BOT_A].version == before[BOT_A].version + 1
    listed = run("channel", "list", KAIRAN_CHANNEL_KEYS=KEY_NEW).output
    assert "復号できません" not in listed and "0123…" in listed
    # with only the old key, nothing can be read, and a rekey changes nothing
    assert "復号できません" in run("channel", "list").output
    failed = run("channel", "rekey", ok=False)
    assert failed.exit_code == 1 and "何も変更していません" in failed.stderr
    assert channels(database)[BOT_A].secret_enc == after[BOT_A].secret_enc


def test_without_channel_keys_the_key_is_derived_from_the_secret_key(run, database):
    secret_key = "k" * 40
    run("municipality", "add", "みなと市")
    run("channel", "add", "--municipality", "みなと市", "--bot-user-id", BOT_C, "--secret", "s1", "--token", "t1",
        KAIRAN_CHANNEL_KEYS=None, KAIRAN_SECRET_KEY=secret_key)
    row = channels(database)[BOT_C]
    assert SecretBox([derive_key(secret_key)]).decrypt(row.token_enc) == "t1"


def test_channel_add_refuses_what_would_not_work(run, city, database):
    before = channels(database)
    cases = [
        (["--association", "higashi", "--municipality", "みなと市"], "どちらか"),
        (["--association", "higashi", "--bot-user-id", user_id("bot:x"), "--secret", "s", "--token", "t"], "既に"),
        (["--municipality", "みなと市", "--bot-user-id", user_id("bot:y"), "--secret", "s", "--token", "t"], "既に"),
        (["--association", "assoc2", "--bot-user-id", BOT_A, "--secret", "s", "--token", "t"], "既に"),
        (["--association", "assoc2", "--bot-user-id", "Unot-an-id", "--secret", "s", "--token", "t"], "ユーザーID"),
        (["--association", "nowhere", "--bot-user-id", user_id("bot:z"), "--secret", "s", "--token", "t"], "ありません"),
        (["--association", "assoc2", "--from-env"], "LINE_CHANNEL_SECRET"),
    ]
    for args, word in cases:
        result = run("channel", "add", *args, ok=False)
        assert result.exit_code == 1 and word in result.stderr, (args, result.stderr)
    assert channels(database).keys() == before.keys()


def test_channel_add_from_env(run, city, database):
    env = {"LINE_CHANNEL_SECRET": "envsecret", "LINE_CHANNEL_ACCESS_TOKEN": "envtoken", "KAIRAN_SECRET_KEY": "k" * 40}
    run("channel", "add", "--association", "assoc2", "--from-env", "--bot-user-id", user_id("bot:nishi"), **env)
    row = channels(database)[user_id("bot:nishi")]
    assert SecretBox([KEY_OLD.encode()]).decrypt(row.secret_enc) == "envsecret"


def test_old_commands_take_association_and_ask_for_it_when_there_are_several(run, city):
    several = run("roles", "list", ok=False)
    assert several.exit_code == 1 and "--association" in several.stderr
    assert "役職のある人はいません" in run("roles", "list", "--association", "higashi").output
    assert "役職のある人はいません" in run("roles", "list", "--association", "西町自治会").output
    assert "世帯がありません" in run("join-codes", "--association", "assoc2").output
    assert run("roster", "export", "--association", "higashi").exit_code == 0
    unknown = run("join-codes", "--association", "nowhere", ok=False)
    assert unknown.exit_code == 1 and "ありません" in unknown.stderr
    listed = run("association", "list").output
    assert "東町自治会の" not in listed and "みなと市LINE" in listed and "東町自治会" in listed

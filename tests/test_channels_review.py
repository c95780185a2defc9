"""The review of the city tier, as tests: a channel added a moment ago in another process is not
refused; /callback does not read a huge unsigned body; `channel rotate --secret -` asks without
echo; a notice to every household needs a city channel, and staff granted before the city had one
move onto it when it is added."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.channels import add_channel
from bot.cli import main
from bot.secrets import box_for
from models import CityStaff, Database, NoticeAudience, Role
from models.city import pickable

from channels_kit import association, on, register_tokens
from conftest import user_id

CHAIR = user_id("北町 会長")


def test_a_channel_added_elsewhere_is_served_at_once(demo, app, k, fake):
    kita = association(k.db, "kita", "北町自治会", [("北町 会長", Role.chair)])
    register_tokens(k, fake)
    assert on(app, fake, None).text(user_id("誰か"), "こんにちは") is not None  # the environment's bot, known
    assert k.channels.by_destination(user_id("bot:北町")) is None  # and the cache is fresh: no check for 2 s
    bot, secret = user_id("bot:北町"), "kita-secret-0123456789"
    with k.db.session() as s:  # another process adds it: this one's cache is not told
        add_channel(s, box_for(k.settings), bot_user_id=bot, secret=secret, token="kita-token", label="北町",
                    association_id=kita)
    fake.tokens["kita-token"] = "new"  # LINE knows the new channel's token
    line = on(app, fake, {"bot_user_id": bot, "secret": secret, "name": "new"})
    replies = line.text(CHAIR, "状況")
    assert line.last_status == 200 and replies  # not refused for the seconds until the next check
    assert fake.sends("/reply")[-1].channel == "new"


def test_a_huge_body_is_refused_before_it_is_read(demo, app):
    body = b'{"destination": "U' + b"0" * 32 + b'", "events": [' + b" " * (1024 * 1024) + b"]}"
    resp = app.test_client().post("/callback", data=body, headers={"X-Line-Signature": "x",
                                                                   "Content-Type": "application/json"})
    assert resp.status_code == 413


@pytest.fixture
def run(db_url):
    env = {"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
           "KAIRAN_ASSOCIATION": None, "KAIRAN_SECRET_KEY": "k" * 40, "KAIRAN_CHANNEL_KEYS": None,
           "KAIRAN_SIMULATOR": "0"}

    def run(*args: str, input: str | None = None):
        result = CliRunner(env=env).invoke(main, list(args), input=input)
        assert result.exit_code == 0, (result.output, result.exception)
        return result
    return run


def test_rotate_asks_for_the_secret_without_echo_and_staff_move_onto_the_new_city_channel(run, db_url):
    run("municipality", "add", "みなと市")
    run("association", "add", "北町自治会", "--municipality", "みなと市", "--slug", "kita")
    run("city-staff", "grant", user_id("市役所 佐々木"), "--municipality", "みなと市")
    db = Database(db_url)
    try:
        with db.session() as s:
            (staff,) = s.scalars(select(CityStaff)).all()
            assert staff.channel_id is None  # no city channel yet: the environment's
            assert pickable(s, staff.municipality_id, NoticeAudience.residents, None) == []
        bot = user_id("bot:city")
        run("channel", "add", "--municipality", "みなと市", "--bot-user-id", bot, "--secret", "city-secret",
            "--token", "city-token")
        with db.session() as s:
            (staff,) = s.scalars(select(CityStaff)).all()
            assert staff.channel_id is not None  # on the city's channel now
        out = run("channel", "rotate", "--bot-user-id", bot, "--secret", "-", input="new-city-secret\n").output
        assert "new-city-secret" not in out  # asked, not echoed, not in argv
        listed = run("channel", "list").output
        assert "new-city-secret" not in listed and "new-…" in listed
    finally:
        db.dispose()


def test_made_up_destinations_cost_a_few_looks_a_second_not_one_each(demo, k, monkeypatch):
    from sqlalchemy import event

    from bot.channels import RECHECKS

    k.channels.by_destination(user_id("bot:warm"))  # loaded
    now = k.channels.clock()  # one second that does not pass, from the directory's own clock: a
    monkeypatch.setattr(k.channels, "clock", lambda: now)  # made-up 1000.0 is the future on a machine up for minutes
    looks = []
    listener = lambda *args: looks.append(args[2]) if "channels" in args[2] else None  # noqa: E731
    event.listen(k.db.engine, "before_cursor_execute", listener)
    try:
        for n in range(200):
            k.channels.for_webhook(user_id(f"bot:made-up-{n}"))
    finally:
        event.remove(k.db.engine, "before_cursor_execute", listener)
    assert 1 <= len(looks) <= RECHECKS


def test_a_web_worker_reads_its_channels_when_it_starts_not_at_its_first_webhook(demo, k):
    from sqlalchemy import event

    from bot.app import create_app

    kita = association(k.db, "kita", "北町自治会", [("北町 会長", Role.chair)])
    bot = user_id("bot:北町")
    with k.db.session() as s:
        add_channel(s, box_for(k.settings), bot_user_id=bot, secret="kita-secret", token="kita-token", label="北町",
                    association_id=kita)
    worker = create_app(k.settings).extensions["kairan"]  # as each gunicorn worker does
    try:
        looks = []
        listener = lambda *args: looks.append(args[2])  # noqa: E731
        event.listen(worker.db.engine, "before_cursor_execute", listener)
        try:
            assert worker.channels.for_webhook(bot).id is not None  # the first webhook
        finally:
            event.remove(worker.db.engine, "before_cursor_execute", listener)
        assert looks == []  # read and decrypted at the start already
    finally:
        worker.db.dispose()

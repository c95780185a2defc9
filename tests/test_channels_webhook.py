"""POST /callback with several channels: the body's destination picks the channel, its secret
must sign the body, and the event is handled (and answered) on that channel.

Set-up: 東町 is the environment's channel's association (the first one); みなと市 holds 南町
(its own channel, A) and 西町 (no channel of its own: the city channel, C).
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select

from bot.cli import main
from bot.dev.demo import demo_user_id
from models import Member, Role, WebhookEvent

from channels_kit import association, channel, municipality, on, register_tokens
from conftest import user_id

CHAIR = demo_user_id("山田 太郎")  # 東町 (the environment's channel)
MINAMI_CHAIR = user_id("南町 会長")
NISHI_MEMBER = user_id("西町 住民")


@pytest.fixture
def city(demo, k, fake):
    city_id = municipality(k.db)
    minami = association(k.db, "minami", "南町自治会", [("南町 会長", Role.chair), ("南町 住民", Role.member)], city_id)
    nishi = association(k.db, "nishi", "西町自治会", [("西町 住民", Role.member)], city_id)
    a = channel(k, "南町", association_id=minami)
    c = channel(k, "みなと市", municipality_id=city_id)
    register_tokens(k, fake)
    return {"A": a, "C": c, "minami": minami, "nishi": nishi, "city": city_id}


def events(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(WebhookEvent.id, WebhookEvent.channel_id, WebhookEvent.status))]


def test_each_destination_is_handled_and_answered_on_its_own_channel(app, k, fake, city):
    a, c = city["A"], city["C"]
    # 南町's chair on 南町's own channel: the association's own menu, the reply through A's token
    replies = on(app, fake, a).text(MINAMI_CHAIR, "状況")
    assert replies, "the chair got an answer"
    (reply,) = fake.sends("/reply")
    assert reply.channel == a["name"] and reply.headers["authorization"] == f"Bearer {a['token']}"
    # 西町's member on the city channel
    on(app, fake, c).text(NISHI_MEMBER, "ヘルプ")
    assert fake.sends("/reply")[-1].channel == c["name"]
    # 東町's chair on the environment's channel (a destination no row has, signed with the env secret)
    on(app, fake, None).text(CHAIR, "状況")
    assert fake.sends("/reply")[-1].channel == "env"
    assert {(cid, status) for _, cid, status in events(k.db)} == {(a["id"], "done"), (c["id"], "done"), (None, "done")}


def test_the_event_resolves_on_its_channel(app, k, fake, city, monkeypatch):
    """The Ctx gets the ChannelRef of the row's channel (and that channel's LINE client)."""
    import bot.inbox as inbox

    seen = []
    real = inbox.resolve

    def spy(session, ref, user):
        seen.append(ref)
        return real(session, ref, user)

    monkeypatch.setattr(inbox, "resolve", spy)
    on(app, fake, city["C"]).text(NISHI_MEMBER, "ヘルプ")
    on(app, fake, city["A"]).text(MINAMI_CHAIR, "ヘルプ")
    on(app, fake, None).text(CHAIR, "ヘルプ")
    assert [(r.id, r.kind, r.association_id, r.municipality_id) for r in seen] == [
        (city["C"]["id"], "municipality", None, city["city"]),
        (city["A"]["id"], "association", city["minami"], None),
        (None, "env", 1, None)]


def test_a_signature_made_with_another_channels_secret_is_refused_and_nothing_written(app, k, fake, city):
    a, c = city["A"], city["C"]
    line = on(app, fake, a)
    e = line.text_event(MINAMI_CHAIR, "状況")
    assert line.post(e, secret=c["secret"]) == 400  # C's secret on A's destination
    assert line.post(e, secret="test-channel-secret") == 400  # the environment's secret on A's destination
    assert line.post(e, signature_override="") == 400
    assert events(k.db) == [] and fake.sends() == []


def test_an_unknown_destination_not_signed_with_the_environments_secret_is_refused(app, k, fake, city):
    stranger = on(app, fake, None)
    stranger.destination = user_id("bot:nobody")
    e = stranger.text_event(CHAIR, "状況")
    assert stranger.post(e, secret="some-other-channels-secret") == 400
    assert stranger.post(e, secret=city["A"]["secret"]) == 400  # a known secret, another destination
    assert events(k.db) == []
    # signed with the environment's secret it is the environment's channel (zero configuration)
    assert stranger.post(e) == 200
    assert [(cid, st) for _, cid, st in events(k.db)] == [(None, "done")]


def test_without_a_channel_in_the_environment_an_unknown_destination_is_refused(settings, fake, demo):
    from bot.app import create_app

    app = create_app(settings.with_(channel_secret="", channel_access_token=""))
    try:
        line = on(app, fake, None)
        assert line.post(line.text_event(CHAIR, "状況")) == 400
        assert events(app.extensions["kairan"].db) == []
    finally:
        app.extensions["kairan"].db.dispose()


def test_a_rotated_secret_verifies_without_a_restart_and_the_old_one_fails(app, k, fake, city, db_url):
    a = city["A"]
    now = [1000.0]
    k.channels.clock = lambda: now[0]  # the cache's clock: checks the table every 2 s
    k.channels.invalidate()
    line = on(app, fake, a)
    assert line.text(MINAMI_CHAIR, "ヘルプ")
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
                            "KAIRAN_SECRET_KEY": k.settings.secret_key, "KAIRAN_ASSOCIATION": None})
    # another process (the CLI) rotates the secret: this one sees it at its next check
    result = runner.invoke(main, ["channel", "rotate", "--bot-user-id", a["bot_user_id"], "--secret", "new-secret-A"])
    assert result.exit_code == 0, result.output
    assert "new-secret-A" not in result.output
    now[0] += 0.5
    assert line.post(line.text_event(MINAMI_CHAIR, "ヘルプ")) == 200  # within 2 s the old one still works
    now[0] += 2.0
    assert line.post(line.text_event(MINAMI_CHAIR, "ヘルプ")) == 400  # the old secret fails
    assert line.post(line.text_event(MINAMI_CHAIR, "ヘルプ"), secret="new-secret-A") == 200
    # in the process that changes it, at once
    with k.db.session() as s:
        from bot.channels import rotate_channel
        from bot.secrets import box_for
        from models.tenancy import Channel

        rotate_channel(s.get(Channel, a["id"]), box_for(k.settings), secret="newer-secret-A")
    k.channels.invalidate()
    assert line.post(line.text_event(MINAMI_CHAIR, "ヘルプ"), secret="new-secret-A") == 400
    assert line.post(line.text_event(MINAMI_CHAIR, "ヘルプ"), secret="newer-secret-A") == 200


def test_routing_stays_off_the_database(app, k, fake, city):
    """Between checks a lookup reads no table: one aggregate per check, whatever the number of channels."""
    for n in range(40):
        channel(k, f"extra-{n}", association_id=association(k.db, f"x{n}", f"自治会{n}", []))
    k.channels.for_webhook(city["A"]["bot_user_id"])  # loaded
    k.channels.for_webhook(user_id("bot:nobody"))  # … and the environment's association
    k.channels.env_verified(user_id("bot:nobody"))  # as /callback does once its signature verified
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(k.db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(200):
            assert k.channels.for_webhook(city["A"]["bot_user_id"]).id == city["A"]["id"]
            assert k.channels.for_webhook(user_id("bot:nobody")).id is None
    finally:
        event.remove(k.db.engine, "before_cursor_execute", listener)
    assert statements == []
    reloads = k.channels.reloads
    k.channels.invalidate()
    k.channels.by_destination(city["A"]["bot_user_id"])
    assert k.channels.reloads == reloads  # nothing changed: the check found the same stamp


def test_a_reply_refused_on_a_channel_falls_back_to_a_push_on_that_channel(app, k, fake, city):
    from bot import outbox
    from models import OutboxMessage

    a = city["A"]
    fake.fail_next(400, path_contains="reply", channel=a["name"], body={"message": "Invalid reply token"})
    on(app, fake, a).post(on(app, fake, a).text_event(MINAMI_CHAIR, "状況"))
    with k.db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reply-fallback")).all()
        assert (row.channel_id, row.association_id) == (a["id"], city["minami"])
    outbox.drain(k.db, k.line)
    assert [r.channel for r in fake.sends("/push")] == [a["name"]]


def test_a_city_channel_user_with_no_association_does_not_crash_the_inbox(app, k, fake, city):
    stranger = user_id("まだ登録していない人")
    on(app, fake, city["C"]).follow(stranger)
    on(app, fake, city["C"]).text(stranger, "こんにちは")
    assert {st for _, _, st in events(k.db)} == {"done"}
    with k.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.line_user_id == stranger)) <= 1

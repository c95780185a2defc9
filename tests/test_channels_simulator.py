"""The simulator's demo city: each pane talks to its own channel (東町自治会's own, みなと市's city
channel for 西町自治会 and the city staff), signs with that channel's secret, and the fake LINE
API answers each channel with its own token."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.dev import demo
from bot.secrets import box_for
from models import WebhookEvent
from models.tenancy import Channel

from chat import all_text


@pytest.fixture
def city(sim):
    with sim.k.db.session() as s:
        assert demo.seed_city(s, box_for(sim.k.settings))
        ids = {c.bot_user_id: c.id for c in s.scalars(select(Channel))}
    sim.k.channels.invalidate()
    return {"higashi": ids[demo.HIGASHI_CHANNEL.bot_user_id], "city": ids[demo.CITY_CHANNEL.bot_user_id]}


def users(sim) -> dict[str, dict]:
    return {u["name"]: u for u in sim.get("/simulator/api/users").json()["users"]}


def channel_of_last_event(sim) -> int | None:
    with sim.k.db.session() as s:
        return s.scalar(select(WebhookEvent.channel_id).order_by(WebhookEvent.received_at.desc()).limit(1))


def test_every_pane_names_its_channel(sim, city):
    u = users(sim)
    assert (u["山田 太郎"]["channel_id"], u["山田 太郎"]["channel"]) == (city["higashi"], demo.HIGASHI_CHANNEL.label)
    assert (u["木村 正"]["channel_id"], u["木村 正"]["association"]) == (city["city"], demo.NISHI)
    assert u["清水 進"]["kind"] == "household" and u["清水 進"]["channel_id"] == city["city"]
    staff = u[demo.STAFF_NAME]
    assert (staff["kind"], staff["channel_id"], staff["label"]) == ("staff", city["city"], "市の担当者")
    page = sim.get("/simulator").text
    assert f"チャネル: {demo.CITY_CHANNEL.label}" in page and f"チャネル: {demo.HIGASHI_CHANNEL.label}" in page
    assert demo.CITY in page


def test_each_pane_posts_on_its_channel_and_is_answered_with_that_channels_token(sim, city):
    fake = sim.fake
    chair, nishi_chair, staff = (demo.demo_user_id(n) for n in ("山田 太郎", "木村 正", demo.STAFF_NAME))
    sim.text(chair, "ヘルプ")
    assert channel_of_last_event(sim) == city["higashi"]
    assert fake.sends("/reply")[-1].channel == f"channel:{city['higashi']}"
    sim.text(nishi_chair, "ヘルプ")
    assert channel_of_last_event(sim) == city["city"]
    assert fake.sends("/reply")[-1].channel == f"channel:{city['city']}"
    assert all_text(sim.bot(nishi_chair))  # the answer reached the 西町 pane
    sim.text(staff, "ヘルプ")
    assert channel_of_last_event(sim) == city["city"]
    assert fake.strict_tokens and {r.channel for r in fake.sends()} <= {f"channel:{city['higashi']}",
                                                                        f"channel:{city['city']}"}


def test_a_person_added_on_the_page_talks_to_the_channel_picked(sim, city):
    created = sim.post("/simulator/api/users", {"name": "新しい 住民", "channel": city["city"]})
    assert created.status_code == 201
    user = created.json()["user"]
    assert user["channel_id"] == city["city"] and channel_of_last_event(sim) == city["city"]  # the follow
    assert sim.post("/simulator/api/users", {"name": "x", "channel": 999}).status_code == 400


def test_the_city_played_side_by_side_a_notice_reaches_both_chairs_and_who_read_it_shows(sim, city):
    """Done when (issue 11): the city staff member's notice reaches 東町's chair on 東町's own channel
    and 西町's on the city channel, each pane shows it, and a [読みました] is counted for its association."""
    from models import CityNotice
    from models.city import notice_figures

    chair, nishi_chair, staff = (demo.demo_user_id(n) for n in ("山田 太郎", "木村 正", demo.STAFF_NAME))
    for who in (chair, nishi_chair):
        sim.new(who)  # what the panes held before
    sim.text(staff, "お知らせ 年末のごみ収集\n年末年始の収集はお休みです。")
    whom = sim.bot(staff)
    sim.tap(staff, whom, "全自治会の会長")
    sim.tap(staff, sim.bot(staff), "送信")
    assert sim.dispatch() >= 2
    cards = {who: sim.bot(who) for who in (chair, nishi_chair)}
    assert all("年末のごみ収集" in all_text(items) for items in cards.values()), cards
    sim.tap(chair, cards[chair], "読みました")
    with sim.k.db.session() as s:
        notice = s.scalar(select(CityNotice).where(CityNotice.title == "年末のごみ収集"))
        read = {f.name: (f.read, f.total) for f in notice_figures(s, notice)}
    assert read == {demo.NAME: (1, 1), demo.NISHI: (0, 1)}
    sends = [r for r in sim.fake.sends() if "/push" in r.path or "/multicast" in r.path]
    assert {r.channel for r in sends} == {f"channel:{city['higashi']}", f"channel:{city['city']}"}

"""A city notice end to end on real channels: typed by a city staff member on the city channel
(/callback, signed with its secret), confirmed, and sent by the outbox: each chair's copy leaves
through the channel that chair's association uses — its own channel's token, or the city's."""
from __future__ import annotations

from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import texts
from models import CityStaff, OutboxMessage, Role

from channels_kit import association, channel, municipality, on, register_tokens
from chat import all_text, button
from conftest import user_id

STAFF = user_id("市役所 佐々木")
MINAMI_CHAIR, NISHI_CHAIR = user_id("南町 会長"), user_id("西町 会長")


def test_a_notice_to_every_chair_leaves_through_each_associations_channel(demo, app, k, fake):
    city = municipality(k.db)
    minami = association(k.db, "minami", "南町自治会", [("南町 会長", Role.chair), ("南町 住民", Role.member)], city)
    nishi = association(k.db, "nishi", "西町自治会", [("西町 会長", Role.chair)], city)
    own = channel(k, "南町", association_id=minami)
    city_channel = channel(k, "みなと市", municipality_id=city)
    with k.db.session() as s:
        s.add(CityStaff(municipality_id=city, channel_id=city_channel["id"], line_user_id=STAFF, name="市役所 佐々木"))
    register_tokens(k, fake)

    line = on(app, fake, city_channel)
    draft = line.text(STAFF, "お知らせ ごみの出し方\n12月から収集日が変わります。")
    preview = line.tap(STAFF, draft, "全自治会の会長")
    line.tap(STAFF, preview, "送信")
    assert all(r.channel == city_channel["name"] for r in fake.sends("/reply"))  # the staff's answers

    with k.db.session() as s:
        rows = {r.association_id: (r.channel_id, r.recipients) for r in s.scalars(select(OutboxMessage))}
    assert rows == {minami: (own["id"], [MINAMI_CHAIR]), nishi: (city_channel["id"], [NISHI_CHAIR])}
    drain(k.db, k.line)
    pushed = {tuple(r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]): r.channel
              for r in fake.sends("/push") + fake.sends("/multicast")}
    assert pushed == {(MINAMI_CHAIR,): own["name"], (NISHI_CHAIR,): city_channel["name"]}
    # the chair reads it on their own channel: the receipt is theirs
    card = next(r.body["messages"] for r in fake.sends("/push") if r.body["to"] == MINAMI_CHAIR)
    thanks = on(app, fake, own).postback(MINAMI_CHAIR, button(card, "読みました")["data"])
    assert thanks and fake.sends("/reply")[-1].channel == own["name"]


def test_on_a_city_channel_of_many_associations_the_staff_member_drafts_and_sends(demo, app, k, fake):
    """The staff member belongs to no association (the channel serves two): the notice flow runs for
    them all the same, to the chairs of both."""
    city = municipality(k.db)
    association(k.db, "kita", "北町自治会", [("北町 会長", Role.chair)], city)
    association(k.db, "nishi", "西町自治会", [("西町 会長", Role.chair)], city)
    city_channel = channel(k, "みなと市", municipality_id=city)
    with k.db.session() as s:
        s.add(CityStaff(municipality_id=city, channel_id=city_channel["id"], line_user_id=STAFF, name="市役所 佐々木"))
    register_tokens(k, fake)

    line = on(app, fake, city_channel)
    draft = line.text(STAFF, "お知らせ ごみの出し方\n12月から収集日が変わります。")
    preview = line.tap(STAFF, draft, "全自治会の会長")
    line.tap(STAFF, preview, "送信")
    with k.db.session() as s:
        rows = [(r.association_id, r.channel_id, r.kind, r.recipients) for r in s.scalars(select(OutboxMessage))]
    # one multicast through the city channel for both chairs (a row of several associations is none's)
    assert rows == [(None, city_channel["id"], "multicast", [user_id("北町 会長"), NISHI_CHAIR])]
    drain(k.db, k.line)
    (sent,) = fake.sends("/multicast")
    assert sent.channel == city_channel["name"] and sorted(sent.body["to"]) == sorted(rows[0][3])



def test_a_city_staff_member_is_told_what_they_can_do_not_asked_to_register(demo, app, k, fake):
    city = municipality(k.db)
    association(k.db, "kita", "北町自治会", [("北町 会長", Role.chair)], city)
    association(k.db, "nishi", "西町自治会", [("西町 会長", Role.chair)], city)
    city_channel = channel(k, "みなと市", municipality_id=city)
    with k.db.session() as s:
        s.add(CityStaff(municipality_id=city, channel_id=city_channel["id"], line_user_id=STAFF, name="市役所 佐々木"))
    register_tokens(k, fake)
    line = on(app, fake, city_channel)
    assert all_text(line.follow(STAFF)) == texts.HELP_CITY_STAFF
    assert all_text(line.text(STAFF, "こんにちは")) == texts.HELP_CITY_STAFF
    with k.db.session() as s:
        assert s.scalar(select(OutboxMessage.id)) is None

"""Registration on a city channel end to end through POST /callback (the city channel's
destination and secret): 地区 → 自治会 → 班 → name, and the approval news reaches the picked
association's officers through the city channel's own token; circulars of the association on its
own channel never reach the newcomer."""
from __future__ import annotations

from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import texts
from models import Household, Member, MemberStatus, Role

from channels_kit import association, channel, municipality, on, register_tokens
from chat import all_text
from conftest import user_id

NEWCOMER = user_id("新しい 住民")


def test_a_newcomer_on_the_city_channel_picks_the_association_and_its_officers_hear_of_it(demo, app, k, fake):
    city = municipality(k.db)
    kita = association(k.db, "kita", "北町自治会", [("北町 会長", Role.chair)], city, district="北地区")
    minami = association(k.db, "minami", "南町自治会", [("南町 会長", Role.chair), ("南町 太郎", None)], city,
                         district="南地区")
    own = association(k.db, "higashi2", "東台自治会", [("東台 会長", Role.chair)], city, district="北地区")
    channel(k, "東台", association_id=own)
    city_channel = channel(k, "みなと市", municipality_id=city)
    register_tokens(k, fake)

    line = on(app, fake, city_channel)
    q = line.tap(NEWCOMER, line.follow(NEWCOMER), texts.AGREE)
    assert texts.ASK_DISTRICT in all_text(q)
    # 北地区 holds one association of the city channel (東台 has its own): chosen at once
    q = line.tap(NEWCOMER, q, "北地区")
    assert texts.ASSOCIATION_CHOSEN.format(association="北町自治会") in all_text(q)
    assert "東台自治会" not in all_text(q)
    q = line.tap(NEWCOMER, q, texts.REPICK_ASSOCIATION)  # not mine: 南町 it is
    q = line.tap(NEWCOMER, q, "南地区")
    assert texts.ASSOCIATION_CHOSEN.format(association="南町自治会") in all_text(q)
    q = line.tap(NEWCOMER, q, "1班")
    done = line.text(NEWCOMER, "南町 太郎")
    assert "登録が完了しました" in all_text(done)
    assert {r.channel for r in fake.sends("/reply")} == {city_channel["name"]}

    with k.db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == NEWCOMER))
        assert (m.association_id, m.status) == (minami, MemberStatus.active)
        assert s.get(Household, m.household_id).name == "南町 太郎"
    drain(k.db, k.line)
    news = fake.sends("/push") + fake.sends("/multicast")
    assert news and {r.channel for r in news} == {city_channel["name"]}
    told = {u for r in news for u in (r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]])}
    assert told == {user_id("南町 会長")}  # 南町's chair; not 北町's, not 東台's
    with k.db.session() as s:
        assert s.scalar(select(Member.id).where(Member.line_user_id == NEWCOMER, Member.association_id == kita)) \
            is None  # the repicked association keeps nothing of the newcomer

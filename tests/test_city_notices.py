"""City notices (市からのお知らせ): a city staff member drafts one in chat, sees the cost per channel
in the preview, sends it to the chairs (through each association's channel) or to every household
of associations on the city channel; chairs tap [読みました] and the city's pages show the read rate
per association and who has not read — names only where the association shares them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Association, CityNotice, Delivery, OutboxMessage, utcnow
from models.quota import store
from models.tenancy import quota_key

from chat import actions, all_text, button
from citystaff_kit import (
    CHAIR_N,
    CHAIR_O,
    CHAIR_S,
    OTHER_STAFF,
    RESIDENT_S,
    STAFF,
    make_city,
    read_button,
    send_notice_to_all_chairs,
    sign_in,
    staff_link,
)


@pytest.fixture
def city(db):
    c = make_city(db)
    with db.session() as s:  # 北町's own channel: LINE's free plan, 100 of 200 used this month
        store(s, 200, 100, utcnow(), c.north_id, quota_key(c.north_channel.id))
    return c


@pytest.fixture
def client(app):
    return app.test_client()


def test_the_preview_states_the_cost_per_channel(chat, city):
    chat.channel = city.city_channel
    out = chat.text(STAFF, "お知らせ ごみの出し方\n12月から変わります。")
    assert "だれに送りますか" in all_text(out)
    preview = chat.tap(STAFF, out, "全自治会の会長")
    text = all_text(preview)
    assert "さくら市からのお知らせ" in text and "ごみの出し方" in text
    assert "・北町自治会の公式アカウント：1通（今月の残り100通）" in text
    assert "・市の公式アカウント：1通" in text
    assert "その自治会の月の通数を使います" in text
    assert "自治会：2件" in text  # not 隣町 of the other municipality


def test_sent_to_the_chairs_through_each_associations_channel(chat, city, db):
    chat.outbox()
    _, nid = send_notice_to_all_chairs(chat, city)
    rows = chat.outbox()
    by_assoc = {r.association_id: r for r in rows}
    assert set(by_assoc) == {city.north_id, city.south_id}
    assert by_assoc[city.north_id].channel_id == city.north_channel.id and by_assoc[city.north_id].recipients == [CHAIR_N]
    assert by_assoc[city.south_id].channel_id == city.city_channel.id and by_assoc[city.south_id].recipients == [CHAIR_S]
    assert all(r.purpose == f"notice:{nid}" for r in rows)
    with db.session() as s:
        receipts = s.scalars(select(Delivery).where(Delivery.notice_id == nid)).all()
        assert {(d.association_id, d.person_key != 0) for d in receipts} == {(city.north_id, True), (city.south_id, True)}
        assert s.get(CityNotice, nid).push_count == 2


def test_residents_only_of_associations_on_the_city_channel(chat, city, db):
    chat.channel = city.city_channel
    chat.outbox()
    out = chat.text(STAFF, "お知らせ 防災訓練\n3月に行います。")
    picker = chat.tap(STAFF, out, "選んだ自治会の全世帯")
    labels = [a.get("label") for a in actions(picker)]
    assert "南町自治会" in labels and "北町自治会" not in labels  # 北町 uses its own channel
    picker = chat.tap(STAFF, picker, "南町自治会")
    assert "選んだ自治会：南町自治会" in all_text(picker)
    preview = chat.tap(STAFF, picker, "決定")
    assert "・市の公式アカウント：2通" in all_text(preview) and "北町" not in all_text(preview)
    chat.tap(STAFF, preview, "送信")
    rows = chat.outbox()
    assert len(rows) == 1 and rows[0].channel_id == city.city_channel.id and rows[0].association_id == city.south_id
    assert sorted(rows[0].recipients) == sorted([CHAIR_S, RESIDENT_S])
    with db.session() as s:
        receipts = s.scalars(select(Delivery).where(Delivery.notice_id.is_not(None))).all()
        assert len(receipts) == 3 and {d.person_key for d in receipts} == {0}  # per household, paper included
        assert sorted(d.via_line for d in receipts) == [False, True, True]


def test_a_chair_reads_and_the_city_sees_it_per_association(chat, city, client, db):
    chat.outbox()
    _, nid = send_notice_to_all_chairs(chat, city)
    data = read_button(chat.outbox())
    chat.channel = city.north_channel
    assert "既読にしました" in all_text(chat.postback(CHAIR_N, data))
    assert "既読にしています" in all_text(chat.postback(CHAIR_N, data))
    sign_in(client, staff_link(chat, city))
    page = client.get(f"/city/notices/{nid}").get_data(as_text=True)
    assert "北町自治会" in page and "100%" in page and "全員が読みました" in page
    assert "会長がまだ読んでいません（1人）" in page and "南町 会長" not in page  # 南町 shares no names
    assert "50%" in client.get("/city/notices").get_data(as_text=True)
    with db.session() as s:
        s.get(Association, city.south_id).shares_with_city = True
    assert "南町 会長" in client.get(f"/city/notices/{nid}").get_data(as_text=True)
    chat.channel = city.city_channel
    chat.postback(CHAIR_S, data)
    page = client.get(f"/city/notices/{nid}").get_data(as_text=True)
    assert "南町 会長" not in page and page.count("全員が読みました") == 2


def test_the_home_page_shows_aggregates_and_no_names(chat, city, client, db):
    send_notice_to_all_chairs(chat, city)
    sign_in(client, staff_link(chat, city))
    with db.session() as s:
        s.get(Association, city.south_id).shares_with_city = True  # even then: the home page has figures only
    html = client.get("/city/").get_data(as_text=True)
    assert "LINE登録 2世帯／3世帯" in html and "北町自治会" in html
    for name in ("北町 会長", "南町 会長", "北町 住民", "南町 住民", "北町 紙"):
        assert name not in html


def test_others_cannot_draft_send_or_read(chat, city, db):
    chat.channel = city.city_channel
    assert "市の担当者だけ" in all_text(chat.text(CHAIR_S, "お知らせ 偽物\n本文"))
    out = chat.text(STAFF, "お知らせ 本物\n本文")
    preview = chat.tap(STAFF, out, "全自治会の会長")
    send = button(preview, "送信")["data"]
    assert "市の担当者だけ" in all_text(chat.postback(CHAIR_S, send))  # a chair with the staff's button
    chat.channel = city.other_channel
    assert "送信済みか" in all_text(chat.postback(OTHER_STAFF, send))  # the other city's staff
    with db.session() as s:
        assert s.scalar(select(CityNotice.state).where(CityNotice.title == "本物")).value == "draft"
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.purpose.like("notice:%"))) is None
    chat.channel = city.city_channel
    chat.postback(STAFF, send)
    data = read_button([r for r in chat.outbox() if r.purpose.startswith("notice:")])
    chat.channel = city.other_channel
    assert "お届け先に含まれていません" in all_text(chat.postback(CHAIR_O, data))


def test_a_staff_member_of_another_city_sees_none_of_our_notices(chat, city, client):
    _, nid = send_notice_to_all_chairs(chat, city)
    sign_in(client, staff_link(chat, city, OTHER_STAFF, city.other_channel))
    assert client.get(f"/city/notices/{nid}").status_code == 404
    assert "ごみの出し方" not in client.get("/city/notices").get_data(as_text=True)


def test_the_notice_page_lists_the_printed_copies_for_each_circular_recipient(chat, city, client, db):
    """The city also sends circular material on paper: the notice's page lists, per association, the
    回覧物受取担当者 and the copies as the registry has them, and the total."""
    from models.registry import Actor, apply_changes

    with db.session() as s:
        apply_changes(s, s.get(Association, city.north_id),
                      {"circular_name": "北町 受取", "circular_address": "北町1-2-3", "circular_copies": 30},
                      Actor("operator", "テスト", "cli"))
        apply_changes(s, s.get(Association, city.south_id), {"circular_copies": 12}, Actor("operator", "テスト", "cli"))
    _, nid = send_notice_to_all_chairs(chat, city)
    sign_in(client, staff_link(chat, city))
    page = client.get(f"/city/notices/{nid}").get_data(as_text=True)
    assert "北町 受取" in page and "北町1-2-3" in page and ">30<" in page
    assert "（台帳に未登録）" in page  # 南町 has copies but no recipient on record
    assert "合計 42部" in page


def test_a_long_title_or_body_is_asked_again_at_its_step_never_cut(chat, city, db, monkeypatch):
    """Issue 10, "nothing cut silently", for the city's notices too: the one-shot form and the
    step both say the limit and ask again; nothing is stored cut."""
    from handlers.city import notices
    from handlers.messages import texts
    chat.channel = city.city_channel
    title = "市からのお知らせ" * 8  # 64 characters
    reply = all_text(chat.text(STAFF, f"お知らせ {title}\n12月から変わります。"))
    assert texts.TITLE_TOO_LONG in reply and "64文字" in reply
    with db.session() as s:
        n = s.scalar(select(CityNotice))
        assert (n.title, n.body) == ("", "12月から変わります。")  # the body kept, the title not cut
    chat.text(STAFF, "ごみの出し方")
    with db.session() as s:
        assert s.scalar(select(CityNotice.title)) == "ごみの出し方"
    chat.text(STAFF, "取消")

    monkeypatch.setattr(notices, "MAX_BODY", 100)
    chat.text(STAFF, "お知らせ")
    chat.text(STAFF, "防災訓練")
    reply = all_text(chat.text(STAFF, "あ" * 101))
    assert texts.BODY_TOO_LONG.format(max=100) in reply and "101文字" in reply
    with db.session() as s:
        assert s.scalar(select(CityNotice.body).order_by(CityNotice.id.desc()).limit(1)) == ""

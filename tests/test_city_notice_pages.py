"""A notice's attachments and whole text: [全文を見る] gives the chair their own page (/city/n/<token>),
which shows the attachment and counts as read; a chair who is also city staff gets both links."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import CityNotice, CityStaff, Delivery

from chat import actions, all_text, button
from citystaff_kit import CHAIR_N, CHAIR_S, STAFF, link_of, make_city


@pytest.fixture
def city(db):
    return make_city(db)


def test_a_notice_with_a_photo_has_a_page_for_each_chair(chat, city, app, db):
    client = app.test_client()
    chat.channel = city.city_channel
    chat.outbox()
    chat.text(STAFF, "お知らせ")
    chat.text(STAFF, "防災マップ")
    chat.text(STAFF, "新しい地図です。")
    out = chat.image(STAFF, b"\x89PNG map", "image/png")
    assert "添付しました" in all_text(out)
    whom = chat.tap(STAFF, out, "次へ")
    preview = chat.tap(STAFF, whom, "全自治会の会長")
    assert "添付 1件" in all_text(preview)
    chat.tap(STAFF, preview, "送信")
    rows = [r for r in chat.outbox() if CHAIR_N in r.recipients]
    full = button(rows[0].messages, "全文を見る")["data"]
    chat.channel = city.north_channel
    out = chat.postback(CHAIR_N, full)
    assert "新しい地図です。" in all_text(out)
    page = [a["uri"] for a in actions(out) if a.get("type") == "uri"][0]
    path = page.removeprefix("https://kairan.example.jp")
    assert path.startswith("/city/n/")
    html = client.get(path).get_data(as_text=True)
    assert "防災マップ" in html and "さくら市からのお知らせ" in html
    with db.session() as s:
        n = s.scalar(select(CityNotice).where(CityNotice.title == "防災マップ"))
        att = n.attachments[0].id
        d = s.scalar(select(Delivery).where(Delivery.notice_id == n.id, Delivery.page_token == path.rsplit("/", 1)[1]))
        assert d.read_at is not None
    img = client.get(f"{path}/a/{att}")
    assert img.status_code == 200 and img.data == b"\x89PNG map"
    assert client.get("/city/n/not-a-real-token-0000").status_code == 404


def test_a_chair_who_is_also_city_staff_gets_both_links(chat, city, db):
    with db.session() as s:  # 南町's chair (on the city channel) is also on the city's staff
        s.add(CityStaff(municipality_id=city.municipality_id, channel_id=city.city_channel.id, line_user_id=CHAIR_S))
    chat.channel = city.city_channel
    out = chat.text(CHAIR_S, "管理画面")
    assert link_of(out[:1]) and link_of(out[1:], "/admin/login/")

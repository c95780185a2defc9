"""City staff sign in to /city with the one-time link 「管理画面」 gives them in chat: once, for 10
minutes, never as an association's officer; the session dies with ログアウト; a member of an
association cannot open /city; staff of another municipality see nothing of ours."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from models import CityStaff, Member, utcnow

from citystaff_kit import CHAIR_N, CHAIR_S, OTHER_STAFF, STAFF, csrf_of, link_of, make_city, sign_in, staff_link


@pytest.fixture
def city(db):
    return make_city(db)


@pytest.fixture
def client(app):
    return app.test_client()


def test_the_link_signs_a_staff_member_in_once(client, chat, city):
    path = staff_link(chat, city)
    resp = sign_in(client, path)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/city/")
    home = client.get("/city/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "北町自治会" in html and "南町自治会" in html and "さくら市" in html
    assert home.headers["Cache-Control"] == "no-store"
    # the same link again: used up (a new browser, and this one)
    again = app_client(client)
    assert again.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": "x"}).status_code in (400, 410)


def app_client(client):
    return client.application.test_client()


def test_an_expired_link_does_not_sign_in(client, chat, city):
    path = staff_link(chat, city)
    with time_machine.travel(utcnow() + dt.timedelta(minutes=11)):
        page = client.get(path)
        assert page.status_code == 410
        assert "有効期限" in page.get_data(as_text=True)
        assert client.get("/city/").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, chat, city):
    path = staff_link(chat, city)
    client.get(path)
    resp = client.post(path)
    assert resp.status_code == 400
    assert client.get("/city/").status_code == 403
    assert sign_in(client, path).status_code == 303  # the link was not used up by the refused POST


def test_logout_ends_the_session(client, chat, city, db):
    sign_in(client, staff_link(chat, city))
    page = client.get("/city/").get_data(as_text=True)
    assert client.post("/city/logout", data={"csrf_token": csrf_of(page)}).status_code == 200
    assert client.get("/city/").status_code == 403
    with db.session() as s:
        assert s.get(CityStaff, city.staff_id).session_epoch == 1


def test_a_revoked_staff_member_loses_the_pages_at_once(client, chat, city, db):
    sign_in(client, staff_link(chat, city))
    with db.session() as s:
        s.get(CityStaff, city.staff_id).active = False
    resp = client.get("/city/")
    assert resp.status_code == 403 and "北町" not in resp.get_data(as_text=True)


def test_a_chair_gets_no_city_link_and_cannot_open_the_city_pages(client, chat, city, db):
    chat.channel = city.north_channel
    out = chat.text(CHAIR_N, "管理画面")
    link = link_of(out, "/admin/login/")  # the association's own pages, as before
    assert client.get("/city/").status_code == 403
    page = client.get(link)
    assert client.post(link, data={"csrf_token": "-"}).status_code == 303 or page.status_code == 200
    assert client.get("/city/").status_code == 403  # an officer's session is no staff session
    assert client.get(link.replace("/admin/", "/city/")).status_code == 400  # an officer's link is no staff link


def test_a_staff_link_does_not_sign_in_as_an_officer(client, chat, city):
    path = staff_link(chat, city)
    admin_path = path.replace("/city/", "/admin/")
    assert client.get(admin_path).status_code in (400, 403)
    assert client.post(admin_path).status_code == 410
    assert sign_in(client, path).status_code == 303  # still good for /city


def test_staff_of_another_municipality_see_nothing_of_ours(client, chat, city):
    sign_in(client, staff_link(chat, city, OTHER_STAFF, city.other_channel))
    html = client.get("/city/").get_data(as_text=True)
    assert "隣町自治会" in html and "北町" not in html and "南町" not in html and "さくら市" not in html


def test_a_resident_typing_the_word_on_the_city_channel_gets_no_city_link(chat, city, db):
    chat.channel = city.city_channel
    out = chat.text(CHAIR_S, "管理画面")  # 南町's chair: their association's officer link
    assert link_of(out, "/admin/login/")
    with db.session() as s:
        assert s.scalar(select(Member.role).where(Member.line_user_id == CHAIR_S)).value == "chair"

"""Officers' web pages (/admin): one-time link sign-in, per-request role checks, read rates."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Circular, Delivery, LoginToken, Member, Role, utcnow

from admin_kit import BASE, CHAIR, login_link, logout, path, send_circular, set_role, sign_in, token_count  # noqa: F401
from chat import actions

LEADER = demo_user_id("田中 実")  # 班長 of 2班
SATO = demo_user_id("佐藤 花子")  # ordinary member, 1班
ITO = demo_user_id("伊藤 美咲")  # member, 2班


@pytest.fixture
def client(app):
    return app.test_client()


# --- sign-in ---------------------------------------------------------------------------------


def test_get_shows_confirm_button_and_does_not_use_the_link(client, line, demo):
    url = path(login_link(line, CHAIR))
    for _ in range(2):  # LINE's preview fetch, then the officer: both see the button
        resp = client.get(url)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert "ログインする" in html
        assert re.search(r'<form method="post" action="/admin/login/[^"]+">', html)
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in resp.headers
    with demo.session() as s:
        assert s.scalars(select(LoginToken.used_at)).all() == [None]
    assert client.get("/admin/").status_code == 403  # a GET alone does not sign in


def test_post_signs_in_with_safe_cookie_and_shows_circulars(client, line, demo, fake):
    send_circular(line)
    line.postback(SATO, "a=read&c=1")
    resp = sign_in(client, line)
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie  # base_url is https
    assert "Expires=" in cookie  # a permanent session, expiring
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    left = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.timezone.utc) - utcnow()
    assert dt.timedelta(hours=7, minutes=59) < left <= dt.timedelta(hours=8, seconds=5)

    resp = client.get("/admin/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "清掃のお知らせ" in html
    assert "既読 1/12世帯" in html  # 佐藤 read
    assert "1班 1/4" in html and "2班 0/4" in html and "3班 0/4" in html
    assert "山田 太郎 さん（会長）" in html
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_link_works_once(client, line, demo):
    url = path(login_link(line, CHAIR))
    assert client.post(url).status_code == 303
    assert logout(client).status_code == 200
    assert client.get("/admin/").status_code == 403
    resp = client.post(url)
    assert resp.status_code == 410
    assert "新しいリンクを受け取ってください" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 403
    assert client.get(url).status_code == 410  # and the page says so before any click


def test_expired_link_fails(client, line, demo):
    url = path(login_link(line, CHAIR))
    with time_machine.travel(utcnow() + dt.timedelta(minutes=11)):
        resp = client.get(url)
        assert resp.status_code == 410
        assert "ログインする" not in resp.get_data(as_text=True)
        assert client.post(url).status_code == 410
        assert client.get("/admin/").status_code == 403
    with demo.session() as s:
        assert s.scalars(select(LoginToken.used_at)).all() == [None]


def test_link_still_works_within_ten_minutes(client, line, demo):
    url = path(login_link(line, CHAIR))
    with time_machine.travel(utcnow() + dt.timedelta(minutes=9)):
        assert client.post(url).status_code == 303
        assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("token", ["forged", "eyJqIjoieCJ9.aaaa.bbbb"])
def test_forged_token_fails(client, line, demo, token):
    resp = client.get(f"/admin/login/{token}")
    assert resp.status_code == 400
    assert "このリンクは使えません。LINEで「管理画面」と送って" in resp.get_data(as_text=True)
    assert client.post(f"/admin/login/{token}").status_code == 400
    assert client.get("/admin/").status_code == 403


def test_token_signed_with_another_key_fails(client, line, demo, k):
    from bot.web import signin

    url = path(login_link(line, CHAIR))
    token = url.rsplit("/", 1)[1]
    jti = signin.peek(k.settings, token)
    other = signin._serializer(k.settings.with_(secret_key="someone-else")).dumps({"j": jti})
    assert client.get(f"/admin/login/{other}").status_code == 400
    assert client.post(f"/admin/login/{other}").status_code == 400
    assert client.post(url).status_code == 303  # the genuine link was not used up


def test_cross_site_post_is_refused(client, line, demo):
    url = path(login_link(line, CHAIR))
    resp = client.post(url, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    resp = client.post(url, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403
    resp = client.post(url, headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 303


def test_not_signed_in_is_told_to_ask_in_line(client, demo):
    for url in ("/admin/", "/admin/circulars/1"):
        resp = client.get(url)
        assert resp.status_code == 403
        assert "LINEで「管理画面」と送って" in resp.get_data(as_text=True)


def test_logout(client, line, demo):
    sign_in(client, line)
    assert client.get("/admin/").status_code == 200
    assert "ログアウト" in client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/logout").status_code == 400  # without the CSRF token: still signed in
    assert client.get("/admin/").status_code == 200
    resp = logout(client)
    assert resp.status_code == 200
    assert "ログアウトしました" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 403


def test_session_ends_after_eight_hours(client, line, demo):
    sign_in(client, line)
    with time_machine.travel(utcnow() + dt.timedelta(hours=7, minutes=50)):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(utcnow() + dt.timedelta(hours=8, minutes=1)):
        resp = client.get("/admin/")
        assert resp.status_code == 403
        assert "8時間" in resp.get_data(as_text=True)


def test_demoted_officer_loses_access_on_next_request(client, line, demo):
    sign_in(client, line)
    assert client.get("/admin/").status_code == 200
    set_role(demo, CHAIR, Role.member)
    resp = client.get("/admin/")
    assert resp.status_code == 403
    assert "LINEで「管理画面」と送って" in resp.get_data(as_text=True)
    assert "清掃" not in resp.get_data(as_text=True)
    set_role(demo, CHAIR, Role.chair)
    assert client.get("/admin/").status_code == 403  # the session was cleared: sign in again


def test_withdrawn_officer_loses_access(client, line, demo):
    from models import MemberStatus

    sign_in(client, line)
    with demo.session() as s:
        s.scalar(select(Member).where(Member.line_user_id == CHAIR)).status = MemberStatus.withdrawn
    assert client.get("/admin/").status_code == 403


def test_link_of_demoted_officer_is_refused(client, line, demo):
    url = path(login_link(line, CHAIR))
    set_role(demo, CHAIR, Role.member)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert client.get("/admin/").status_code == 403


def test_resident_gets_officers_only_and_no_token(line, demo, fake):
    out = line.text(SATO, "管理画面")
    assert [m.get("text") for m in out] == [texts.OFFICERS_ONLY]
    assert not [a for a in actions(out) if a.get("type") == "uri"]
    assert token_count(demo) == 0


# --- pages -----------------------------------------------------------------------------------


def test_circular_detail_lists_unread_households(client, line, demo, fake):
    cid = send_circular(line)
    line.postback(SATO, f"a=read&c={cid}")
    sign_in(client, line)
    html = client.get("/admin/").get_data(as_text=True)
    assert f'href="/admin/circulars/{cid}"' in html
    resp = client.get(f"/admin/circulars/{cid}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "清掃のお知らせ" in html and "11月30日に公園の清掃をします。" in html
    assert "既読 1/12世帯（8%）" in html
    unread = re.findall(r"<tr><td>(.+?) 様</td>", html)
    assert "佐藤 花子" not in unread and "山田 太郎" in unread
    assert len(unread) == 11
    # needs-support households first
    assert set(unread[:3]) == {"高橋 和子", "中村 幸子", "山本 節子"}
    row = re.search(r"<tr><td>高橋 和子 様</td>.*?</tr>", html, re.S).group(0)
    assert "要支援" in row and "紙" in row  # no LINE: delivered on paper
    row = re.search(r"<tr><td>渡辺 健 様</td>.*?</tr>", html, re.S).group(0)
    assert "紙" in row  # on LINE per roster, but nobody registered
    row = re.search(r"<tr><td>伊藤 美咲 様</td>.*?</tr>", html, re.S).group(0)
    assert "紙" not in row and "要支援" not in row


def test_block_leader_sees_only_own_block(client, line, demo, fake):
    cid = send_circular(line)
    line.postback(ITO, f"a=read&c={cid}")
    sign_in(client, line, LEADER)
    html = client.get("/admin/").get_data(as_text=True)
    assert "田中 実 さん（班長・2班）" in html
    assert "既読 1/4世帯" in html  # 2班 only: 田中 has not read, 伊藤 has
    assert "1班" not in html and "3班" not in html
    html = client.get(f"/admin/circulars/{cid}").get_data(as_text=True)
    unread = re.findall(r"<tr><td>(.+?) 様</td>", html)
    assert set(unread) == {"田中 実", "渡辺 健", "中村 幸子"}
    assert unread[0] == "中村 幸子"  # needs support first
    for other in ("山田 太郎", "佐藤 花子", "高橋 和子", "小林 修", "山本 節子", "1班", "3班"):
        assert other not in html


def test_block_leader_does_not_see_circulars_of_other_blocks(client, line, demo, fake, k):
    from models.circulars import Target, audience, mark_sent

    with demo.session() as s:
        chair = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        block1 = chair.household.block_id
        c = Circular(association_id=chair.association_id, title="1班だけのお知らせ", body="1班の方へ",
                     target=Target.blocks, target_block_ids=[block1], author_id=chair.id)
        s.add(c)
        s.flush()
        mark_sent(s, c, audience(s, c))
        cid = c.id
    sign_in(client, line, LEADER)
    assert "1班だけのお知らせ" not in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/circulars/{cid}").status_code == 404
    logout(client)
    sign_in(client, line, CHAIR)
    assert "1班だけのお知らせ" in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/circulars/{cid}").status_code == 200


def test_circular_of_another_association_is_404(client, line, demo, fake):
    from models import Association
    from models.circulars import CircularState

    with demo.session() as s:
        other = Association(slug="nishi", name="西町自治会")
        s.add(other)
        s.flush()
        c = Circular(association_id=other.id, title="西町の回覧", body="x", state=CircularState.sent,
                     sent_at=utcnow())
        s.add(c)
        s.flush()
        cid = c.id
    sign_in(client, line)
    assert client.get(f"/admin/circulars/{cid}").status_code == 404
    assert client.get("/admin/circulars/99999").status_code == 404
    assert "西町の回覧" not in client.get("/admin/").get_data(as_text=True)


def test_draft_is_not_shown(client, line, demo, fake):
    with demo.session() as s:
        chair = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        c = Circular(association_id=chair.association_id, title="下書きのお知らせ", body="本文", author_id=chair.id)
        s.add(c)
        s.flush()
        cid = c.id
    sign_in(client, line)
    assert "下書きのお知らせ" not in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/circulars/{cid}").status_code == 404


def test_empty_list(client, line, demo):
    sign_in(client, line)
    html = client.get("/admin/").get_data(as_text=True)
    assert "まだ送信した回覧はありません" in html


def test_sent_date_is_in_japan_time(client, line, demo, fake):
    # 2026-11-30 16:00 UTC is 12月1日 in Japan
    with time_machine.travel(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.timezone.utc), tick=False):
        send_circular(line)
    sign_in(client, line)
    assert "2026年12月1日 送信" in client.get("/admin/").get_data(as_text=True)
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 12


def test_browser_form_post_with_null_origin_signs_in(app, demo, line):
    """What Chromium sends for the confirm form under Referrer-Policy: no-referrer."""
    from bot.dev.demo import demo_user_id
    from handlers.messages import texts

    from chat import button

    link = button(line.text(demo_user_id("山田 太郎"), "管理画面"), texts.ADMIN_OPEN)["uri"]
    path = link.replace("https://kairan.example.jp", "")
    client = app.test_client()
    resp = client.post(path, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code in (302, 303)
    forged = app.test_client().post(path, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403

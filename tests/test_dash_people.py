"""承認待ち (/admin/approvals): the pending registrations with the closest roster households;
approve (to a household or a new one) or reject with the same core as the chat buttons — after a
decision on the web the chat buttons answer 「すでに処理されています」; a block leader sees and
decides only their own 班; a POST without or with a wrong CSRF token changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from handlers.messages import texts
from models import AuditLog, Household, MemberStatus

from admin_kit import csrf_token, post_form, sign_in
from chat import all_text
from people_kit import BOSAI, CHAIR, LEADER2, SATO, apply, member, queued_texts
from registry_kit import clock  # noqa: F401 - a fixture


@pytest.fixture
def client(app):
    return app.test_client()


def card(html: str, mid: int) -> str:
    found = re.search(rf'id="applicant-{mid}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def household_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Household.id).where(Household.name == name))


def households(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Household))


def test_the_page_shows_the_typed_name_the_block_and_the_closest_households_first(client, line, demo, db, fake, k,
                                                                                   clock):
    uid, _ = apply(line, db, fake, k, name="伊藤 健太")  # 2班 has 伊藤 美咲: the same family name
    sign_in(client, line, CHAIR)
    html = client.get("/admin/approvals").get_data(as_text=True)
    one = card(html, member(db, uid).id)
    assert "伊藤 健太" in one and "2班" in one
    close = one.split(texts.APPROVALS_OTHERS)[0]
    assert "伊藤 美咲様の世帯" in close and texts.APPROVALS_SAME_FAMILY in close
    assert "田中 実様の世帯" in one.split(texts.APPROVALS_OTHERS)[1]  # the rest of 2班, after
    assert "山田 太郎様の世帯" not in one  # 1班's: not offered


def test_approve_on_the_web_then_the_chat_button_answers_already_handled(client, line, demo, db, fake, k, clock):
    uid, chat_card = apply(line, db, fake, k)
    sign_in(client, line, CHAIR)
    mid = member(db, uid).id
    resp = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/approve",
                     {"household": household_id(db, "伊藤 美咲")})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.APPROVALS_APPROVED.format(name="青木 次郎", household="伊藤 美咲") in page
    assert f'id="applicant-{mid}"' not in page
    m = member(db, uid)
    assert m.status == MemberStatus.active and m.household.name == "伊藤 美咲"
    assert queued_texts(db, uid) == [texts.APPROVED_NOTICE]  # told through the outbox
    with db.session() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "member.approve"))
        assert row.target == f"member:{mid}" and row.actor_id is not None
    # the 2班 leader's buttons in chat, through the webhook: already decided, nothing changes
    before = households(db)
    reply = line.tap(LEADER2, chat_card, texts.APPROVE)
    assert texts.ALREADY_HANDLED in all_text(reply)
    reply = line.tap(LEADER2, chat_card, texts.REJECT)
    assert texts.ALREADY_HANDLED in all_text(reply)
    assert member(db, uid).status == MemberStatus.active and households(db) == before
    # the web's form a second time (another officer's open page): already decided
    again = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/approve", {"household": "new"})
    assert again.status_code == 409 and texts.ALREADY_HANDLED in again.get_data(as_text=True)
    assert households(db) == before


def test_approve_as_a_new_household(client, line, demo, db, fake, k, clock):
    uid, _ = apply(line, db, fake, k)
    before = households(db)
    sign_in(client, line, LEADER2)
    mid = member(db, uid).id
    resp = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/approve", {"household": "new"})
    assert resp.status_code == 303
    m = member(db, uid)
    assert m.status == MemberStatus.active and m.household.name == "青木 次郎" and households(db) == before + 1


def test_reject_on_the_web_keeps_nothing_and_tells_the_applicant(client, line, demo, db, fake, k, clock):
    uid, chat_card = apply(line, db, fake, k)
    sign_in(client, line, CHAIR)
    mid = member(db, uid).id
    sure = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/reject")  # asked once more first
    assert sure.status_code == 200
    assert texts.APPROVALS_REJECT_SURE.format(name="青木 次郎", block="2班") in sure.get_data(as_text=True)
    assert member(db, uid).status == MemberStatus.pending and queued_texts(db, uid) == []
    resp = client.post(f"/admin/approvals/{mid}/reject",
                       data={"confirm": "1", "csrf_token": csrf_token(sure.get_data(as_text=True))})
    assert resp.status_code == 303
    assert texts.APPROVALS_REJECTED in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert member(db, uid) is None
    assert queued_texts(db, uid) == [texts.REJECTED_NOTICE]
    with db.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "member.reject")).target == f"member:{mid}"
    assert texts.ALREADY_HANDLED in all_text(line.tap(CHAIR, chat_card, texts.APPROVE))


def test_a_household_of_another_block_is_refused(client, line, demo, db, fake, k, clock):
    uid, _ = apply(line, db, fake, k)  # 2班
    sign_in(client, line, CHAIR)
    mid = member(db, uid).id
    resp = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/approve",
                     {"household": household_id(db, "山田 太郎")})  # 1班
    assert resp.status_code == 400 and member(db, uid).status == MemberStatus.pending
    for bad in ("", "abc", "99999999"):
        resp = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/approve", {"household": bad})
        assert resp.status_code == 400
    assert member(db, uid).status == MemberStatus.pending and queued_texts(db, uid) == []


def test_a_block_leader_sees_and_decides_only_their_own_block(client, line, demo, db, fake, k, clock):
    uid2, _ = apply(line, db, fake, k, name="青木 次郎", block="2班")
    uid3, _ = apply(line, db, fake, k, name="青木 三郎", block="3班")
    sign_in(client, line, LEADER2)
    html = client.get("/admin/approvals").get_data(as_text=True)
    assert "青木 次郎" in html and "青木 三郎" not in html
    other = member(db, uid3).id
    for action in ("approve", "reject"):
        resp = post_form(client, "/admin/approvals", f"/admin/approvals/{other}/{action}",
                         {"household": "new", "confirm": "1"})
        assert resp.status_code == 404
    assert member(db, uid3).status == MemberStatus.pending and queued_texts(db, uid3) == []
    client2 = client.application.test_client()
    sign_in(client2, line, CHAIR)  # the board sees both
    html = client2.get("/admin/approvals").get_data(as_text=True)
    assert "青木 次郎" in html and "青木 三郎" in html


def test_the_disaster_officer_sees_the_page_too(client, line, demo, db, fake, k, clock):
    apply(line, db, fake, k)
    sign_in(client, line, BOSAI)
    assert "青木 次郎" in client.get("/admin/approvals").get_data(as_text=True)


def test_a_resident_cannot_sign_in(client, line, demo, db):
    out = line.text(SATO, "管理画面")
    assert "/admin/login/" not in str(out)
    assert client.get("/admin/approvals").status_code == 403


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(client, line, demo, db, fake, k, clock, token):
    uid, _ = apply(line, db, fake, k)
    sign_in(client, line, CHAIR)
    csrf_token(client.get("/admin/approvals").get_data(as_text=True))  # the page has one
    mid = member(db, uid).id
    for action in ("approve", "reject"):
        data = {"household": "new", "confirm": "1"} | ({"csrf_token": token} if token else {})
        assert client.post(f"/admin/approvals/{mid}/{action}", data=data).status_code == 400
    assert member(db, uid).status == MemberStatus.pending and queued_texts(db, uid) == []

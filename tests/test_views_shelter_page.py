"""避難所・連絡先 on the dashboard (/admin/shelter): the board writes the text the chat's 避難所・連絡先
view shows; a block leader reads it only; the form carries the CSRF token; nothing is written
by a refused or forged POST."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from handlers.views.disaster import MAX_SHELTER
from models import Association, AuditLog

from admin_kit import csrf_token, post_form, sign_in
from chat import all_text
from views_kit import BOSAI, CHAIR, LEADER, SATO, clock, view  # noqa: F401 - clock is a fixture

TEXT = "避難所：東町小学校 体育館\n連絡先：会長 山田 090-0000-0000"


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


@pytest.fixture
def client(app):
    return app.test_client()


def shelter_info(db):
    with db.session() as s:
        return s.scalar(select(Association.shelter_info))


@pytest.mark.parametrize("who", [CHAIR, BOSAI])
def test_the_board_saves_the_text_and_the_chat_shows_it(client, line, demo, db, who):
    sign_in(client, line, who)
    page = client.get("/admin/shelter").get_data(as_text=True)
    assert 'action="/admin/shelter"' in page and texts.VIEW_SHELTER_EMPTY in page  # the preview: the default
    assert 'href="/admin/shelter"' in page  # in the navigation bar
    resp = post_form(client, "/admin/shelter", "/admin/shelter", {"text": TEXT.replace("\n", "\r\n") + "\n"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/shelter?saved=1")
    assert shelter_info(db) == TEXT
    shown = client.get("/admin/shelter?saved=1").get_data(as_text=True)
    assert texts.SHELTER_SAVED in shown and "東町小学校 体育館" in shown
    assert all_text(view(line, SATO, "shelter")) == texts.VIEW_SHELTER_TITLE + "\n" + TEXT
    with db.session() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "association.shelter"))
    # emptied: the chat says the polite default again
    assert post_form(client, "/admin/shelter", "/admin/shelter", {"text": "  "}).status_code == 303
    assert shelter_info(db) is None
    assert all_text(view(line, SATO, "shelter")).endswith(texts.VIEW_SHELTER_EMPTY)


def test_a_block_leader_reads_but_may_not_write(client, line, demo, db):
    with db.session() as s:
        s.scalar(select(Association)).shelter_info = TEXT
    sign_in(client, line, LEADER)
    page = client.get("/admin/shelter")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'action="/admin/shelter"' not in html and texts.SHELTER_BOARD_ONLY in html
    assert "東町小学校 体育館" in html
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    resp = client.post("/admin/shelter", data={"text": "書きかえ", "csrf_token": token})
    assert resp.status_code == 403 and texts.SHELTER_BOARD_ONLY in resp.get_data(as_text=True)
    assert shelter_info(db) == TEXT


def test_without_the_csrf_token_nothing_is_written(client, line, demo, db):
    sign_in(client, line, CHAIR)
    assert client.post("/admin/shelter", data={"text": "書きかえ"}).status_code == 400
    assert client.post("/admin/shelter", data={"text": "書きかえ", "csrf_token": "forged"}).status_code == 400
    assert shelter_info(db) is None


def test_too_long_is_refused_and_kept_in_the_form(client, line, demo, db):
    sign_in(client, line, CHAIR)
    resp = post_form(client, "/admin/shelter", "/admin/shelter", {"text": "あ" * (MAX_SHELTER + 1)})
    assert resp.status_code == 400 and texts.SHELTER_TOO_LONG.format(n=MAX_SHELTER) in resp.get_data(as_text=True)
    assert shelter_info(db) is None


def test_not_signed_in_nothing_is_shown_or_written(client, demo, db):
    assert client.get("/admin/shelter").status_code == 403
    assert client.post("/admin/shelter", data={"text": "書きかえ"}).status_code in (400, 403)
    assert shelter_info(db) is None

"""Issue 10, nothing three taps deep: a circular's first photo is the hero of the card residents get
(served by kairan over https at /i/<the photo's own secret>), the other attachments are counted on
the card and shown on the household's page; the officers' circular page lists every attachment."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import cards, texts
from models import Attachment

from admin_kit import sign_in
from chat import all_text, button
from served import HANAKO as SATO
from views_kit import carousel, view
from served import CHAIR

PHOTO = b"\x89PNG\r\n\x1a\n" + b"clean-up-map" * 20
BASE = "https://kairan.example.jp"


def draft(line, title: str, body: str = "年末年始の収集日が変わります。") -> list[dict]:
    line.text(CHAIR, "回覧")
    line.text(CHAIR, title)
    return line.text(CHAIR, body)


def send(line, db, k, fake) -> list[dict]:
    preview = line.tap(CHAIR, line.text(CHAIR, texts.NEXT), texts.TARGET_ALL)
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    return fake.sends("/multicast")[-1].body["messages"]


def hero_of(messages: list[dict]) -> dict | None:
    return messages[0]["contents"].get("hero")


def test_the_first_photo_is_the_cards_hero_and_the_rest_on_the_page(line, demo, db, fake, k):
    draft(line, "ごみ収集日の変更")
    line.file(CHAIR, "収集カレンダー.pdf", b"%PDF-1.4 calendar", "application/pdf")  # not a photo: not the hero
    line.image(CHAIR, PHOTO, "image/png")
    line.image(CHAIR, b"\xff\xd8\xff second photo", "image/jpeg")
    flex = send(line, db, k, fake)
    hero = hero_of(flex)
    assert hero and hero["type"] == "image" and hero["size"] == "full"
    assert re.fullmatch(rf"{BASE}/i/[A-Za-z0-9_-]{{22}}", hero["url"]), hero
    assert hero["action"]["uri"] == hero["url"]  # a tap shows it large
    with db.session() as s:
        first = s.scalars(select(Attachment).where(Attachment.kind == "image").order_by(Attachment.id)).first()
        assert hero["url"].endswith("/i/" + first.image_token)
    # LINE fetches it without any cookie or household token
    resp = line.client.get(hero["url"].removeprefix(BASE))
    assert resp.status_code == 200 and resp.get_data() == PHOTO and resp.mimetype == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    # the other two are counted and one tap away, on the household's page with all three
    words = all_text(flex)
    assert texts.HERO_OTHERS.format(total=3, n=2) in words
    reply = line.tap(SATO, flex, texts.FULL_TEXT)
    page = line.client.get(button(reply, texts.OPEN_PAGE)["uri"].removeprefix(BASE)).get_data(as_text=True)
    assert len(re.findall(r'/c/[^"]+/a/\d+', page)) == 3
    # the officers' page of the circular lists the attachments by name
    sign_in(line.client, line, CHAIR)
    with db.session() as s:
        circular_id = s.scalar(select(Attachment.circular_id))
    html = line.client.get(f"/admin/circulars/{circular_id}").get_data(as_text=True)
    assert "収集カレンダー.pdf" in html and texts.PHOTO_NAME.format(n=2) in html and texts.PHOTO_NAME.format(n=3) in html


def test_one_photo_and_a_short_text_need_no_second_tap(line, demo, db, fake, k):
    draft(line, "公園の花壇", "花壇ができました。")
    line.image(CHAIR, PHOTO, "image/png")
    flex = send(line, db, k, fake)
    assert hero_of(flex)
    footer = [b["action"]["label"] for b in flex[0]["contents"]["footer"]["contents"]]
    assert footer == [texts.READ]  # nothing more to open: no [全文を見る]
    assert "添付" not in all_text(flex)


def test_no_photo_no_hero_and_a_pdf_is_counted(line, demo, db, fake, k):
    draft(line, "総会の資料")
    line.file(CHAIR, "議案書.pdf", b"%PDF-1.4 agenda", "application/pdf")
    flex = send(line, db, k, fake)
    assert hero_of(flex) is None
    assert texts.ATTACHMENT_COUNT.format(n=1) in all_text(flex) and texts.FULL_TEXT in all_text(flex)


def test_the_image_address_opens_only_a_photo_by_its_token(line, demo, db, fake, k):
    draft(line, "総会の資料")
    line.file(CHAIR, "議案書.pdf", b"%PDF-1.4 agenda", "application/pdf")
    send(line, db, k, fake)
    with db.session() as s:
        pdf = s.scalar(select(Attachment))
        assert pdf.image_token  # every attachment has one, but only a photo is served by it
        token = pdf.image_token
    assert line.client.get(f"/i/{token}").status_code == 404
    assert line.client.get("/i/" + "A" * 22).status_code == 404
    assert line.client.get("/i/%00").status_code == 404


def test_the_hero_is_https_only():
    assert cards.hero_url("http://127.0.0.1:8000", "abc") is None  # LINE shows no http image (the simulator)
    assert cards.hero_url("https://kairan.example.jp/", "abc") == "https://kairan.example.jp/i/abc"
    assert cards.hero_url("https://kairan.example.jp", None) is None


def test_the_circular_board_shows_the_photo_too(line, demo, db, fake, k):
    draft(line, "公園の花壇", "花壇ができました。")
    line.image(CHAIR, PHOTO, "image/png")
    flex = send(line, db, k, fake)
    newest = carousel(view(line, SATO, "circulars"))[0]  # 回覧板, the pull view
    assert newest["hero"]["url"] == hero_of(flex)["url"]

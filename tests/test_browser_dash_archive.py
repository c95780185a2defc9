"""The circular archive on a phone (390 × 844, headless Chromium): search the archive, open a
circular, correct it (the form, the page stating the cost, [送る]); the notice reaches a resident."""
from __future__ import annotations

import pytest

from handlers.messages import texts

from browser import PHONE, exact, scroll_width, sign_in_by_link
from chat import texts_of
from served import CHAIR, HANAKO

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made


def send_circular(sim, title: str, body: str) -> None:
    sim.new(CHAIR)
    sim.send(CHAIR, "text", text=f"回覧 {title}\n{body}")
    sim.tap(CHAIR, sim.new(CHAIR), texts.SEND)
    assert "送信しました" in texts_of(sim.new(CHAIR))


def test_search_open_and_correct_a_circular_on_a_phone(phone, sim):
    send_circular(sim, "秋祭りのご案内", "神社で秋祭りをします。")
    send_circular(sim, "清掃のお知らせ", "朝9時から公園の清掃をします。")
    sim.dispatch()
    sim.new(HANAKO)  # what she got so far
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    exact(page, "nav.nav a", texts.NAV_ARCHIVE).click()
    page.wait_for_url(lambda url: url.endswith("/admin/archive"))
    assert page.locator(".card.circular h2").count() == 2
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_label(texts.ARCHIVE_SEARCH).fill("公園")
    page.get_by_role("button", name=texts.ARCHIVE_SEARCH_GO).click()
    page.wait_for_url(lambda url: "q=" in url)
    found = page.locator(".card.circular h2")
    assert found.all_text_contents() == ["清掃のお知らせ"]
    found.first.locator("a").click()
    page.wait_for_url(lambda url: "/admin/circulars/" in url)
    assert "朝9時から公園の清掃をします。" in page.locator(".body.full").text_content()
    assert scroll_width(page) <= PHONE["width"]
    exact(page, "a.bigbutton", "訂正する").click()
    page.wait_for_url(lambda url: url.endswith("/correct"))
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_label(texts.FIX_BODY_LABEL).fill("朝10時から公園の清掃をします。")
    page.get_by_label(texts.FIX_NOTE_LABEL).fill("開始は10時です。")
    page.get_by_role("button", name="次へ（通数を確かめる）").click()
    cost = page.locator(".card.cost").text_content()
    assert "【訂正】のお知らせを送ります" in cost and "LINEで" in cost
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_role("button", name=texts.FIX_SEND).click()
    page.wait_for_url(lambda url: "saved=1" in url)
    assert page.locator(".saved").text_content().strip() == texts.FIX_SAVED.format(action="訂正")
    assert "朝10時から公園の清掃をします。" in page.locator(".body.full").text_content()
    assert "朝9時から" in page.locator(".body.original").text_content()  # the original, in the history
    assert sim.dispatch() >= 1
    assert "【訂正】回覧「清掃のお知らせ」\n開始は10時です。" in texts_of(sim.new(HANAKO))
    assert phone.errors() == []

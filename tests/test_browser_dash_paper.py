"""Real-browser checks of 印刷 (headless Chromium at a phone's 390 × 844): an officer signs in, opens
the printing menu of a 班, a circular's printable list, and a join sheet, and prints the join sheet
to a PDF with the browser itself."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from handlers.messages import texts

from browser import exact, sign_in
from served import CHAIR

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made


def phone(chrome):
    chrome.page.set_viewport_size({"width": 390, "height": 844})
    return chrome.page


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_print_a_join_sheet_and_open_a_circulars_printable_list(chrome, sim):
    sim.send(CHAIR, "text", text="回覧 清掃のお知らせ\n次の日曜日に公園の清掃をします。")
    sim.tap(CHAIR, sim.new(CHAIR), data_prefix="a=circ_send")
    sign_in(chrome, sim, CHAIR)
    page = phone(chrome)
    page.goto(sim.url + "/admin/")
    exact(page, "nav.nav a", texts.NAV_PRINTS).click()
    expect(page.locator("h1")).to_have_text(texts.PRINTS_TITLE)
    exact(page, "a.button", "1班").click()
    expect(page.locator("#block")).to_have_text(texts.PRINTS_BLOCK.format(block="1班"))
    no_sideways_scroll(page)

    # the circular as paper households get it: 高橋 和子 (no LINE) with a box to tick
    page.locator("#circulars").get_by_role("link", name=texts.PRINTS_PRINT).first.click()
    expect(page.locator("#sheet h1")).to_have_text("清掃のお知らせ")
    expect(page.locator("#households")).to_contain_text("高橋 和子 様")
    assert page.locator("#households .box").count() == 1
    no_sideways_scroll(page)
    page.emulate_media(media="print")  # printed: no navigation, no back link
    assert not page.locator("nav.nav").is_visible() and not page.locator(".noprint").first.is_visible()
    assert page.locator("#sheet").is_visible()
    page.emulate_media(media="screen")

    # what was ticked on paper, entered in two taps
    page.locator("p.noprint a.button").click()
    page.wait_for_url(lambda url: "/record" in url)  # the record page, loaded, before it is measured
    no_sideways_scroll(page)
    page.get_by_label(texts.PRINT_COL_READ).check()
    page.get_by_role("button", name=texts.RECORD_SAVE).click()
    expect(page.locator(".saved")).to_have_text(texts.RECORD_SAVED.format(n=1))

    # the join sheets of 1班, then printed by the browser
    exact(page, "nav.nav a", texts.NAV_PRINTS).click()
    exact(page, "a.button", "1班").click()
    page.get_by_role("link", name=texts.PRINTS_JOIN_LINK.format(block="1班")).click()
    expect(page.locator("section.join")).to_have_count(4)
    expect(page.locator("section.join").first).to_contain_text(texts.JOIN_CODE)
    no_sideways_scroll(page)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 4  # one A4 sheet per household
    assert chrome.errors() == [] and chrome.failed_requests() == []

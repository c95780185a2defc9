"""The dashboard on a phone (390 × 844, headless Chromium): an officer signs in by the link from
chat, the home page shows first what waits, every page fits the screen, and the audit log comes
down as a CSV file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from handlers.messages import texts

from browser import PHONE, exact, scroll_width, sign_in_by_link
from served import CHAIR

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made
# The README's pictures are refreshed only on request (KAIRAN_SCREENSHOTS=1): a test run leaves the tree clean.
DOCS = Path(__file__).resolve().parent.parent / "docs"


def screenshot(page, name: str, tmp_path: Path) -> None:
    shot = DOCS / name if os.environ.get("KAIRAN_SCREENSHOTS") == "1" else tmp_path / name
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


def test_sign_in_by_link_and_the_home_page_fits_a_phone(phone, sim, tmp_path):
    sim.send(CHAIR, "text", text="回覧 公園清掃のお知らせ\n今度の日曜の朝、公園の清掃をします。")
    sim.tap(CHAIR, sim.new(CHAIR), texts.SEND)
    sim.dispatch()
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    assert page.locator("#waiting h1").text_content() == texts.HOME_WAITING
    # the demo has households with nobody on LINE and no paper: the officer is told, with the way there
    waiting = page.locator("#waiting li").all_text_contents()
    assert any("要確認世帯" in w for w in waiting), waiting
    assert "公園清掃のお知らせ" in page.locator("#circulars").text_content()
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 18
    screenshot(page, "dashboard-home.png", tmp_path)
    for url in ("/admin/", "/admin/archive", "/admin/events", "/admin/audit"):
        page.goto(sim.url + url)
        assert scroll_width(page) <= PHONE["width"], url  # no sideways scrolling
        assert page.locator("nav.nav a").count() >= 4, url
    assert phone.errors() == []


def test_the_audit_log_filters_and_downloads(phone, sim):
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    exact(page, "nav.nav a", texts.NAV_AUDIT).click()
    page.wait_for_url(lambda url: url.endswith("/admin/audit"))
    cards = page.locator("#audit tbody tr")
    assert cards.count() >= 1
    assert texts.AUDIT_ACTIONS["admin.link"] in cards.first.text_content()  # the sign-in just now
    page.select_option("#action", "admin.link")
    page.get_by_role("button", name=texts.AUDIT_FILTER_GO).click()
    page.wait_for_url(lambda url: "action=admin.link" in url)
    with page.expect_download() as info:
        page.get_by_role("link", name=texts.AUDIT_CSV).click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and texts.AUDIT_ACTIONS["admin.link"] in data.decode("utf-8-sig")
    assert phone.errors() == []

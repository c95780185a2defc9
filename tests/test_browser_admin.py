"""Real-browser checks of the officers' pages (headless Chromium, see tests/test_browser.py):
in disaster mode one click from /admin reaches the live safety page, and that page refreshes
itself by conditional GET (304 while nothing changed) and shows a new answer without reloading."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from bot.web import safety_page
from handlers.messages import texts

from browser import BOSAI, exact, sign_in
from chat import texts_of
from served import HANAKO

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made


def start_disaster(sim) -> None:
    sim.send(BOSAI, "text", text="災害モード")
    sim.tap(BOSAI, sim.new(BOSAI), "地震")
    sim.send(BOSAI, "text", text="震度5強の揺れがありました")
    sim.tap(BOSAI, sim.new(BOSAI), texts.DISASTER_START)
    assert "災害モード（地震）を開始しました" in texts_of(sim.new(BOSAI))
    sim.dispatch()


def at_live_page(url: str) -> bool:
    return urlsplit(url).path == "/admin/safety/"


def test_one_click_from_admin_home_to_the_live_safety_page(chrome, sim):
    start_disaster(sim)
    sign_in(chrome, sim, BOSAI)
    page = chrome.page
    page.goto(sim.url + "/admin/")
    assert page.evaluate("document.querySelector('main').firstElementChild.nextElementSibling.nextElementSibling.id") \
        == "disaster", "the disaster box comes right after the bar and the menu"
    exact(page, "a.bigbutton", texts.ADMIN_DISASTER_OPEN).click()
    page.wait_for_url(at_live_page)  # and its load
    assert page.locator("h1").text_content() == "安否状況：地震"
    # and from any page through the menu bar
    page.goto(sim.url + "/admin/events")
    exact(page, "nav.nav a", texts.NAV_SAFETY).click()
    page.wait_for_url(at_live_page)
    assert chrome.errors() == []


def test_live_page_refreshes_by_conditional_get_without_reloading(chrome, sim, monkeypatch):
    monkeypatch.setattr(safety_page, "REFRESH_SECONDS", 1)
    start_disaster(sim)
    sign_in(chrome, sim, BOSAI)
    page = chrome.page
    sent = []  # the page's requests to its own URL, and the status each got (None: no answer yet)
    status = {}
    page.on("request", lambda r: r.url.startswith(sim.url + "/admin/safety/") and sent.append(r))
    page.on("response", lambda r: status.__setitem__(r.request, r.status))
    page.goto(sim.url + "/admin/safety/")
    page.evaluate("window.__same_page = true")
    markers = page.locator("#map path.leaflet-interactive")
    assert markers.count() == 0

    def refreshes():
        return [(r.headers.get("if-none-match"), status.get(r)) for r in sent]

    def refreshed(response) -> bool:
        return at_live_page(response.url) and bool(response.request.headers.get("if-none-match"))

    for _ in range(2):  # two refreshes
        with page.expect_response(refreshed):
            pass
    conditional = [status for etag, status in refreshes() if etag]
    assert conditional and set(conditional) <= {304, None}, refreshes()  # nothing changed: 304, nothing drawn

    check = [i for i in sim.bot(HANAKO) if "安否確認" in i["message"].get("altText", "")]
    sim.send(HANAKO, "location", latitude=35.6812, longitude=139.7671, title="東町会館", address="東町会館")
    sim.tap(HANAKO, check, "無事")
    page.wait_for_function("() => [...document.querySelectorAll('#live-table tbody tr')].some(tr => "
                           "tr.innerText.includes('佐藤 花子様') && tr.cells[0].innerText.trim() === '無事')",
                           timeout=10_000)  # the new answer in the table
    expect(markers, "her marker on the map").to_have_count(1)
    assert page.evaluate("window.__same_page === true"), "the page was reloaded instead of updated in place"
    assert 200 in [status for etag, status in refreshes() if etag]
    assert "無事 1" in page.locator(".counts").inner_text()
    assert chrome.errors() == []

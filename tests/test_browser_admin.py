"""Real-browser checks of the officers' pages (headless Chromium, see tests/test_browser.py):
in disaster mode one click from /admin reaches the live safety page, and that page refreshes
itself by conditional GET (304 while nothing changed) and shows a new answer without reloading."""
from __future__ import annotations

from bot import safety_page, texts
from test_browser import BOSAI, chrome, sign_in  # noqa: F401  (chrome: the browser fixture)
from served import HANAKO, find_action, tap, texts_of


def start_disaster(sim) -> None:
    sim.send(BOSAI, "text", text="災害モード")
    tap(sim, BOSAI, find_action(sim.new(BOSAI), "地震"))
    sim.send(BOSAI, "text", text="震度5強の揺れがありました")
    tap(sim, BOSAI, find_action(sim.new(BOSAI), texts.DISASTER_START))
    assert "災害モード（地震）を開始しました" in texts_of(sim.new(BOSAI))
    sim.dispatch()


def test_one_click_from_admin_home_to_the_live_safety_page(chrome, sim):
    start_disaster(sim)
    sign_in(chrome, sim, BOSAI)
    chrome.goto(sim.url + "/admin/")
    assert chrome.js("document.querySelector('main').firstElementChild.nextElementSibling.nextElementSibling.id") \
        == "disaster", "the disaster box comes right after the bar and the menu"
    chrome.click("a.bigbutton", texts.ADMIN_DISASTER_OPEN)
    chrome.wait_for("location.pathname === '/admin/safety/' && document.readyState === 'complete'", "the live page")
    assert chrome.js("document.querySelector('h1').textContent") == "安否状況：地震"
    # and from any page through the menu bar
    chrome.goto(sim.url + "/admin/events")
    chrome.click("nav.nav a", texts.NAV_SAFETY)
    chrome.wait_for("location.pathname === '/admin/safety/' && document.readyState === 'complete'", "the live page")
    assert chrome.errors(origin=sim.url) == []


def test_live_page_refreshes_by_conditional_get_without_reloading(chrome, sim, monkeypatch):
    monkeypatch.setattr(safety_page, "REFRESH_SECONDS", 1)
    start_disaster(sim)
    sign_in(chrome, sim, BOSAI)
    chrome.goto(sim.url + "/admin/safety/")
    chrome.js("window.__same_page = true")
    assert chrome.js("document.querySelectorAll('#map path.leaflet-interactive').length") == 0

    def refreshes():
        sent = {e["params"]["requestId"]: e["params"]["request"] for e in chrome.events
                if e["method"] == "Network.requestWillBeSent"
                and e["params"]["request"]["url"].startswith(sim.url + "/admin/safety/")}
        got = {e["params"]["requestId"]: e["params"]["response"]["status"] for e in chrome.events
               if e["method"] == "Network.responseReceived"}
        return [(r["headers"].get("If-None-Match"), got.get(rid)) for rid, r in sent.items()]

    chrome.wait_for("new Promise(r => setTimeout(() => r(true), 2500))", "two refreshes")
    conditional = [status for etag, status in refreshes() if etag]
    assert conditional and set(conditional) <= {304, None}, refreshes()  # nothing changed: 304, nothing drawn

    check = [i for i in sim.bot(HANAKO) if "安否確認" in i["message"].get("altText", "")]
    sim.send(HANAKO, "location", latitude=35.6812, longitude=139.7671, title="東町会館", address="東町会館")
    tap(sim, HANAKO, find_action(check, "無事"))
    chrome.wait_for("[...document.querySelectorAll('#live-table tbody tr')].some(tr => "
                    "tr.innerText.includes('佐藤 花子様') && tr.cells[0].innerText.trim() === '無事')",
                    "the new answer in the table", timeout=10)
    chrome.wait_for("document.querySelectorAll('#map path.leaflet-interactive').length === 1", "her marker on the map")
    assert chrome.js("window.__same_page === true"), "the page was reloaded instead of updated in place"
    assert 200 in [status for etag, status in refreshes() if etag]
    assert "無事 1" in chrome.js("document.querySelector('.counts').innerText")
    assert chrome.errors(origin=sim.url) == []

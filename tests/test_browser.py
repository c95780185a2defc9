"""Real-browser tests: headless Chromium, driven by Playwright, against the served app.

Each test plays a person: a disaster officer watching the live safety map, a new resident
registering in the LINE simulator, the chair reading an event's results chart. The app is the
simulator-mode server of tests/served.py (`sim`); the browser is `chrome` of tests/browser.py,
which keeps the rules: only 127.0.0.1 is contacted (map tiles come from the internet: they are
blocked, they fail, and the page must still list everything); skipped when Chromium is not
installed (/usr/bin/chromium, or `chromium` on PATH) — except under CI (CI=true, or
KAIRAN_REQUIRE_BROWSER=1), where a missing browser fails the tests.

Chromium keeps the machine's real clock while the app may run at a travelled one (KAIRAN_TEST_CLOCK,
or a test's own time_machine.travel): a test never travels behind the real clock here, or the
browser would drop the app's cookies as expired (see `browser_clock`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from playwright.sync_api import expect

from bot.dev.demo import HOUSEHOLDS, demo_user_id
from handlers.messages import texts
from models import Member, MemberStatus
from models.events import STATUSES

from browser import BOSAI, admin_link, exact, sign_in
from chat import texts_of
from conftest import ahead
from served import CHAIR, HANAKO

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made
# The README's picture is refreshed only on request (KAIRAN_SCREENSHOTS=1): a test run leaves the tree clean.
DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "safety.png"


# --- 1. the live safety page -----------------------------------------------------------------
def test_live_safety_page_in_a_browser(chrome, sim, tmp_path):
    nakamura = demo_user_id("中村 幸子")
    sim.send(BOSAI, "text", text="災害モード")
    sim.tap(BOSAI, sim.new(BOSAI), "地震")
    sim.send(BOSAI, "text", text="震度5強の揺れがありました")
    sim.tap(BOSAI, sim.new(BOSAI), "開始する")
    assert "災害モード（地震）を開始しました" in texts_of(sim.new(BOSAI))
    sim.dispatch()
    for who, status, (lat, lng, place) in ((HANAKO, "無事", (35.6812, 139.7671, "東町会館")),
                                           (nakamura, "救助が必要", (35.6830, 139.7702, "東町公園（避難場所）"))):
        check = [i for i in sim.bot(who) if "安否確認" in i["message"].get("altText", "")]
        assert check, f"no 安否確認 for {who}"
        sim.send(who, "location", latitude=lat, longitude=lng, title=place, address=place)
        sim.tap(who, check, status)
        assert f"「{status}」で記録しました" in texts_of(sim.new(who))

    sign_in(chrome, sim, BOSAI)
    page = chrome.page
    page.goto(sim.url + "/admin/safety/")

    assert page.locator("h1").text_content() == "安否状況：地震"
    assert page.evaluate("typeof L") == "object", "Leaflet did not load"
    markers = page.locator("#map path.leaflet-interactive")
    expect(markers, "two circle markers on the map").to_have_count(2)
    fills = markers.evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    assert sorted(fills) == ["#00a050", "#d50000"]  # 無事 green, 救助が必要 red

    rows = page.locator("table tbody tr").evaluate_all("""trs => trs.map(tr => ({
        cls: tr.className, cells: [...tr.cells].map(td => td.innerText.trim())}))""")
    households = [r["cells"][2].split("様")[0] + "様" for r in rows]
    assert len(rows) == 12 and sorted(households) == sorted(f"{h[1]}様" for h in HOUSEHOLDS)
    first = rows[0]
    assert first["cls"] == "rescue" and first["cells"][0] == "救助が必要" and first["cells"][2].startswith("中村 幸子様")
    assert first["cells"][1] == "2班" and "35.68300, 139.77020" in first["cells"][6]
    assert rows[1]["cells"][0] == "無事" and rows[1]["cells"][2] == "佐藤 花子様"
    assert page.locator("#map").bounding_box()["height"] >= 400  # the map has room

    assert chrome.errors() == []
    assert all(not u.startswith(sim.url) for u in chrome.failed_requests()), chrome.failed_requests()
    shot = DOCS_SCREENSHOT if os.environ.get("KAIRAN_SCREENSHOTS") == "1" else tmp_path / "safety.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


# --- 2. the simulator page -------------------------------------------------------------------
def test_register_in_the_simulator_page(chrome, sim):
    created = sim.post("/simulator/api/users", {"name": "渡辺 健"})
    assert created.status_code == 201, created.text
    me = created.json()["user"]["id"]
    sim.events.append(created.json()["follow"]["event"])  # validated against LINE's spec at teardown
    pane = f'section.pane[data-user-id="{me}"]'

    page = chrome.page
    page.goto(f"{sim.url}/simulator?open={me}")
    pane = page.locator(pane)
    chat = pane.locator(".chat").first
    exact(pane, ".chat .fx-bubble button.fx-btn", texts.AGREE).click()
    exact(pane, ".quick button.chip", "2班").click()
    expect(chat, "the question of the name").to_contain_text("お名前", use_inner_text=True)
    pane.locator("textarea").click()
    page.keyboard.insert_text("渡辺 健")  # as an IME commits text
    pane.locator("button.send").click()
    expect(chat, "「登録が完了しました」 in the pane").to_contain_text("登録が完了しました", use_inner_text=True)
    assert pane.locator("textarea").first.input_value() == ""
    mine = [t.strip() for t in pane.locator(".row.me").all_inner_texts()]
    assert mine == [texts.AGREE, "2班", "渡辺 健"]  # what she tapped and typed, as her own bubbles

    with sim.k.db.session() as s:
        m = s.query(Member).filter_by(line_user_id=me).one()
        assert m.status == MemberStatus.active
        assert (m.household.name, m.household.block.name) == ("渡辺 健", "2班")
    assert chrome.errors() == []


# --- 3. the event results page ---------------------------------------------------------------
def test_event_results_chart_in_a_browser(chrome, sim):
    # 22 Nov at 10:00, before 「締切 12/1」 and 「日時 12/5」; always ahead of the real date, as Chromium keeps
    # the real clock (the served app, in this process, shares the travelled one)
    with time_machine.travel(ahead(11, 22, 10), tick=False):
        sim.send(CHAIR, "text", text="出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n対象 全体\n回答 世帯\n人数 あり")
        sim.tap(CHAIR, sim.new(CHAIR), data_prefix="a=ev_send")
        sim.dispatch()
        card = [i for i in sim.bot(HANAKO) if i["message"].get("altText") == "【出欠】秋の清掃活動"]
        assert card, "the event did not reach 佐藤 花子"
        sim.tap(HANAKO, card, "参加")
        sim.new(HANAKO)

        sign_in(chrome, sim, CHAIR)
        page = chrome.page
        page.goto(sim.url + "/admin/events")
        exact(page, "a[href^='/admin/events/']", "秋の清掃活動").click()
        page.wait_for_url(lambda url: re.fullmatch(r"/admin/events/\d+", urlsplit(url).path))  # and its load

        assert page.locator("h1").text_content() == "秋の清掃活動"
        bars = page.locator("svg.chart rect").evaluate_all("""rs => rs.map(r => ({
            answer: r.dataset.answer, title: r.querySelector('title').textContent,
            width: r.getBoundingClientRect().width, count: r.nextElementSibling.textContent,
            label: r.previousElementSibling.textContent}))""")
        assert [b["answer"] for b in bars] == list(STATUSES), bars  # one bar per answer category
        assert [b["label"] for b in bars] == [texts.STATUS_LABELS[s] for s in STATUSES]
        yes = bars[0]
        assert (yes["label"], yes["count"], yes["title"]) == ("参加", "1", "参加 1")
        assert yes["width"] > 0
        assert all(b["count"] == "0" and b["width"] == 0 for b in bars[1:3]), bars  # 不参加, 未定: nobody
        assert chrome.errors() == []


# --- 4. signing in by pressing the button ----------------------------------------------------
# A real browser posts the form with 'Origin: null' (the pages send Referrer-Policy: no-referrer)
# and Sec-Fetch-Site: same-origin; a test client setting headers by hand never showed that.
def test_officer_signs_in_and_out_by_pressing_the_buttons(chrome, sim):
    page = chrome.page
    page.goto(admin_link(sim, CHAIR))  # the link from LINE, opened in the browser
    assert page.locator("h1").text_content() == "管理画面にログインします"
    exact(page, "form button", "ログインする").click()  # a real form POST, with the browser's own headers
    expect(page.locator("h1"), "the page after ログインする").not_to_have_text("管理画面にログインします")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/admin/", page.locator("body").inner_text()
    assert "山田 太郎 さん" in page.locator(".bar .who").inner_text()
    exact(page, ".bar form button", "ログアウト").click()
    expect(page.locator("body"), "「ログアウトしました」").to_contain_text("ログアウトしました", use_inner_text=True)
    page.wait_for_load_state()
    assert chrome.errors() == []

"""Real-browser tests: headless Chromium, driven over the DevTools protocol, against the served app.

Each test plays a person: a disaster officer watching the live safety map, a new resident
registering in the LINE simulator, the chair reading an event's results chart. The app is the
simulator-mode server of tests/served.py (`sim`); only 127.0.0.1 is contacted. Map tiles
come from the internet, which this machine cannot reach: they fail, and the page must still list
everything.

Skipped when Chromium is not installed (/usr/bin/chromium, or `chromium` on PATH) — except under
CI (CI=true, or KAIRAN_REQUIRE_BROWSER=1), where a missing browser fails the tests.

Chromium keeps the machine's real clock while the app may run at a travelled one (KAIRAN_TEST_CLOCK,
or a test's own time_machine.travel): a test never travels behind the real clock here, or the
browser would drop the app's cookies as expired (see `browser_clock`).
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import time_machine

from bot import texts
from bot.demo import HOUSEHOLDS, demo_user_id
from conftest import ahead, real_now
from models import Member, MemberStatus
from models.events import STATUSES
from served import HANAKO, Sim, find_action, tap, texts_of

aiohttp = pytest.importorskip("aiohttp")  # installed with line-bot-sdk; speaks websockets

WAIT = 10.0  # seconds: the bound of every wait below
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]
# The README's picture is refreshed only on request (KAIRAN_SCREENSHOTS=1): a test run leaves the tree clean.
DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "safety.png"
BOSAI = demo_user_id("小林 修")  # 防災担当
CHAIR = demo_user_id("山田 太郎")


def find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


class Chromium:
    """Headless Chromium with one tab, over the DevTools protocol.

    `send(method, **params)` talks to the tab and returns the result; everything else the browser
    reports (console, exceptions, network) is collected in `events`. The websocket lives on an
    asyncio loop in a background thread, so events are collected while the test does other things.
    """

    def __init__(self, exe: str, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self.log_path = profile.parent / "chromium.log"
        with self.log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                         stdout=log, stderr=subprocess.STDOUT)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.events: list[dict] = []
        self.pending: dict[int, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.http = self.ws = self.session = None
        try:
            port, path = self._devtools_address(profile / "DevToolsActivePort")
            self._run(self._connect(f"ws://127.0.0.1:{port}{path}"))
            target = self.send_browser("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.send_browser("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride", width=1100, height=900, deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    # -- plumbing --------------------------------------------------------------------------
    def _devtools_address(self, port_file: Path) -> tuple[str, str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            lines = port_file.read_text().split() if port_file.exists() else []
            if len(lines) == 2:
                return lines[0], lines[1]
            time.sleep(0.05)
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise AssertionError(f"Chromium did not open its DevTools port within {WAIT}s "
                             f"(exit code {self.proc.poll()}); its log ends:\n{log}")

    def _run(self, coro, timeout: float = WAIT):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self, url: str) -> None:
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(url, max_msg_size=0)
        self.loop.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            fut = self.pending.pop(data.get("id"), None)
            if fut is not None:
                fut.set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def _call(self, method: str, params: dict, session: str | None) -> dict:
        mid = next(self.ids)
        self.pending[mid] = fut = self.loop.create_future()
        msg = {"id": mid, "method": method, "params": params, **({"sessionId": session} if session else {})}
        await self.ws.send_str(json.dumps(msg))
        return await fut

    def _result(self, method: str, params: dict, session: str | None) -> dict:
        try:
            reply = self._run(self._call(method, params, session))
        except TimeoutError:
            raise AssertionError(f"Chromium did not answer {method} within {WAIT}s") from None
        assert "error" not in reply, f"{method} failed: {reply['error']}"
        return reply.get("result", {})

    def send_browser(self, method: str, **params) -> dict:
        return self._result(method, params, None)

    def send(self, method: str, **params) -> dict:
        """A command to the tab."""
        return self._result(method, params, self.session)

    def close(self) -> None:
        try:
            if self.ws is not None and not self.ws.closed:
                try:
                    self._run(self._call("Browser.close", {}, None), timeout=3)
                except Exception:
                    pass
                self._run(self.ws.close(), timeout=3)
            if self.http is not None:
                self._run(self.http.close(), timeout=3)
        except Exception:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            if not self.thread.is_alive():
                self.loop.close()

    # -- what a test does ------------------------------------------------------------------
    def js(self, expression: str):
        """Evaluate in the page (promises awaited) and return the value."""
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise AssertionError(f"{expression!r} threw: {d.get('exception', {}).get('description') or d['text']}")
        return r["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = WAIT):
        """Poll `expression` until it is truthy; fail saying what was awaited."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = value = self.js(expression)
            except AssertionError as e:  # e.g. the page was being replaced by a navigation: try again
                value, last = None, str(e)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout:.0f}s for {what}; last value {last!r}; "
                             f"page {self.js('location.href')!r}; browser errors {self.errors()}")

    def goto(self, url: str) -> None:
        nav = self.send("Page.navigate", url=url)
        assert not nav.get("errorText"), f"could not open {url}: {nav['errorText']}"
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'",
                      f"{url} to load")

    def click(self, selector: str, text: str | None = None) -> None:
        """Click like a person: scroll the element into view, check it is the thing under the
        pointer at its centre (not hidden or covered), then press and release the mouse there."""
        find = (f"[...document.querySelectorAll({json.dumps(selector)})]"
                f".filter(e => {json.dumps(text)} === null || e.textContent.trim() === {json.dumps(text)}).pop()")
        what = f"{selector}" + (f" 「{text}」" if text else "")
        self.wait_for(f"!!({find})", what)
        x, y = self.wait_for(f"""(() => {{
            const e = {find};
            e.scrollIntoView({{block: "center", inline: "center"}});
            const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            return r.width > 0 && r.height > 0 && hit && (hit === e || e.contains(hit)) ? [x, y] : null;
        }})()""", f"{what} to be visible and clickable")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Type into the focused element (as an IME commits text)."""
        self.send("Input.insertText", text=text)

    def set_cookies(self, url: str, cookies) -> None:
        for c in cookies:
            ok = self.send("Network.setCookie", name=c.name, value=c.value, url=url, path=c.path or "/",
                           httpOnly=True, sameSite="Lax")
            assert ok.get("success", True), f"the browser refused cookie {c.name}"

    def errors(self, origin: str | None = None) -> list[str]:
        """Script errors and console errors. Failed loads from other hosts (the map tiles, which
        cannot be reached from here) are expected and left out; a failed load from `origin` is not."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text", ""))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                entry = p["entry"]
                url = entry.get("url", "")
                if entry.get("source") == "network" and origin and not url.startswith(origin):
                    continue
                out.append(f"{entry['text']} ({entry.get('url', '')})")
        return out

    def failed_requests(self) -> list[str]:
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"]
                for e in self.events if e["method"] == "Network.requestWillBeSent"}
        return [urls.get(e["params"]["requestId"], "?") for e in self.events if e["method"] == "Network.loadingFailed"]

    def screenshot(self, path: Path) -> None:
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("KAIRAN_REQUIRE_BROWSER") == "1"


@pytest.fixture(autouse=True)
def browser_clock():
    """When the run's clock is behind the real one (KAIRAN_TEST_CLOCK in the past), move it to the
    real time for this test: Chromium cannot travel, and would see the app's cookies as expired."""
    if dt.datetime.now(dt.timezone.utc) < real_now() - dt.timedelta(minutes=1):
        with time_machine.travel(real_now(), tick=True) as t:
            yield t
    else:
        yield None


@pytest.fixture
def chrome(tmp_path):
    exe = find_chromium()
    if exe is None:
        missing = "Chromium not found (/usr/bin/chromium or `chromium` on PATH)"
        if browser_required():
            pytest.fail(f"{missing}: under CI (CI=true or KAIRAN_REQUIRE_BROWSER=1) the real-browser tests must run. "
                        "Install it: sudo apt-get install chromium")
        pytest.skip(f"{missing}: real-browser tests skipped. To run them: sudo apt-get install chromium")
    browser = Chromium(exe, tmp_path / "chromium-profile")
    yield browser
    browser.close()


def admin_link(sim: Sim, who: str) -> str:
    """The one-time sign-in link the bot sends an officer who writes 「管理画面」."""
    sim.new(who)
    sim.send(who, "text", text="管理画面")
    return find_action(sim.new(who), texts.ADMIN_OPEN)["uri"]


def sign_in(chrome: Chromium, sim: Sim, who: str) -> None:
    """Sign the officer in over HTTP (POST of the link, with our Origin); hand the browser the cookie."""
    signed_in = requests.Session()
    assert signed_in.post(admin_link(sim, who), headers={"Origin": sim.url}, timeout=30).status_code == 200
    chrome.set_cookies(sim.url, signed_in.cookies)


# --- 1. the live safety page -----------------------------------------------------------------
def test_live_safety_page_in_a_browser(chrome, sim, tmp_path):
    nakamura = demo_user_id("中村 幸子")
    sim.send(BOSAI, "text", text="災害モード")
    tap(sim, BOSAI, find_action(sim.new(BOSAI), "地震"))
    sim.send(BOSAI, "text", text="震度5強の揺れがありました")
    tap(sim, BOSAI, find_action(sim.new(BOSAI), "開始する"))
    assert "災害モード（地震）を開始しました" in texts_of(sim.new(BOSAI))
    sim.dispatch()
    for who, status, (lat, lng, place) in ((HANAKO, "無事", (35.6812, 139.7671, "東町会館")),
                                           (nakamura, "救助が必要", (35.6830, 139.7702, "東町公園（避難場所）"))):
        check = [i for i in sim.bot(who) if "安否確認" in i["message"].get("altText", "")]
        assert check, f"no 安否確認 for {who}"
        sim.send(who, "location", latitude=lat, longitude=lng, title=place, address=place)
        tap(sim, who, find_action(check, status))
        assert f"「{status}」で記録しました" in texts_of(sim.new(who))

    sign_in(chrome, sim, BOSAI)
    chrome.goto(sim.url + "/admin/safety/")

    assert chrome.js("document.querySelector('h1').textContent") == "安否状況：地震"
    assert chrome.js('typeof L') == "object", "Leaflet did not load"
    chrome.wait_for("document.querySelectorAll('#map path.leaflet-interactive').length === 2",
                    "two circle markers on the map")
    fills = chrome.js("[...document.querySelectorAll('#map path.leaflet-interactive')].map(p => p.getAttribute('fill'))")
    assert sorted(fills) == ["#00a050", "#d50000"]  # 無事 green, 救助が必要 red

    rows = chrome.js("""[...document.querySelectorAll('table tbody tr')].map(tr => ({
        cls: tr.className, cells: [...tr.cells].map(td => td.innerText.trim())}))""")
    households = [r["cells"][2].split("様")[0] + "様" for r in rows]
    assert len(rows) == 12 and sorted(households) == sorted(f"{h[1]}様" for h in HOUSEHOLDS)
    first = rows[0]
    assert first["cls"] == "rescue" and first["cells"][0] == "救助が必要" and first["cells"][2].startswith("中村 幸子様")
    assert first["cells"][1] == "2班" and "35.68300, 139.77020" in first["cells"][6]
    assert rows[1]["cells"][0] == "無事" and rows[1]["cells"][2] == "佐藤 花子様"
    assert chrome.js("document.querySelector('#map').getBoundingClientRect().height") >= 400  # the map has room

    assert chrome.errors(origin=sim.url) == []
    assert all(not u.startswith(sim.url) for u in chrome.failed_requests()), chrome.failed_requests()
    shot = DOCS_SCREENSHOT if os.environ.get("KAIRAN_SCREENSHOTS") == "1" else tmp_path / "safety.png"
    chrome.screenshot(shot)
    assert shot.stat().st_size > 10_000


# --- 2. the simulator page -------------------------------------------------------------------
def test_register_in_the_simulator_page(chrome, sim):
    created = sim.post("/simulator/api/users", {"name": "渡辺 健"})
    assert created.status_code == 201, created.text
    me = created.json()["user"]["id"]
    sim.events.append(created.json()["follow"]["event"])  # validated against LINE's spec at teardown
    pane = f'section.pane[data-user-id="{me}"]'

    chrome.goto(f"{sim.url}/simulator?open={me}")
    chrome.click(f"{pane} .chat .fx-bubble button.fx-btn", texts.AGREE)
    chrome.click(f"{pane} .quick button.chip", "2班")
    chrome.wait_for(f"document.querySelector('{pane} .chat').innerText.includes('お名前')", "the question of the name")
    chrome.click(f"{pane} textarea")
    chrome.type("渡辺 健")
    chrome.click(f"{pane} button.send")
    chrome.wait_for(f"document.querySelector('{pane} .chat').innerText.includes('登録が完了しました')",
                    "「登録が完了しました」 in the pane")
    assert chrome.js(f"document.querySelector('{pane} textarea').value") == ""
    mine = chrome.js(f"[...document.querySelectorAll('{pane} .row.me')].map(r => r.innerText.trim())")
    assert mine == [texts.AGREE, "2班", "渡辺 健"]  # what she tapped and typed, as her own bubbles

    with sim.k.db.session() as s:
        m = s.query(Member).filter_by(line_user_id=me).one()
        assert m.status == MemberStatus.active
        assert (m.household.name, m.household.block.name) == ("渡辺 健", "2班")
    assert chrome.errors(origin=sim.url) == []


# --- 3. the event results page ---------------------------------------------------------------
def test_event_results_chart_in_a_browser(chrome, sim):
    # 22 Nov at 10:00, before 「締切 12/1」 and 「日時 12/5」; always ahead of the real date, as Chromium keeps
    # the real clock (the served app, in this process, shares the travelled one)
    with time_machine.travel(ahead(11, 22, 10), tick=False):
        sim.send(CHAIR, "text", text="出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n対象 全体\n回答 世帯\n人数 あり")
        tap(sim, CHAIR, find_action(sim.new(CHAIR), data_prefix="a=ev_send"))
        sim.dispatch()
        card = [i for i in sim.bot(HANAKO) if i["message"].get("altText") == "秋の清掃活動"]
        assert card, "the event did not reach 佐藤 花子"
        tap(sim, HANAKO, find_action(card, "参加"))
        sim.new(HANAKO)

        sign_in(chrome, sim, CHAIR)
        chrome.goto(sim.url + "/admin/events")
        chrome.click("a[href^='/admin/events/']", "秋の清掃活動")
        chrome.wait_for("/^\\/admin\\/events\\/\\d+$/.test(location.pathname) && document.readyState === 'complete'",
                        "the event's page")

        assert chrome.js("document.querySelector('h1').textContent") == "秋の清掃活動"
        bars = chrome.js("""[...document.querySelectorAll('svg.chart rect')].map(r => ({
            answer: r.dataset.answer, title: r.querySelector('title').textContent,
            width: r.getBoundingClientRect().width, count: r.nextElementSibling.textContent,
            label: r.previousElementSibling.textContent}))""")
        assert [b["answer"] for b in bars] == list(STATUSES), bars  # one bar per answer category
        assert [b["label"] for b in bars] == [texts.STATUS_LABELS[s] for s in STATUSES]
        yes = bars[0]
        assert (yes["label"], yes["count"], yes["title"]) == ("参加", "1", "参加 1")
        assert yes["width"] > 0
        assert all(b["count"] == "0" and b["width"] == 0 for b in bars[1:3]), bars  # 不参加, 未定: nobody
        assert chrome.errors(origin=sim.url) == []


# --- 4. signing in by pressing the button ----------------------------------------------------
# A real browser posts the form with 'Origin: null' (the pages send Referrer-Policy: no-referrer)
# and Sec-Fetch-Site: same-origin; a test client setting headers by hand never showed that.
def test_officer_signs_in_and_out_by_pressing_the_buttons(chrome, sim):
    chrome.goto(admin_link(sim, CHAIR))  # the link from LINE, opened in the browser
    assert chrome.js("document.querySelector('h1').textContent") == "管理画面にログインします"
    chrome.click("form button", "ログインする")  # a real form POST, with the browser's own headers
    chrome.wait_for("document.readyState === 'complete' && "
                    "document.querySelector('h1')?.textContent !== '管理画面にログインします'", "the page after ログインする")
    assert chrome.js("location.pathname") == "/admin/", chrome.js("document.body.innerText")
    assert "山田 太郎 さん" in chrome.js("document.querySelector('.bar .who').innerText")
    chrome.click(".bar form button", "ログアウト")
    chrome.wait_for("document.readyState === 'complete' && document.body.innerText.includes('ログアウトしました')",
                    "「ログアウトしました」")
    assert chrome.errors(origin=sim.url) == []

"""Headless Chromium for the real-browser tests (tests/test_browser*.py), driven by Playwright.

A helper module, not a test module: conftest.py registers its fixtures (pytest_plugins). Playwright
cannot download its own browsers here, so it drives the system's Chromium (/usr/bin/chromium, or
`chromium` on PATH) through `executable_path`. Without it the tests are skipped — except under CI
(CI=true, or KAIRAN_REQUIRE_BROWSER=1), where a missing browser fails them.

Only 127.0.0.1 is contacted: every other request (the map tiles) is aborted by routing, so it fails
the same way on every machine, and the page must still list everything.

Chromium keeps the machine's real clock while the app may run at a travelled one (KAIRAN_TEST_CLOCK,
or a test's own time_machine.travel): a test never travels behind the real clock here, or the
browser would drop the app's cookies as expired (see `browser_clock`).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot.dev.demo import demo_user_id
from handlers.messages import texts

from chat import Sim, button
from conftest import real_now

WAIT_MS = 10_000  # the bound of every wait: Playwright's actions, `expect` and wait_for_*
# starting Chromium the first time on a cold machine (its font cache, its profile) once took over
# 10 s here: the launch has its own budget (what a page shows is still awaited WAIT_MS)
LAUNCH_MS = 60_000
BOSAI = demo_user_id("小林 修")  # 防災担当


def find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("KAIRAN_REQUIRE_BROWSER") == "1"


@pytest.fixture
def browser_clock():
    """When the run's clock is behind the real one (KAIRAN_TEST_CLOCK in the past), move it to the
    real time for this test: Chromium cannot travel, and would see the app's cookies as expired.
    The browser test modules use it first (pytestmark), before the served app is made."""
    if dt.datetime.now(dt.timezone.utc) < real_now() - dt.timedelta(minutes=1):
        with time_machine.travel(real_now(), tick=True) as t:
            yield t
    else:
        yield None


@pytest.fixture(scope="session")
def chromium() -> Browser:
    """One headless Chromium for the run; each test gets its own context (cookies, page) in `chrome`."""
    exe = find_chromium()
    if exe is None:
        missing = "Chromium not found (/usr/bin/chromium or `chromium` on PATH)"
        if browser_required():
            pytest.fail(f"{missing}: under CI (CI=true or KAIRAN_REQUIRE_BROWSER=1) the real-browser tests must run. "
                        "Install it: sudo apt-get install chromium")
        pytest.skip(f"{missing}: real-browser tests skipped. To run them: sudo apt-get install chromium")
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--disable-gpu"], timeout=LAUNCH_MS)
        yield browser
        browser.close()


class Tab:
    """A Playwright page on the served app, and what the browser reported while the test ran."""

    def __init__(self, page: Page, origin: str):
        self.page, self.origin = page, origin
        self.console: list[tuple[str, str]] = []  # (error, url of what it came from)
        self.failed: list[str] = []
        page.on("console", lambda m: m.type in ("error", "assert") and self.console.append((m.text, m.location["url"])))
        page.on("pageerror", lambda e: self.console.append((e.stack or e.message, "")))
        page.on("requestfailed", lambda r: self.failed.append(r.url))

    def errors(self) -> list[str]:
        """Script errors and console errors. Failed loads from other hosts (the map tiles, blocked)
        are expected and left out; a failed load from the app's origin is not."""
        self.page.evaluate("0")  # a round trip: every event the browser sent before is handled now
        return [f"{text} ({url})" if url else text for text, url in self.console
                if not (text.startswith("Failed to load resource") and not url.startswith(self.origin))]

    def failed_requests(self) -> list[str]:
        self.page.evaluate("0")
        return list(self.failed)

    def set_cookies(self, cookies) -> None:
        self.page.context.add_cookies([{"name": c.name, "value": c.value, "domain": urlsplit(self.origin).hostname,
                                        "path": c.path or "/", "httpOnly": True, "sameSite": "Lax"}
                                       for c in cookies])


@pytest.fixture
def chrome(chromium: Browser, browser_clock, sim: Sim):
    """A fresh page (1100×900) in its own browser context; requests off 127.0.0.1 are aborted."""
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(WAIT_MS)
    context.route(lambda url: urlsplit(url).hostname != "127.0.0.1", lambda route: route.abort())
    try:
        yield Tab(context.new_page(), sim.url)
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}  # the phone: every officer's page must fit it


@pytest.fixture
def phone(chromium: Browser, browser_clock, sim: Sim):
    """As `chrome`, at a phone's 390 × 844 (a touch screen, scale 2 as an iPhone)."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    context.route(lambda url: urlsplit(url).hostname != "127.0.0.1", lambda route: route.abort())
    try:
        yield Tab(context.new_page(), sim.url)
    finally:
        context.close()


def sign_in_by_link(tab: Tab, sim: Sim, who: str) -> None:
    """As an officer does it: 「管理画面」 in chat, open the link, tap [ログインする]."""
    tab.page.goto(admin_link(sim, who))
    tab.page.get_by_role("button", name=texts.ADMIN_LOGIN_BUTTON).click()
    tab.page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")


def scroll_width(page: Page) -> int:
    """How wide the page's content is (more than the viewport: the page scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth")


def exact(page_or_locator: Page | Locator, selector: str, text: str) -> Locator:
    """The last `selector` whose trimmed text is exactly `text` (the newest bubble, chip, link)."""
    return page_or_locator.locator(selector).filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).last


def admin_link(sim: Sim, who: str) -> str:
    """The one-time sign-in link the bot sends an officer who writes 「管理画面」."""
    sim.new(who)
    sim.send(who, "text", text="管理画面")
    return button(sim.new(who), texts.ADMIN_OPEN)["uri"]


def sign_in(chrome: Tab, sim: Sim, who: str) -> None:
    """Sign the officer in over HTTP (POST of the link, with our Origin); hand the browser the cookie."""
    signed_in = requests.Session()
    assert signed_in.post(admin_link(sim, who), headers={"Origin": sim.url}, timeout=30).status_code == 200
    chrome.set_cookies(signed_in.cookies)

"""The 通報 map on a phone (headless Chromium): the officers' reports page draws one marker per open
report with the vendored Leaflet (a done one is not on the map), and opening a report shows its
photo and its own small map."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from handlers.messages import texts

from browser import PHONE, exact, scroll_width, sign_in_by_link
from triage_kit import ITO, SATO, make_report
from served import CHAIR

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made


def test_the_reports_map_on_a_phone(phone, sim):
    db = sim.app.extensions["kairan"].db
    first = make_report(db, user=SATO, lat=35.6812, lng=139.7671)
    make_report(db, user=ITO, category="道路・歩道", lat=35.6830, lng=139.7700)
    make_report(db, user=ITO, category="公園", lat=35.6790, lng=139.7650, status="done")
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    exact(page, "nav.nav a", texts.NAV_REPORTS).click()
    page.wait_for_url(lambda url: url.endswith("/admin/reports"))
    expect(page.locator("#map path.leaflet-interactive"), "one marker per open report").to_have_count(2)
    assert page.locator("#reports tbody tr").count() == 3
    assert scroll_width(page) <= PHONE["width"]
    page.locator(f'a[href="/admin/reports/{first}"]').click()
    page.wait_for_url(lambda url: url.endswith(f"/admin/reports/{first}"))
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(1)
    expect(page.locator("img.photo")).to_have_count(1)
    assert page.locator("img.photo").evaluate("img => img.complete && img.naturalWidth > 0")
    assert phone.errors() == []

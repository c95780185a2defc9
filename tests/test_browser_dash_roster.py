"""The roster on a phone (390 × 844, headless Chromium): the chair signs in by the link from chat,
imports the new year's roster (Shift_JIS, as Excel saves it), sees the preview, confirms the
removal and applies it; opens the 要確認世帯 list and sets paper with one tap; downloads the roster
as CSV. Every page fits the screen."""
from __future__ import annotations

import csv
import io

import pytest

from bot.dev.demo import HOUSEHOLDS
from handlers.messages import texts

from browser import PHONE, exact, scroll_width, sign_in_by_link
from served import CHAIR

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made


def new_year() -> bytes:
    rows = ["班,氏名,LINE,要支援"] + [f"{b},{n},{'有' if line else '無'},{'有' if s else '無'}"
                                     for b, n, _r, line, s in HOUSEHOLDS if n != "吉田 勇"]
    rows.append("3班,新井 一郎,無,有")
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def test_import_the_roster_check_the_list_and_download_it(phone, sim):
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    exact(page, "nav.nav a", texts.NAV_ROSTER).click()
    page.wait_for_url(lambda url: url.endswith("/admin/roster"))
    assert page.locator(".card.household").count() == len(HOUSEHOLDS)
    assert scroll_width(page) <= PHONE["width"]

    # 年度更新: the new list, first the preview
    page.get_by_role("link", name=texts.ROSTER_IMPORT).click()
    page.set_input_files("#file", files=[{"name": "名簿.csv", "mimeType": "text/csv", "buffer": new_year()}])
    page.get_by_role("button", name=texts.IMPORT_PREVIEW).click()
    page.wait_for_selector("#removed")
    assert "3班 新井 一郎" in page.locator("#added").text_content()
    assert "吉田 勇" in page.locator("#removed").text_content()
    assert scroll_width(page) <= PHONE["width"]
    page.check("#remove")
    page.get_by_role("button", name=texts.IMPORT_APPLY).click()
    page.wait_for_selector("#imported")
    assert page.locator("#imported").text_content().strip() == texts.ROSTER_IMPORTED.format(added=1, changed=0,
                                                                                             removed=1)
    assert "新井 一郎" in page.content() and "吉田 勇" not in page.content()

    # 要確認世帯: 渡辺 健 is on LINE but nobody registered, and gets no paper
    exact(page, "nav.nav a", texts.NAV_NEEDS_CHECK).click()
    page.wait_for_url(lambda url: url.endswith("/admin/needs-check"))
    card = page.locator(".card.needs").filter(has_text="渡辺 健")
    assert card.count() == 1 and page.locator(".card.needs").count() == 1
    assert scroll_width(page) <= PHONE["width"]
    card.get_by_role("button", name=texts.NEEDS_CHECK_PAPER).click()
    page.wait_for_selector(".saved")
    assert texts.NEEDS_CHECK_SAVED.format(name="渡辺 健") in page.locator(".saved").text_content()
    assert page.locator("#none").text_content().strip() == texts.NEEDS_CHECK_NONE

    # the roster as CSV, for Excel
    exact(page, "nav.nav a", texts.NAV_ROSTER).click()
    with page.expect_download() as info:
        page.get_by_role("link", name=texts.ROSTER_EXPORT).click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert ["3班", "新井 一郎", "無", "有"] in table and not any("吉田 勇" in r for r in table)
    assert phone.errors() == []

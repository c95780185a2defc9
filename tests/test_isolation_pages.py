"""Isolation on the web: an officer signed in to the pages of one association who asks for the other
association's circulars, events, CSVs, photos or page tokens gets 404 and changes nothing; the lists,
the live safety page and the CSVs show nothing of the other association.

Every route of the Flask app has a case (`CASES`, by rule and method) or a reason to have none
(`EXEMPT`); test_every_route_has_a_case fails when a new route has neither. Each case runs for A's
chair, block leader and disaster officer, and for B's chair (B's officer signs in on B's channel):
"mine" is the signed-in officer's association, "theirs" the other one.

A household's circular page (/c/<token>) is public by design: its token is that household's secret
(LINE gives it only to that household). Whoever holds a token sees that one circular of that one
association and nothing else: the token of one association never opens an attachment of the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from models import ChannelRef

from admin_kit import csrf_token, login_link, path, sign_in
from isolation_kit import T0, Side, World, build, changed, clock, cross_links, leaked_words, snapshot  # noqa: F401

# Routes other helpers add in the city tier carry their own isolation tests: the city staff's
# pages (/city/…) and the association registry (/admin/registry…).
OTHERS = ("/city", "/admin/registry")
EXEMPT = {
    ("/static/<path:filename>", "GET"): "static files (scripts, styles, Leaflet): no association's data",
    ("/callback", "POST"): "LINE's webhook: which association an event is for is the channel's (destination, "
                           "signature; tests of bot/webhook.py); the chat's isolation: test_isolation_postbacks.py",
    ("/", "GET"): "a fixed line of text (or the simulator's redirect)",
    ("/healthz", "GET"): "'ok': no data",
    # 通報 (issue 16): Open311 GeoReport v2 is public and read-only by design (city systems pull it); it
    # never shows names, LINE ids, 班 or addresses, and rounds positions: tests/test_open311.py
    ("/open311/v2/services.json", "GET"): "public Open311 list of categories (tests/test_open311.py)",
    ("/open311/v2/requests.json", "GET"): "public Open311 reports, no personal data (tests/test_open311.py)",
    ("/open311/v2/requests/<request_id>.json", "GET"): "public Open311 report, no personal data (tests/test_open311.py)",
}


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


@dataclass(frozen=True)
class Req:
    method: str
    url: Callable[[Side, Side], str]  # (mine, theirs) → the path asked for
    status: int  # 404: not found (nothing changes anywhere); 200: served, showing nothing of theirs
    # a POST's form fields (mine, theirs) → dict; the signed-in page's CSRF token is always added,
    # so a 404 is the page's own answer, not the CSRF check's
    form: Callable[[Side, Side], dict] | None = None
    # actors (ACTORS' role keys: "leader", "bosai"…) that the page refuses by role (403) instead
    forbidden: frozenset[str] = frozenset()


BOARD_ONLY = frozenset({"leader"})  # pages for the board (chair, 役員, 防災担当): a block leader gets 403
PEOPLE_KEEPERS = frozenset({"leader", "bosai"})  # 役職, 年度替わり: the chair (and 役員) only
CASES: dict[tuple[str, str], list[Req]] = {
    ("/privacy", "GET"): [Req("GET", lambda m, t: "/privacy", 200)],
    ("/c/<token>", "GET"): [
        # their household's own page: that circular only (opening it is that household's read)
        Req("GET", lambda m, t: f"/c/{t.page_tokens['resident']}", 200),
        Req("GET", lambda m, t: f"/c/{t.page_tokens['resident']}x", 404)],
    ("/c/<token>/a/<int(min=1, max=2147483647):attachment_id>", "GET"): [
        Req("GET", lambda m, t: f"/c/{m.page_tokens['resident']}/a/{t.attachment}", 404),
        Req("GET", lambda m, t: f"/c/{t.page_tokens['resident']}/a/{m.attachment}", 404)],
    # a circular's first photo, the hero of its card (issue 10): public by its own secret token, which
    # LINE's one message carries to every household (tests/test_hero.py); a page token opens nothing
    ("/i/<token>", "GET"): [
        Req("GET", lambda m, t: f"/i/{t.page_tokens['resident']}", 404),
        Req("GET", lambda m, t: "/i/" + "x" * 22, 404)],
    ("/admin/login/<token>", "GET"): [Req("GET", lambda m, t: t.used_link, 410)],
    ("/admin/login/<token>", "POST"): [Req("POST", lambda m, t: t.used_link, 410)],
    ("/admin/logout", "POST"): [Req("POST", lambda m, t: "/admin/logout", 200)],
    ("/admin/", "GET"): [Req("GET", lambda m, t: "/admin/", 200)],
    ("/admin/archive", "GET"): [Req("GET", lambda m, t: "/admin/archive", 200)],
    ("/admin/audit", "GET"): [Req("GET", lambda m, t: "/admin/audit", 200, forbidden=BOARD_ONLY),
                              Req("GET", lambda m, t: f"/admin/audit?who={t.members['chair']}", 200,
                                  forbidden=BOARD_ONLY)],
    ("/admin/audit.csv", "GET"): [Req("GET", lambda m, t: "/admin/audit.csv", 200, forbidden=BOARD_ONLY)],
    ("/admin/circulars/<int(min=1, max=2147483647):circular_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular}", 404),
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular_draft}", 404),
        Req("GET", lambda m, t: f"/admin/circulars/{m.circular}?b={t.blocks[0]}", 200)],
    ("/admin/events", "GET"): [Req("GET", lambda m, t: "/admin/events", 200)],
    ("/admin/events/<int(min=1, max=2147483647):event_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/events/{t.event}", 404),
        Req("GET", lambda m, t: f"/admin/events/{t.event_draft}", 404),
        Req("GET", lambda m, t: f"/admin/events/{m.event}?b={t.blocks[1]}", 200)],
    ("/admin/events/<int(min=1, max=2147483647):event_id>.csv", "GET"): [
        Req("GET", lambda m, t: f"/admin/events/{t.event}.csv", 404),
        Req("GET", lambda m, t: f"/admin/events/{t.event}.csv?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/events/{m.event}.csv?b={t.blocks[1]}", 200)],
    ("/admin/safety/", "GET"): [Req("GET", lambda m, t: "/admin/safety/", 200),
                                Req("GET", lambda m, t: f"/admin/safety/?d={t.disaster}", 200)],
    ("/admin/safety/assign", "POST"): [
        Req("POST", lambda m, t: "/admin/safety/assign", 404,
            form=lambda m, t: {"delivery": t.safety_receipts["resident"], "member": m.members["leader"]}),
        Req("POST", lambda m, t: "/admin/safety/assign", 404,
            form=lambda m, t: {"delivery": m.safety_receipts["resident"], "member": t.members["leader"]})],
    ("/admin/drills/", "GET"): [Req("GET", lambda m, t: "/admin/drills/", 200)],
    ("/admin/drills/<int:disaster_id>", "GET"): [Req("GET", lambda m, t: f"/admin/drills/{t.drill}", 404),
                                                 Req("GET", lambda m, t: f"/admin/drills/{t.disaster}", 404)],
    ("/admin/safety/photos/<int:photo_id>", "GET"): [Req("GET", lambda m, t: f"/admin/safety/photos/{t.photo}", 404)],
    ("/admin/safety/export.csv", "GET"): [Req("GET", lambda m, t: "/admin/safety/export.csv", 200),
                                         Req("GET", lambda m, t: f"/admin/safety/export.csv?d={t.disaster}", 200)],
    # 見守り (issue 17): the page lists the own association's watched residents only; a proxy enrolment
    # of their resident is not found, and nothing is written
    ("/admin/mimamori", "GET"): [Req("GET", lambda m, t: "/admin/mimamori", 200)],
    ("/admin/mimamori/enrol", "POST"): [
        Req("POST", lambda m, t: "/admin/mimamori/enrol", 404,
            form=lambda m, t: {"member": t.members["resident"], "hour": "9", "days": "daily", "who": "both",
                               "consent": "1"})],
    # dashboard: paper (印刷 and the join sheets; blocks[1] is the block leader's 班, with the paper household)
    ("/admin/prints", "GET"): [Req("GET", lambda m, t: f"/admin/prints?b={t.blocks[0]}", 404),
                               Req("GET", lambda m, t: f"/admin/prints?b={m.blocks[1]}", 200)],
    ("/admin/prints/circulars/<int(min=1, max=2147483647):circular_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/circulars/{t.circular}?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/circulars/{t.circular}?b={m.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/circulars/{m.circular}?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/circulars/{m.circular}?b={m.blocks[1]}", 200)],
    ("/admin/prints/circulars/<int(min=1, max=2147483647):circular_id>/record", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/circulars/{t.circular}/record?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/circulars/{m.circular}/record?b={t.blocks[1]}", 404)],
    ("/admin/prints/circulars/<int(min=1, max=2147483647):circular_id>/record", "POST"): [
        Req("POST", lambda m, t: f"/admin/prints/circulars/{t.circular}/record?b={t.blocks[1]}", 404,
            form=lambda m, t: {f"h{t.households['paper']}": "1"}),
        Req("POST", lambda m, t: f"/admin/prints/circulars/{m.circular}/record?b={m.blocks[1]}", 404,
            form=lambda m, t: {f"h{t.households['paper']}": "1"})],
    ("/admin/prints/events/<int(min=1, max=2147483647):event_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/events/{t.event}?b={m.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/events/{m.event}?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/events/{m.event_draft}?b={m.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/events/{m.event}?b={m.blocks[1]}", 200)],
    ("/admin/prints/events/<int(min=1, max=2147483647):event_id>/record", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/events/{t.event}/record?b={t.blocks[1]}", 404)],
    ("/admin/prints/events/<int(min=1, max=2147483647):event_id>/record", "POST"): [
        Req("POST", lambda m, t: f"/admin/prints/events/{t.event}/record?b={t.blocks[1]}", 404,
            form=lambda m, t: {f"a{t.households['paper']}": "yes"}),
        Req("POST", lambda m, t: f"/admin/prints/events/{m.event}/record?b={m.blocks[1]}", 404,
            form=lambda m, t: {f"a{t.households['paper']}": "yes"})],
    ("/admin/prints/safety", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/safety?b={m.blocks[1]}&d={t.disaster}", 404),
        Req("GET", lambda m, t: f"/admin/prints/safety?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/safety?b={m.blocks[1]}", 200)],
    ("/admin/prints/safety/record", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/safety/record?b={m.blocks[1]}&d={t.disaster}", 404),
        Req("GET", lambda m, t: f"/admin/prints/safety/record?b={t.blocks[1]}&d={m.disaster}", 404)],
    ("/admin/prints/safety/record", "POST"): [
        Req("POST", lambda m, t: f"/admin/prints/safety/record?b={m.blocks[1]}&d={m.disaster}", 404,
            form=lambda m, t: {f"s{t.households['paper']}": "safe"}),
        Req("POST", lambda m, t: f"/admin/prints/safety/record?b={m.blocks[1]}&d={t.disaster}", 404,
            form=lambda m, t: {f"s{m.households['paper']}": "safe"})],
    ("/admin/join-sheets", "GET"): [Req("GET", lambda m, t: f"/admin/join-sheets?h={t.households['paper']}", 404),
                                    Req("GET", lambda m, t: f"/admin/join-sheets?b={t.blocks[1]}", 404),
                                    Req("GET", lambda m, t: f"/admin/join-sheets?b={m.blocks[1]}", 200)],
    ("/admin/join-sheets/<int(min=1, max=2147483647):household_id>/reissue", "GET"): [
        Req("GET", lambda m, t: f"/admin/join-sheets/{t.households['paper']}/reissue", 404)],
    ("/admin/join-sheets/<int(min=1, max=2147483647):household_id>/reissue", "POST"): [
        Req("POST", lambda m, t: f"/admin/join-sheets/{t.households['paper']}/reissue", 404)],
    # dashboard: archive
    ("/admin/circulars/<int(min=1, max=2147483647):circular_id>/a/<int(min=1, max=2147483647):attachment_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular}/a/{t.attachment}", 404),
        Req("GET", lambda m, t: f"/admin/circulars/{m.circular}/a/{t.attachment}", 404),
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular}/a/{m.attachment}", 404)],
    ("/admin/circulars/<int(min=1, max=2147483647):circular_id>/correct", "GET"): [
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular}/correct", 404),
        Req("GET", lambda m, t: f"/admin/circulars/{t.circular_draft}/correct", 404)],
    ("/admin/circulars/<int(min=1, max=2147483647):circular_id>/correct", "POST"): [
        Req("POST", lambda m, t: f"/admin/circulars/{t.circular}/correct", 404,
            form=lambda m, t: {"title": "x", "body": "訂正の本文", "note": "訂正です", "confirm": "1"}),
        Req("POST", lambda m, t: f"/admin/circulars/{t.circular_draft}/correct", 404,
            form=lambda m, t: {"title": "x", "body": "訂正の本文", "note": "訂正です"})],
    ("/admin/events/<int(min=1, max=2147483647):event_id>/fix", "GET"): [
        Req("GET", lambda m, t: f"/admin/events/{t.event}/fix?action=cancel", 404),
        Req("GET", lambda m, t: f"/admin/events/{t.event_draft}/fix", 404)],
    ("/admin/events/<int(min=1, max=2147483647):event_id>/fix", "POST"): [
        Req("POST", lambda m, t: f"/admin/events/{t.event}/fix", 404,
            form=lambda m, t: {"action": "cancel", "note": "中止です", "confirm": "1"}),
        Req("POST", lambda m, t: f"/admin/events/{t.event}/fix", 404,
            form=lambda m, t: {"action": "correct", "title": "x", "body": "y", "note": "訂正です", "confirm": "1"})],
    # dashboard: people
    ("/admin/approvals", "GET"): [Req("GET", lambda m, t: "/admin/approvals", 200),
                                  Req("GET", lambda m, t: f"/admin/approvals?done=approved&m={t.members['resident']}",
                                      200)],
    ("/admin/approvals/<int(min=1, max=2147483647):member_id>/approve", "POST"): [
        Req("POST", lambda m, t: f"/admin/approvals/{t.members['pending']}/approve", 404,
            form=lambda m, t: {"household": "new"}),
        Req("POST", lambda m, t: f"/admin/approvals/{t.members['pending']}/approve", 404,
            form=lambda m, t: {"household": t.households["resident"]})],
    ("/admin/approvals/<int(min=1, max=2147483647):member_id>/reject", "POST"): [
        Req("POST", lambda m, t: f"/admin/approvals/{t.members['pending']}/reject", 404),
        Req("POST", lambda m, t: f"/admin/approvals/{t.members['pending']}/reject", 404,
            form=lambda m, t: {"confirm": "1"})],
    ("/admin/roles", "GET"): [Req("GET", lambda m, t: "/admin/roles", 200, forbidden=PEOPLE_KEEPERS),
                              Req("GET", lambda m, t: f"/admin/roles?done={t.members['chair']}&from=member", 200,
                                  forbidden=PEOPLE_KEEPERS)],
    ("/admin/roles/set", "POST"): [
        Req("POST", lambda m, t: "/admin/roles/set", 404, form=lambda m, t: {"member": t.members["resident"],
                                                                             "role": "chair"},
            forbidden=PEOPLE_KEEPERS),
        Req("POST", lambda m, t: "/admin/roles/set", 404,
            form=lambda m, t: {"member": m.members["resident"], "role": "block_leader", "block": t.blocks[0]},
            forbidden=PEOPLE_KEEPERS)],
    ("/admin/roles/<int(min=1, max=2147483647):member_id>/revoke", "POST"): [
        Req("POST", lambda m, t: f"/admin/roles/{t.members['leader']}/revoke", 404, forbidden=PEOPLE_KEEPERS)],
    ("/admin/handover", "GET"): [Req("GET", lambda m, t: "/admin/handover", 200, forbidden=PEOPLE_KEEPERS)],
    ("/admin/handover/confirm", "POST"): [
        Req("POST", lambda m, t: "/admin/handover/confirm", 404,
            form=lambda m, t: {f"block_{m.blocks[0]}": t.members["resident"]}, forbidden=PEOPLE_KEEPERS),
        Req("POST", lambda m, t: "/admin/handover/confirm", 404,
            form=lambda m, t: {"chair": t.members["resident"]}, forbidden=PEOPLE_KEEPERS)],
    ("/admin/handover/apply", "POST"): [
        Req("POST", lambda m, t: "/admin/handover/apply", 404,
            form=lambda m, t: {f"block_{m.blocks[1]}": t.members["resident2"]}, forbidden=PEOPLE_KEEPERS),
        Req("POST", lambda m, t: "/admin/handover/apply", 404,
            form=lambda m, t: {"chair": t.members["chair"], f"block_{t.blocks[0]}": t.members["resident"]},
            forbidden=PEOPLE_KEEPERS)],
    # dashboard: roster
    ("/admin/roster", "GET"): [Req("GET", lambda m, t: "/admin/roster", 200),
                               Req("GET", lambda m, t: "/admin/roster?done=import&added=1&changed=0&removed=0", 200)],
    ("/admin/roster.csv", "GET"): [Req("GET", lambda m, t: "/admin/roster.csv", 200, forbidden=BOARD_ONLY)],
    ("/admin/roster/import", "GET"): [Req("GET", lambda m, t: "/admin/roster/import", 200, forbidden=BOARD_ONLY)],
    ("/admin/roster/import", "POST"): [Req("POST", lambda m, t: "/admin/roster/import", 400, forbidden=BOARD_ONLY)],
    ("/admin/roster/import/apply", "POST"): [
        Req("POST", lambda m, t: "/admin/roster/import/apply", 400, forbidden=BOARD_ONLY,
            form=lambda m, t: {"data": "forged", "remove": "1", "mode": "all"})],
    ("/admin/households/new", "GET"): [Req("GET", lambda m, t: "/admin/households/new", 200)],
    ("/admin/households/new", "POST"): [
        Req("POST", lambda m, t: "/admin/households/new", 404, form=lambda m, t: {"name": "侵入", "block": t.blocks[1]})],
    ("/admin/households/<int(min=1, max=2147483647):household_id>/edit", "GET"): [Req("GET", lambda m, t: f"/admin/households/{t.households['paper']}/edit", 404)],
    ("/admin/households/<int(min=1, max=2147483647):household_id>/edit", "POST"): [
        Req("POST", lambda m, t: f"/admin/households/{t.households['paper']}/edit", 404,
            form=lambda m, t: {"name": "侵入", "paper": "1"}),
        Req("POST", lambda m, t: f"/admin/households/{m.households['leader']}/edit", 404,
            form=lambda m, t: {"name": "侵入", "block": t.blocks[1]})],
    ("/admin/households/<int(min=1, max=2147483647):household_id>/paper", "POST"): [Req("POST", lambda m, t: f"/admin/households/{t.households['paper']}/paper", 404,
                               form=lambda m, t: {"paper": "1"})],
    ("/admin/households/<int(min=1, max=2147483647):household_id>/remove", "GET"): [Req("GET", lambda m, t: f"/admin/households/{t.households['resident']}/remove", 404)],
    ("/admin/households/<int(min=1, max=2147483647):household_id>/remove", "POST"): [Req("POST", lambda m, t: f"/admin/households/{t.households['resident']}/remove", 404,
                                form=lambda m, t: {"confirm": "1"})],
    ("/admin/members/<int(min=1, max=2147483647):member_id>/edit", "GET"): [Req("GET", lambda m, t: f"/admin/members/{t.members['resident']}/edit", 404)],
    ("/admin/members/<int(min=1, max=2147483647):member_id>/edit", "POST"): [
        Req("POST", lambda m, t: f"/admin/members/{t.members['resident']}/edit", 404, form=lambda m, t: {"name": "侵入"}),
        Req("POST", lambda m, t: f"/admin/members/{m.members['resident2']}/edit", 404,
            form=lambda m, t: {"name": "大野 四郎", "household": t.households["resident2"]})],
    ("/admin/members/<int(min=1, max=2147483647):member_id>/erase", "GET"): [Req("GET", lambda m, t: f"/admin/members/{t.members['resident']}/erase", 404)],
    ("/admin/members/<int(min=1, max=2147483647):member_id>/erase", "POST"): [Req("POST", lambda m, t: f"/admin/members/{t.members['resident']}/erase", 404,
                               form=lambda m, t: {"confirm": "1"})],
    ("/admin/needs-check", "GET"): [Req("GET", lambda m, t: "/admin/needs-check", 200),
                                    Req("GET", lambda m, t: f"/admin/needs-check?done={t.households['paper']}", 200)],
    # 自動開始 (tests/test_dash_jma.py): the chair and the 防災担当 (a block leader: 403)
    ("/admin/jma", "GET"): [Req("GET", lambda m, t: "/admin/jma", 200, forbidden=BOARD_ONLY)],
    ("/admin/jma", "POST"): [Req("POST", lambda m, t: "/admin/jma", 303, forbidden=BOARD_ONLY,
                                 form=lambda m, t: {"city_codes": "1310100", "min_intensity": "5+", "mode": "ask",
                                                    "ask_minutes": "10", "quake": "1"})],
    # 問い合わせ (tests/test_inquiries.py): theirs are not found; ours in the block leader's 班
    ("/admin/inquiries", "GET"): [Req("GET", lambda m, t: "/admin/inquiries", 200)],
    ("/admin/inquiries/<int(min=1, max=2147483647):inquiry_id>/photo", "GET"): [
        Req("GET", lambda m, t: f"/admin/inquiries/{t.inquiry}/photo", 404),
        Req("GET", lambda m, t: f"/admin/inquiries/{m.inquiry}/photo", 200)],
    ("/admin/inquiries/<int(min=1, max=2147483647):inquiry_id>/answer", "POST"): [
        Req("POST", lambda m, t: f"/admin/inquiries/{t.inquiry}/answer", 404, form=lambda m, t: {"text": "侵入"})],
    ("/admin/inquiries/<int(min=1, max=2147483647):inquiry_id>/close", "POST"): [
        Req("POST", lambda m, t: f"/admin/inquiries/{t.inquiry}/close", 404)],
    # when LINE is down: a 班's 連絡網 (tests/test_line_down.py)
    ("/admin/prints/contacts", "GET"): [
        Req("GET", lambda m, t: f"/admin/prints/contacts?b={t.blocks[1]}", 404),
        Req("GET", lambda m, t: f"/admin/prints/contacts?b={m.blocks[1]}", 200)],
    # 避難所・連絡先 (issue 13): no id; the signed-in officer's own association's text only
    ("/admin/shelter", "GET"): [Req("GET", lambda m, t: "/admin/shelter", 200),
                                Req("GET", lambda m, t: f"/admin/shelter?saved=1&a={t.id}", 200)],
    ("/admin/shelter", "POST"): [Req("POST", lambda m, t: "/admin/shelter", 303, forbidden=BOARD_ONLY,
                                     form=lambda m, t: {"text": "避難所：公民館", "association": t.id, "a": t.id})],
    # 通報 (issue 16; tests/test_reports_triage_page.py): their report, its photo and its status form: 404
    ("/admin/reports", "GET"): [Req("GET", lambda m, t: "/admin/reports", 200),
                                Req("GET", lambda m, t: f"/admin/reports?b={t.blocks[0]}&st=open", 200)],
    ("/admin/reports/<int(min=1, max=2147483647):report_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/reports/{t.report}", 404)],
    ("/admin/reports/<int(min=1, max=2147483647):report_id>/status", "POST"): [
        Req("POST", lambda m, t: f"/admin/reports/{t.report}/status", 404,
            form=lambda m, t: {"status": "checking", "was": "received", "note": "確認します", "public": "1"})],
    ("/admin/reports/<int(min=1, max=2147483647):report_id>/photos/<int(min=1, max=2147483647):photo_id>", "GET"): [
        Req("GET", lambda m, t: f"/admin/reports/{t.report}/photos/{t.report_photo}", 404),
        Req("GET", lambda m, t: f"/admin/reports/{m.report}/photos/{t.report_photo}", 404)],
    ("/admin/reports.csv", "GET"): [Req("GET", lambda m, t: f"/admin/reports.csv?b={t.blocks[0]}", 200)],
    ("/admin/reports.geojson", "GET"): [Req("GET", lambda m, t: f"/admin/reports.geojson?b={t.blocks[0]}", 200)],
    ("/admin/reports/<int(min=1, max=2147483647):report_id>/assign", "POST"): [
        Req("POST", lambda m, t: f"/admin/reports/{t.report}/assign", 404, form=lambda m, t: {"member": m.members["chair"]})],
}
ACTORS = [("a", "chair"), ("a", "leader"), ("a", "bosai"), ("b", "chair")]


def _rules(app) -> set[tuple[str, str]]:
    return {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
            if not r.rule.startswith(OTHERS)}


def test_every_route_has_a_case(app):
    """A new page or route must get an isolation case here (or a reason in EXEMPT)."""
    routes = _rules(app)
    assert sorted(routes - set(CASES) - set(EXEMPT)) == [], "routes without an isolation case"
    assert sorted((set(CASES) | set(EXEMPT)) - routes) == [], "cases of routes that no longer exist"


@pytest.fixture
def world(db) -> World:
    with db.session() as s:
        return build(s, T0)


def _link(chat, w: World, side: Side, who: str) -> str:
    """A one-time sign-in link of `side`'s officer, from 「管理画面」 on that association's channel."""
    chat.channel = ChannelRef.env(side.id)
    try:
        return path(login_link(chat, side.user(who)))
    finally:
        chat.channel = None


@pytest.fixture
def signed_in(app, chat, world):
    """(client signed in as the actor, mine, theirs), for each actor of ACTORS (by request.param)."""
    def sign(actor):
        side_key, who = actor
        mine, theirs = world.side(side_key), world.side("b" if side_key == "a" else "a")
        # their chair's link, used once by them: its token is theirs, and it is spent
        theirs.used_link = _link(chat, world, theirs, "chair")
        assert app.test_client().post(theirs.used_link).status_code == 303
        client = app.test_client()
        chat.channel = ChannelRef.env(mine.id)
        try:
            sign_in(client, chat, mine.user(who))
        finally:
            chat.channel = None
        return client, mine, theirs
    return sign


def _token(client) -> str:
    page = client.get("/admin/")
    return csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else ""


@pytest.mark.parametrize("route", list(CASES), ids=[f"{m} {r}" for r, m in CASES])
def test_the_other_associations_pages_are_not_found_and_nothing_changes(db, signed_in, route):
    """Each actor in turn, each in a browser of their own, asks for each of the route's URLs."""
    for actor in ACTORS:
        client, mine, theirs = signed_in(actor)
        for req in CASES[route]:
            url = req.url(mine, theirs)
            with db.session() as s:
                before_theirs, before_mine = snapshot(s, theirs.id), snapshot(s, mine.id)
            if req.method == "POST":
                data = {**(req.form(mine, theirs) if req.form else {}), "csrf_token": _token(client)}
                resp = client.open(url, method="POST", data=data)
            else:
                resp = client.open(url, method=req.method)
            status = 403 if actor[1] in req.forbidden else req.status
            assert resp.status_code == status, (actor, url, resp.get_data(as_text=True)[:500])
            body = resp.get_data().decode("utf-8", "replace")
            their_page = url.startswith("/c/") and mine.page_tokens["resident"] not in url  # theirs, by its token
            assert leaked_words(body, mine if their_page else theirs) == [], (actor, url)
            with db.session() as s:
                after_theirs, after_mine = snapshot(s, theirs.id), snapshot(s, mine.id)
                assert cross_links(s) == [], (actor, url)
            if their_page and req.status == 200:  # their household read its own page: its receipt, nothing else
                assert set(changed(before_theirs, after_theirs)) <= {"deliveries"}, (actor, url)
            else:
                assert changed(before_theirs, after_theirs) == {}, ("the other association's rows changed", actor, url)
            if status in (403, 404) or their_page:
                assert changed(before_mine, after_mine) == {}, ("the officer's own rows changed", actor, url)


def test_a_signed_in_officer_sees_the_own_association_on_every_list(db, signed_in):
    """The counter-check of the cases above: the lists do show the officer's own circular and event."""
    client, mine, theirs = signed_in(("a", "chair"))
    index = client.get("/admin/").get_data(as_text=True)
    assert "公園清掃のお知らせ" in index and leaked_words(index, theirs) == []
    assert "秋祭り" in client.get("/admin/events").get_data(as_text=True)
    assert client.get(f"/admin/circulars/{mine.circular}").status_code == 200
    assert client.get(f"/admin/events/{mine.event}.csv").status_code == 200
    assert client.get(f"/admin/safety/photos/{mine.photo}").status_code == 200
    assert client.get(f"/c/{mine.page_tokens['resident']}/a/{mine.attachment}").status_code == 200

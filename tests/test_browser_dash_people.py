"""承認待ち and 役職 on a phone (390 × 844, headless Chromium): an officer signs in by the link from
chat, approves a pending applicant to a household, and makes a member a block leader; the pages fit
the screen."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import Block, Member, MemberStatus, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION

from browser import PHONE, exact, scroll_width, sign_in_by_link
from served import CHAIR

pytestmark = pytest.mark.usefixtures("browser_clock")  # first, before the served app is made
APPLICANT = "U" + "a1" * 16


def add_applicant(sim) -> None:
    """Someone who registered in chat as 青木 次郎 of 2班 (no such name in the roster): pending."""
    with sim.k.db.session() as s:
        block = s.scalar(select(Block).where(Block.name == "2班"))
        s.add(Member(association_id=block.association_id, line_user_id=APPLICANT, block_id=block.id, name="青木 次郎",
                     role=Role.prospective, status=MemberStatus.pending, consent_at=utcnow(),
                     consent_policy_version=PRIVACY_POLICY_VERSION))


def row(sim, name: str) -> tuple:
    with sim.k.db.session() as s:
        m = s.scalar(select(Member).where(Member.name == name))
        return m.status, m.role, m.household.name if m.household else None, m.block.name if m.block else None


def test_approve_a_pending_member_and_change_a_role_on_a_phone(phone, sim):
    add_applicant(sim)
    sign_in_by_link(phone, sim, CHAIR)
    page = phone.page
    exact(page, "nav.nav a", texts.NAV_APPROVALS).click()
    page.wait_for_url(lambda url: url.endswith("/admin/approvals"))
    assert scroll_width(page) <= PHONE["width"]
    card = page.locator(".applicant").filter(has_text="青木 次郎")
    card.get_by_label("伊藤 美咲様の世帯").check()
    card.get_by_role("button", name=texts.APPROVALS_APPROVE).click()
    page.wait_for_url(lambda url: "done=approved" in url)
    assert page.locator("#done").text_content() == texts.APPROVALS_APPROVED.format(name="青木 次郎",
                                                                                  household="伊藤 美咲")
    assert page.locator("#none").text_content() == texts.APPROVALS_NONE
    assert row(sim, "青木 次郎")[:3] == (MemberStatus.active, Role.member, "伊藤 美咲")

    exact(page, "nav.nav a", texts.NAV_ROLES).click()
    page.wait_for_url(lambda url: url.endswith("/admin/roles"))
    assert scroll_width(page) <= PHONE["width"]
    page.select_option("#member", label="佐藤 花子（1班）")
    page.select_option("#role", label="班長")
    page.select_option("#block", label="3班")
    page.get_by_role("button", name=texts.ROLES_SUBMIT).click()
    page.wait_for_url(lambda url: "done=" in url)
    assert page.locator("#done").text_content() == texts.ROLES_DONE.format(name="佐藤 花子", before="会員",
                                                                          after="3班の班長")
    assert "佐藤 花子" in page.locator("#holders").text_content()
    assert row(sim, "佐藤 花子")[1] == Role.block_leader and row(sim, "佐藤 花子")[3] == "3班"
    assert scroll_width(page) <= PHONE["width"]

    page.goto(sim.url + "/admin/handover")
    assert scroll_width(page) <= PHONE["width"]
    assert phone.errors() == []

"""承認待ち, 役職, 年度替わり across associations: the demo's chair who sends the ids of another
association's applicant, members and 班 gets 404 and nothing changes on either side (the
two-world runner in test_isolation_pages.py does the same for every actor; this is the direct
case, with the rows looked at one by one)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AuditLog, Block, Member, MemberStatus, OutboxMessage, RegistryChange, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION

from admin_kit import post_form, sign_in
from people_kit import CHAIR, SATO, member
from registry_kit import OTHER_CHAIR, city_of_two, clock  # noqa: F401 - clock is a fixture

APPLICANT = "U" + "b2" * 16


@pytest.fixture
def client(app):
    return app.test_client()


def everything(db) -> tuple:
    with db.session() as s:
        people = tuple(s.execute(select(Member.id, Member.role, Member.status, Member.block_id, Member.household_id)
                                 .order_by(Member.id)).all())
        counts = tuple(s.scalar(select(func.count()).select_from(t)) for t in (AuditLog, OutboxMessage, RegistryChange))
        return people, counts


@pytest.fixture
def other(db, demo) -> dict:
    _, _, other_id = city_of_two(db)
    with db.session() as s:
        block = s.scalar(select(Block).where(Block.association_id == other_id))
        s.add(Member(association_id=other_id, line_user_id=APPLICANT, block_id=block.id, name="西町 新人",
                     role=Role.prospective, status=MemberStatus.pending, consent_at=utcnow(),
                     consent_policy_version=PRIVACY_POLICY_VERSION))
        block_id = block.id
    return {"block": block_id, "chair": member(db, OTHER_CHAIR).id, "pending": member(db, APPLICANT).id}


def test_forged_ids_of_another_association_are_not_found_and_nothing_changes(client, line, db, other, clock):
    sign_in(client, line, CHAIR)
    before = everything(db)
    sato = member(db, SATO).id
    cases = [
        (f"/admin/approvals/{other['pending']}/approve", {"household": "new"}),
        (f"/admin/approvals/{other['pending']}/reject", {"confirm": "1"}),
        ("/admin/roles/set", {"member": other["chair"], "role": "officer"}),
        ("/admin/roles/set", {"member": sato, "role": "block_leader", "block": other["block"]}),
        (f"/admin/roles/{other['chair']}/revoke", {}),
        ("/admin/handover/confirm", {"chair": other["chair"]}),
        ("/admin/handover/apply", {"chair": other["chair"]}),
    ]
    for url, data in cases:
        assert post_form(client, "/admin/", url, data).status_code == 404, url
    assert everything(db) == before
    html = client.get("/admin/approvals").get_data(as_text=True) + client.get("/admin/roles").get_data(as_text=True) \
        + client.get("/admin/handover").get_data(as_text=True)
    assert "西町" not in html

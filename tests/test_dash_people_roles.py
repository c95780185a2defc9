"""役職 (/admin/roles): the chair and 役員 give and take roles, members picked by name and 班; the
last chair cannot be removed; each change is audited (before → after), the member is told in chat
(the outbox row's text) and the new role holds from their next tap."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import AuditLog, Block, Role

from admin_kit import login_link, post_form, set_role, sign_in
from people_kit import BOSAI, CHAIR, ITO, LEADER2, SATO, member, queued_texts
from registry_kit import clock  # noqa: F401 - a fixture


@pytest.fixture
def client(app):
    return app.test_client()


def block_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Block.id).where(Block.name == name))


def audits(db, action: str = "role.change") -> list[AuditLog]:
    with db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()
        s.expunge_all()
        return rows


def test_the_page_lists_who_has_which_role_by_name_and_block_never_a_line_id(client, line, demo, clock):
    sign_in(client, line, CHAIR)
    html = client.get("/admin/roles").get_data(as_text=True)
    holders = html.split('id="holders"')[1].split("</table>")[0]
    assert "山田 太郎" in holders and "会長" in holders and "2班の班長" in holders and "小林 修" in holders
    assert "佐藤 花子" not in holders  # a plain member
    assert "佐藤 花子（1班）" in html  # the picker: name and 班
    assert SATO not in html and CHAIR not in html  # no LINE user id anywhere


def test_make_a_member_block_leader_of_a_block_audited_told_and_effective_on_the_next_tap(client, line, demo, db,
                                                                                         clock):
    sign_in(client, line, CHAIR)
    sato = member(db, SATO)
    assert "/admin/login/" not in str(line.text(SATO, "管理画面"))  # a resident: no link
    resp = post_form(client, "/admin/roles", "/admin/roles/set",
                     {"member": sato.id, "role": "block_leader", "block": block_id(db, "3班")})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.ROLES_DONE.format(name="佐藤 花子", before="会員", after="3班の班長") in page
    m = member(db, SATO)
    assert m.role == Role.block_leader and m.block_id == block_id(db, "3班")
    (row,) = audits(db)
    assert row.target == f"member:{sato.id}" and row.detail == {"before": {"role": "会員"}, "after": {"role": "3班の班長"}}
    assert queued_texts(db, SATO) == [texts.ROLE_NOTICE.format(before="会員", after="3班の班長")]
    # her next tap: she is a block leader now (she gets the sign-in link)
    assert login_link(line, SATO)


def test_take_a_role_away(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    leader = member(db, LEADER2)
    resp = post_form(client, "/admin/roles", f"/admin/roles/{leader.id}/revoke")
    assert resp.status_code == 303
    m = member(db, LEADER2)
    assert m.role == Role.member and m.block_id == block_id(db, "2班")
    assert audits(db)[0].detail == {"before": {"role": "2班の班長"}, "after": {"role": "会員"}}
    assert queued_texts(db, LEADER2) == [texts.ROLE_NOTICE.format(before="2班の班長", after="会員")]
    assert "/admin/login/" not in str(line.text(LEADER2, "管理画面"))  # from the next tap


def test_the_last_chair_cannot_be_removed(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)  # not even by themselves
    chair = member(db, CHAIR)
    resp = post_form(client, "/admin/roles", f"/admin/roles/{chair.id}/revoke")
    assert resp.status_code == 400 and texts.ROLES_LAST_CHAIR in resp.get_data(as_text=True)
    resp = post_form(client, "/admin/roles", "/admin/roles/set", {"member": chair.id, "role": "officer"})
    assert resp.status_code == 400 and texts.ROLES_LAST_CHAIR in resp.get_data(as_text=True)
    assert member(db, CHAIR).role == Role.chair and audits(db) == [] and queued_texts(db, CHAIR) == []
    # with a second chair, the first may step down (the chair does that, not an 役員: below)
    sato = member(db, SATO)
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": sato.id, "role": "chair"}).status_code == 303
    assert post_form(client, "/admin/roles", f"/admin/roles/{chair.id}/revoke").status_code == 303
    assert member(db, CHAIR).role == Role.member and member(db, SATO).role == Role.chair


def test_an_officer_cannot_make_themselves_chair_or_demote_the_chair(client, line, demo, db, clock):
    """The chair's role is the chair's to give or take: an 役員 who made themselves chair could
    then demote the real one (two chairs: the last-chair rule allows it) and take 年度替わり."""
    set_role(db, ITO, Role.officer)
    set_role(db, SATO, Role.chair)  # even with two chairs (so the last-chair rule would allow it)
    sign_in(client, line, ITO)
    ito, chair = member(db, ITO), member(db, CHAIR)
    for action, data in (("/admin/roles/set", {"member": ito.id, "role": "chair"}),
                         (f"/admin/roles/{chair.id}/revoke", {}),
                         ("/admin/roles/set", {"member": chair.id, "role": "officer"})):
        resp = post_form(client, "/admin/roles", action, data)
        assert resp.status_code == 403 and texts.ROLES_CHAIR_ONLY in resp.get_data(as_text=True), action
    assert (member(db, ITO).role, member(db, CHAIR).role) == (Role.officer, Role.chair)
    assert audits(db) == [] and queued_texts(db, CHAIR) == []
    # other roles stay the 役員's to change
    bosai = member(db, BOSAI)
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": bosai.id, "role": "officer"}).status_code == 303


def test_an_unchanged_role_writes_nothing(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    bosai = member(db, BOSAI)
    resp = post_form(client, "/admin/roles", "/admin/roles/set", {"member": bosai.id, "role": "disaster_officer"})
    assert resp.status_code == 200 and texts.ROLES_UNCHANGED.format(name="小林 修", role="防災担当") in \
        resp.get_data(as_text=True)
    assert audits(db) == [] and queued_texts(db, BOSAI) == []


@pytest.mark.parametrize("who", [LEADER2, BOSAI])
def test_block_leaders_and_disaster_officers_cannot_change_roles(client, line, demo, db, clock, who):
    sign_in(client, line, who)
    assert client.get("/admin/roles").status_code == 403
    sato = member(db, SATO)
    resp = post_form(client, "/admin/", "/admin/roles/set", {"member": sato.id, "role": "chair"})
    assert resp.status_code == 403
    assert post_form(client, "/admin/", f"/admin/roles/{member(db, CHAIR).id}/revoke").status_code == 403
    assert member(db, SATO).role == Role.member and member(db, CHAIR).role == Role.chair and audits(db) == []


def test_bad_choices_change_nothing(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    sato = member(db, SATO)
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": sato.id, "role": "prospective"}
                     ).status_code == 400
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": "x", "role": "officer"}).status_code == 404
    assert post_form(client, "/admin/roles", "/admin/roles/set",
                     {"member": sato.id, "role": "block_leader", "block": "99999"}).status_code == 404
    assert member(db, SATO).role == Role.member and audits(db) == []


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(client, line, demo, db, clock, token):
    sign_in(client, line, CHAIR)
    sato, leader = member(db, SATO), member(db, LEADER2)
    extra = {"csrf_token": token} if token else {}
    assert client.post("/admin/roles/set", data={"member": sato.id, "role": "chair"} | extra).status_code == 400
    assert client.post(f"/admin/roles/{leader.id}/revoke", data=extra).status_code == 400
    assert member(db, SATO).role == Role.member and member(db, LEADER2).role == Role.block_leader
    assert audits(db) == [] and queued_texts(db, SATO) == []

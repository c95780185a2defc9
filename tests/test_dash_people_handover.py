"""年度替わり (/admin/handover): the chair picks each 班's new 班長 and a new chair in one form, sees
who gains and loses a role, applies it: exactly those roles change, everyone affected is told in
chat, and the registry's chair fields change in the same step."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import Association, AuditLog, Block, Member, MemberStatus, RegistryChange, Role
from models.registry import entry_of

from admin_kit import csrf_token, post_form, set_role, sign_in
from people_kit import BOSAI, CHAIR, ITO, KATO, LEADER2, SATO, member, queued_texts
from registry_kit import NOW, clock  # noqa: F401 - a fixture


@pytest.fixture
def client(app):
    return app.test_client()


def block_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Block.id).where(Block.name == name))


def roles(db) -> dict[str, tuple[Role, int | None]]:
    with db.session() as s:
        return {m.name: (m.role, m.block_id) for m in s.scalars(select(Member).where(
            Member.status == MemberStatus.active))}


def plan(db) -> dict:
    """2班: 伊藤 美咲 instead of 田中 実; 3班: 加藤 恵子 (it had none); the new chair: 佐藤 花子."""
    return {f"block_{block_id(db, '2班')}": member(db, ITO).id, f"block_{block_id(db, '3班')}": member(db, KATO).id,
            f"block_{block_id(db, '1班')}": "", "chair": member(db, SATO).id}


def test_the_form_offers_each_blocks_own_members(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    html = client.get("/admin/handover").get_data(as_text=True)
    two = html.split(f'name="block_{block_id(db, "2班")}"')[1].split("</select>")[0]
    assert "伊藤 美咲" in two and "田中 実" in two and "佐藤 花子" not in two
    assert "田中 実" in html.split(f'name="block_{block_id(db, "2班")}"')[0].rsplit('class="card"', 1)[1]  # now


def test_confirm_shows_who_gains_and_loses_and_changes_nothing(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    resp = post_form(client, "/admin/handover", "/admin/handover/confirm", plan(db))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    gains, loses = html.split('id="gains"')[1].split("</section>")[0], html.split('id="loses"')[1].split("</section>")[0]
    for name, b, a in (("伊藤 美咲", "会員", "2班の班長"), ("加藤 恵子", "会員", "3班の班長"), ("佐藤 花子", "会員", "会長")):
        assert texts.HANDOVER_CHANGE.format(name=name, before=b, after=a) in gains
    for name, b in (("田中 実", "2班の班長"), ("山田 太郎", "会長")):
        assert texts.HANDOVER_CHANGE.format(name=name, before=b, after="会員") in loses
    assert "小林 修" not in gains + loses
    assert "佐藤 花子" in html.split('id="registry"')[1].split("</p>")[0]
    assert roles(db) == before


def test_apply_changes_exactly_those_roles_tells_everyone_and_updates_the_registry(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    confirm = post_form(client, "/admin/handover", "/admin/handover/confirm", plan(db))
    token = csrf_token(confirm.get_data(as_text=True))
    resp = client.post("/admin/handover/apply", data={**{k: str(v) for k, v in plan(db).items()}, "csrf_token": token})
    assert resp.status_code == 303
    after = roles(db)
    b2, b3, b1 = block_id(db, "2班"), block_id(db, "3班"), block_id(db, "1班")
    expected = dict(before)
    expected.update({"伊藤 美咲": (Role.block_leader, b2), "加藤 恵子": (Role.block_leader, b3),
                     "佐藤 花子": (Role.chair, b1), "田中 実": (Role.member, b2), "山田 太郎": (Role.member, b1)})
    assert after == expected
    told = {ITO: ("会員", "2班の班長"), KATO: ("会員", "3班の班長"), SATO: ("会員", "会長"),
            LEADER2: ("2班の班長", "会員"), CHAIR: ("会長", "会員")}
    for uid, (b, a) in told.items():
        assert queued_texts(db, uid) == [texts.ROLE_NOTICE_HANDOVER.format(before=b, after=a)]
    assert queued_texts(db, BOSAI) == []
    with db.session() as s:
        assoc = s.scalar(select(Association).order_by(Association.id))
        entry = entry_of(s, assoc.id)
        assert entry.chair_name == "佐藤 花子" and entry.chair_since == NOW.date()
        assert entry.predecessor_name == "山田 太郎"
        fields = {c.field for c in s.scalars(select(RegistryChange))}
        assert {"chair_name", "chair_since"} <= fields
        changes = s.scalars(select(AuditLog).where(AuditLog.action == "role.change")).all()
        assert len(changes) == 5
        assert s.scalar(select(AuditLog).where(AuditLog.action == "handover.apply")) is not None
    # the outgoing chair's own session ended with the role
    assert client.get("/admin/handover").status_code == 403


def test_only_block_leaders_can_change_without_touching_the_chair(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    data = {f"block_{block_id(db, '2班')}": member(db, ITO).id}
    confirm = post_form(client, "/admin/handover", "/admin/handover/confirm", data)
    assert 'id="registry"' not in confirm.get_data(as_text=True)
    resp = client.post("/admin/handover/apply", data={**data, "csrf_token": csrf_token(confirm.get_data(as_text=True))})
    assert resp.status_code == 303
    after = roles(db)
    assert after["伊藤 美咲"][0] == Role.block_leader and after["田中 実"][0] == Role.member
    assert {k: v for k, v in after.items() if k not in ("伊藤 美咲", "田中 実")} == \
        {k: v for k, v in before.items() if k not in ("伊藤 美咲", "田中 実")}
    with db.session() as s:
        assert s.scalars(select(RegistryChange)).all() == []


def test_the_chair_picked_as_a_block_leader_without_a_new_chair_is_refused(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    data = {f"block_{block_id(db, '1班')}": member(db, CHAIR).id}
    resp = post_form(client, "/admin/handover", "/admin/handover/apply", data)
    assert resp.status_code == 400 and texts.ROLES_LAST_CHAIR in resp.get_data(as_text=True)
    assert roles(db) == before and queued_texts(db, CHAIR) == []


def test_one_person_for_two_roles_is_refused(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    data = {f"block_{block_id(db, '1班')}": member(db, SATO).id, "chair": member(db, SATO).id}
    resp = post_form(client, "/admin/handover", "/admin/handover/apply", data)
    assert resp.status_code == 400 and texts.HANDOVER_TWICE.format(name="佐藤 花子") in resp.get_data(as_text=True)
    assert roles(db) == before


def test_a_member_of_another_block_is_not_found(client, line, demo, db, clock):
    sign_in(client, line, CHAIR)
    before = roles(db)
    data = {f"block_{block_id(db, '2班')}": member(db, SATO).id}  # she lives in 1班
    for url in ("/admin/handover/confirm", "/admin/handover/apply"):
        assert post_form(client, "/admin/handover", url, data).status_code == 404
    assert roles(db) == before


@pytest.mark.parametrize("who", [LEADER2, BOSAI])
def test_only_the_chair(client, line, demo, db, clock, who):
    sign_in(client, line, who)
    assert client.get("/admin/handover").status_code == 403
    before = roles(db)
    assert post_form(client, "/admin/", "/admin/handover/apply", plan(db)).status_code == 403
    assert roles(db) == before


def test_an_officer_is_not_the_chair(client, line, demo, db, clock):
    set_role(db, ITO, Role.officer)
    sign_in(client, line, ITO)
    assert client.get("/admin/handover").status_code == 403


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(client, line, demo, db, clock, token):
    sign_in(client, line, CHAIR)
    before = roles(db)
    data = {k: str(v) for k, v in plan(db).items()} | ({"csrf_token": token} if token else {})
    assert client.post("/admin/handover/apply", data=data).status_code == 400
    assert roles(db) == before and queued_texts(db, SATO) == []

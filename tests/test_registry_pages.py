"""The association registry on the officers' pages (/admin/registry): the board sees and edits its
own entry, every change is kept with who, when, before → after and shown; nobody else gets in."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers.messages import texts
from models import Association, RegistryChange, RegistryEntry

from admin_kit import csrf_token, logout, set_role
from registry_kit import (  # noqa: F401 - clock is a fixture
    CHAIR,
    KOBAYASHI,
    LEADER,
    OTHER_CHAIR,
    SATO,
    city_of_two,
    clock,
    form_of,
    sign_in,
    sign_in_directly,
    text_of,
)


@pytest.fixture
def client(app):
    return app.test_client()


def edit(client, assoc_id: int, **changes: str):
    page = client.get(f"/admin/registry/{assoc_id}/edit").get_data(as_text=True)
    return client.post(f"/admin/registry/{assoc_id}/edit", data={**form_of(page), **changes})


def changes(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(
            RegistryChange.field, RegistryChange.before, RegistryChange.after, RegistryChange.actor_label,
            RegistryChange.via).order_by(RegistryChange.id))]


def test_the_chair_edits_the_entry_and_sees_the_history(client, line, demo, clock):
    sign_in(client, line)
    resp = client.get("/admin/registry")
    assert resp.status_code == 303
    view = resp.headers["Location"]
    page = client.get(view).get_data(as_text=True)
    assert texts.REGISTRY_TITLE in page and "東町自治会" in page and texts.REGISTRY_HISTORY_NONE in page
    assert 'aria-current="page">' + texts.NAV_REGISTRY in page  # the navigation bar names it

    resp = edit(client, 1, chair_name="山田 太郎", chair_phone="０７８−１２３−４５６７", households="１２０",
                chair_since="2026/4/1", federation="1", circular_copies="45")
    assert resp.status_code == 303 and "saved=6" in resp.headers["Location"]
    with demo.session() as s:
        e = s.scalar(select(RegistryEntry))
        assert (e.chair_name, e.households, e.chair_since.isoformat(), e.federation, e.circular_copies) == (
            "山田 太郎", 120, "2026-04-01", True, 45)
        assert e.chair_phone == "078-123-4567"  # full-width digits and dash, as typed on a phone
    assert changes(demo) == [
        ("chair_name", None, "山田 太郎", "山田 太郎（会長）", "web"),
        ("chair_phone", None, "078-123-4567", "山田 太郎（会長）", "web"),
        ("chair_since", None, "2026-04-01", "山田 太郎（会長）", "web"),
        ("circular_copies", None, "45", "山田 太郎（会長）", "web"),
        ("households", None, "120", "山田 太郎（会長）", "web"),
        ("federation", None, "1", "山田 太郎（会長）", "web"),
    ]

    shown = text_of(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert texts.REGISTRY_SAVED.format(n=6) in shown
    assert "2027-04-20 10:00 山田 太郎（会長）（管理画面） 世帯数 （空欄） 120" in shown
    assert "区分 （空欄） 連合会加入" in shown

    edit(client, 1, households="118")  # the next change: before → after
    shown = text_of(client.get("/admin/registry/1").get_data(as_text=True))
    assert "世帯数 120 118" in shown
    assert shown.index("世帯数 120 118") < shown.index("世帯数 （空欄） 120")  # newest first


def test_saving_unchanged_writes_no_history(client, line, demo, clock):
    sign_in(client, line)
    resp = edit(client, 1)
    assert resp.status_code == 303 and "saved=0" in resp.headers["Location"]
    assert changes(demo) == []
    assert texts.REGISTRY_NOTHING_CHANGED in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_the_association_name_is_a_registry_field(client, line, demo, clock):
    sign_in(client, line)
    edit(client, 1, name="東町一丁目自治会", name_kana="ひがしまちいっちょうめじちかい")
    with demo.session() as s:
        assert s.get(Association, 1).name == "東町一丁目自治会"
    assert [c[:3] for c in changes(demo)] == [("name", "東町自治会", "東町一丁目自治会"),
                                             ("name_kana", None, "ひがしまちいっちょうめじちかい")]


def test_a_bad_value_is_explained_and_nothing_is_written(client, line, demo, clock):
    sign_in(client, line)
    resp = edit(client, 1, households="たくさん", chair_since="4月1日", chair_postcode="65", name="",
                chair_name="山田 太郎")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert texts.REGISTRY_FIX_ERRORS in page
    assert texts.REGISTRY_BAD_VALUE.format(label="世帯数", hint=texts.REGISTRY_HINTS["int"]) in page
    assert texts.REGISTRY_BAD_VALUE.format(label="会長就任日", hint=texts.REGISTRY_HINTS["date"]) in page
    assert texts.REGISTRY_BAD_VALUE.format(label="会長郵便番号", hint=texts.REGISTRY_HINTS["postcode"]) in page
    assert texts.REGISTRY_NAME_NEEDED in page
    assert 'value="たくさん"' in page and 'value="山田 太郎"' in page  # what was typed stays in the form
    assert changes(demo) == []
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0


def test_a_post_without_the_csrf_token_writes_nothing(client, line, demo, clock):
    sign_in(client, line)
    page = client.get("/admin/registry/1/edit").get_data(as_text=True)
    form = form_of(page)
    del form["csrf_token"]
    assert client.post("/admin/registry/1/edit", data={**form, "households": "99"}).status_code == 400
    assert client.post("/admin/registry/1/edit",
                       data={**form, "households": "99", "csrf_token": "forged"}).status_code == 400
    assert changes(demo) == []


def test_a_formula_is_kept_as_text(client, line, demo, clock):
    sign_in(client, line)
    edit(client, 1, notes='=HYPERLINK("http://evil.example","x")')
    page = client.get("/admin/registry/1").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)" in page  # shown escaped, as written


def test_the_disaster_officer_on_the_board_may_edit(client, line, demo, clock):
    sign_in(client, line, KOBAYASHI)
    assert edit(client, 1, boards="3").status_code == 303
    assert changes(demo) == [("boards", None, "3", "小林 修（防災担当）", "web")]


def test_a_block_leader_can_neither_open_nor_post(client, line, demo, clock):
    sign_in(client, line, LEADER)
    for url in ("/admin/registry", "/admin/registry/1", "/admin/registry/1/edit"):
        resp = client.get(url)
        assert resp.status_code == 403 and texts.REGISTRY_BOARD_ONLY in resp.get_data(as_text=True)
    assert texts.NAV_REGISTRY not in client.get("/admin/").get_data(as_text=True)
    # even with a genuine CSRF token of their own session: the role refuses it
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    resp = client.post("/admin/registry/1/edit", data={"csrf_token": token, "name": "乗っ取り", "status": "active"})
    assert resp.status_code == 403
    assert changes(demo) == []


def test_a_resident_cannot_open_or_post(client, line, demo, clock):
    out = line.text(SATO, "管理画面")
    assert texts.OFFICERS_ONLY in str(out)  # no sign-in link for a resident
    assert client.get("/admin/registry/1").status_code == 403
    # no session, so no CSRF token either: the token check answers before any view runs
    resp = client.post("/admin/registry/1/edit", data={"name": "乗っ取り", "status": "active"})
    assert resp.status_code == 400 and texts.ADMIN_CROSS_SITE in resp.get_data(as_text=True)
    assert changes(demo) == []


def test_a_demoted_chair_loses_the_page(client, line, demo, clock):
    from models import Role

    sign_in(client, line)
    assert client.get("/admin/registry/1").status_code == 200
    set_role(demo, CHAIR, Role.block_leader)
    assert client.get("/admin/registry/1").status_code == 403


def test_another_associations_officer_cannot_see_or_change_ours(client, line, demo, k, clock):
    _, ours, theirs = city_of_two(demo)
    sign_in(client, line)
    edit(client, ours, chair_phone="078-111-2222")
    assert logout(client).status_code == 200
    sign_in_directly(client, k, OTHER_CHAIR)
    assert client.get("/admin/registry").headers["Location"].endswith(f"/admin/registry/{theirs}")
    for url in (f"/admin/registry/{ours}", f"/admin/registry/{ours}/edit"):
        resp = client.get(url)
        assert resp.status_code == 404
        assert "078-111-2222" not in resp.get_data(as_text=True)
    page = client.get(f"/admin/registry/{theirs}/edit").get_data(as_text=True)
    form = {**form_of(page), "chair_phone": "000-0000-0000", "name": "乗っ取り"}
    assert client.post(f"/admin/registry/{ours}/edit", data=form).status_code == 404
    with demo.session() as s:
        e = s.scalar(select(RegistryEntry).where(RegistryEntry.association_id == ours))
        assert e.chair_phone == "078-111-2222" and s.get(Association, ours).name == "東町自治会"
    assert "078-111-2222" not in client.get(f"/admin/registry/{theirs}").get_data(as_text=True)


def test_a_withdrawn_officer_is_no_longer_named_in_the_history(client, line, demo, clock):
    sign_in(client, line, KOBAYASHI)
    edit(client, 1, boards="3")
    out = line.text(KOBAYASHI, "退会")
    line.tap(KOBAYASHI, out, texts.WITHDRAW_YES)
    assert changes(demo) == [("boards", None, "3", texts.WITHDRAWN_NAME, "web")]  # the change stays, not the name

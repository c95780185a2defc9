"""The registry on the city staff's pages (/city/registry): every association of the staff
member's municipality, one entry with its history, the CSV sheet, and the import that shows what
changes before anything is written; another municipality's staff, and the associations' own
members, see none of it."""
from __future__ import annotations

import base64
import csv
import io
import re

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import Association, RegistryChange, RegistryEntry
from models.registry import Actor, apply_changes

from citystaff_kit import CHAIR_N, OTHER_STAFF, csrf_of, make_city, sign_in, staff_link
from registry_kit import clock, form_of, sign_in_directly, text_of  # noqa: F401 - clock is a fixture

STAFF_LABEL = "市役所 担当（さくら市の担当者）"


@pytest.fixture
def city(db):
    c = make_city(db)
    with db.session() as s:
        apply_changes(s, s.get(Association, c.north_id), {"chair_name": "北町 会長", "chair_phone": "078-111-2222",
                                                          "households": 120, "notes": "=HYPERLINK(\"x\")"},
                      Actor("member", "北町 会長（会長）", "web"))
        apply_changes(s, s.get(Association, c.other_id), {"chair_name": "隣町 会長", "chair_phone": "099-999-9999"},
                      Actor("member", "隣町 会長（会長）", "web"))
    return c


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(client, chat, city, clock):
    """A さくら市 staff member, signed in to /city."""
    assert sign_in(client, staff_link(chat, city)).status_code == 303
    return client


def sheet(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def history(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(RegistryChange.association_id, RegistryChange.field,
                                                   RegistryChange.before, RegistryChange.after,
                                                   RegistryChange.actor_label, RegistryChange.via)
                                            .order_by(RegistryChange.id))]


def upload(client, data: bytes):
    page = client.get("/city/registry").get_data(as_text=True)
    return client.post("/city/registry/import", content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(page), "file": (io.BytesIO(data), "registry.csv")})


def confirm_form(page: str) -> dict:
    return {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
            for name in ("csrf_token", "payload", "digest")}


def test_the_list_shows_every_association_of_the_municipality(staff, city):
    resp = staff.get("/city/registry")
    assert resp.status_code == 200
    shown = text_of(resp.get_data(as_text=True))
    assert "自治会台帳（さくら市）" in shown
    assert "北町自治会 （北地区） 北町 会長 120 活動中" in shown and "南町自治会" in shown
    assert "隣町" not in shown  # もみじ市's
    assert texts.NAV_REGISTRY in shown


def test_one_entry_with_its_history(staff, city):
    shown = text_of(staff.get(f"/city/registry/{city.north_id}").get_data(as_text=True))
    assert "078-111-2222" in shown  # the city staff see the chair's contact (the registry is theirs too)
    assert "北町 会長（会長）（管理画面） 世帯数 （空欄） 120" in shown
    for other in (city.other_id, 999999):
        resp = staff.get(f"/city/registry/{other}")
        assert resp.status_code == 404 and "099-999-9999" not in resp.get_data(as_text=True)


def test_the_export_is_one_bom_sheet_for_the_municipality(staff, city):
    resp = staff.get("/city/registry.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    data = resp.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = sheet(data)
    assert [r[0] for r in rows[1:]] == [str(city.north_id), str(city.south_id)]
    north = dict(zip(rows[0], rows[1]))
    assert north["備考"] == "'=HYPERLINK(\"x\")"  # a formula is text
    assert "099-999-9999" not in data.decode("utf-8-sig")


def test_import_previews_then_writes_on_confirm(staff, city, db):
    rows = sheet(staff.get("/city/registry.csv").get_data())
    head = rows[0]
    rows[1][head.index("会長氏名")] = "北町 新会長"
    rows[2][head.index("回覧物部数")] = "60"
    before = history(db)
    resp = upload(staff, to_csv(rows))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    shown = text_of(page)
    assert texts.REGISTRY_PREVIEW_LEAD.format(n=2, associations=2) in shown
    assert "北町自治会 会長氏名 北町 会長 北町 新会長" in shown and "南町自治会 回覧物部数 （空欄） 60" in shown
    assert len(re.findall(r'<tr class="change">', page)) == 2  # exactly the changed fields
    assert history(db) == before  # nothing written yet

    resp = staff.post("/city/registry/import/confirm", data=confirm_form(page))
    assert resp.status_code == 303
    assert history(db)[len(before):] == [
        (city.north_id, "chair_name", "北町 会長", "北町 新会長", STAFF_LABEL, "csv"),
        (city.south_id, "circular_copies", None, "60", STAFF_LABEL, "csv")]
    assert texts.REGISTRY_IMPORTED.format(n=2, associations=2) in staff.get(resp.headers["Location"]).get_data(as_text=True)
    shown = text_of(staff.get(f"/city/registry/{city.north_id}").get_data(as_text=True))
    assert f"{STAFF_LABEL}（CSV取込） 会長氏名 北町 会長 北町 新会長" in shown


def test_a_confirm_after_the_registry_changed_shows_the_preview_again(staff, city, db):
    rows = sheet(staff.get("/city/registry.csv").get_data())
    rows[1][rows[0].index("世帯数")] = "130"
    page = upload(staff, to_csv(rows)).get_data(as_text=True)
    with db.session() as s:  # meanwhile the chair changes the same field
        apply_changes(s, s.get(Association, city.north_id), {"households": 125}, Actor("member", "北町 会長（会長）", "web"))
    before = history(db)
    resp = staff.post("/city/registry/import/confirm", data=confirm_form(page))
    assert resp.status_code == 200
    shown = text_of(resp.get_data(as_text=True))
    assert texts.REGISTRY_PREVIEW_STALE in shown and "北町自治会 世帯数 125 130" in shown
    assert history(db) == before


def test_a_forged_confirm_writes_nothing(staff, city, db):
    rows = sheet(staff.get("/city/registry.csv").get_data())
    rows[1][rows[0].index("世帯数")] = "130"
    form = confirm_form(upload(staff, to_csv(rows)).get_data(as_text=True))
    before = history(db)
    assert staff.post("/city/registry/import/confirm", data={**form, "csrf_token": "x"}).status_code == 400
    forged = to_csv([[texts.REGISTRY_CSV_ID, "会長電話番号"], [str(city.other_id), "000-0000-0000"]])
    resp = staff.post("/city/registry/import/confirm",
                      data={**form, "payload": base64.b64encode(forged).decode()})
    assert resp.status_code == 400  # another municipality's association: refused
    assert texts.REGISTRY_CSV_BAD_ID.format(line=2, value=city.other_id) in resp.get_data(as_text=True)
    assert history(db) == before


def test_another_municipalitys_association_in_the_file_refuses_it(staff, city, db):
    data = to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(city.north_id), "1"], [str(city.other_id), "2"]])
    resp = upload(staff, data)
    assert resp.status_code == 400
    assert texts.REGISTRY_CSV_BAD_ID.format(line=3, value=city.other_id) in resp.get_data(as_text=True)
    resp = upload(staff, b"\xff\xfe\x00garbage")
    assert resp.status_code == 400
    before = history(db)
    assert upload(staff, to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(city.north_id), "x"]])).status_code == 400
    assert history(db) == before


def test_an_import_without_the_csrf_token_is_refused(staff, city, db):
    before = history(db)
    data = to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(city.north_id), "1"]])
    resp = staff.post("/city/registry/import", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(data), "registry.csv")})
    assert resp.status_code == 400 and history(db) == before


def test_another_municipalitys_staff_see_nothing_of_ours(client, chat, city, clock):
    assert sign_in(client, staff_link(chat, city, OTHER_STAFF, city.other_channel)).status_code == 303
    shown = text_of(client.get("/city/registry").get_data(as_text=True))
    assert "隣町自治会" in shown and "北町" not in shown and "南町" not in shown
    for url in (f"/city/registry/{city.north_id}", f"/city/registry/{city.south_id}"):
        assert client.get(url).status_code == 404
    assert "北町" not in client.get("/city/registry.csv").get_data().decode("utf-8-sig")


def test_an_associations_chair_cannot_open_the_city_registry(client, city, k, clock):
    sign_in_directly(client, k, CHAIR_N)
    assert client.get("/city/registry").status_code == 403
    assert client.get(f"/city/registry/{city.north_id}").status_code == 403
    assert client.get("/city/registry.csv").status_code == 403
    # the chair edits their own entry: the city sees the change with the chair's name
    page = client.get(f"/admin/registry/{city.north_id}/edit").get_data(as_text=True)
    assert client.post(f"/admin/registry/{city.north_id}/edit", data={**form_of(page), "boards": "2"}).status_code == 303
    with k.db.session() as s:
        assert s.scalar(select(RegistryEntry.boards).where(RegistryEntry.association_id == city.north_id)) == 2

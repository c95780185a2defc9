"""City staff edit one association's registry entry on the web (the board's form): the history
names the staff member; another municipality's staff get 404; a POST without its CSRF token
writes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import RegistryChange, RegistryEntry

from citystaff_kit import OTHER_STAFF, make_city, sign_in, staff_link
from registry_kit import clock, form_of  # noqa: F401 - clock is a fixture


@pytest.fixture
def city(db):
    return make_city(db)


def test_city_staff_edit_an_entry_and_the_history_names_them(chat, city, app, db, clock):
    client = app.test_client()
    assert sign_in(client, staff_link(chat, city)).status_code == 303
    page = client.get(f"/city/registry/{city.north_id}/edit")
    assert page.status_code == 200
    form = form_of(page.get_data(as_text=True))
    form.update({"circular_name": "北町 受取", "circular_copies": "３０"})  # full-width digits, as typed
    done = client.post(f"/city/registry/{city.north_id}/edit", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/city/registry/{city.north_id}?saved=2")
    with db.session() as s:
        entry = s.scalar(select(RegistryEntry).where(RegistryEntry.association_id == city.north_id))
        assert (entry.circular_name, entry.circular_copies) == ("北町 受取", 30)
        rows = s.scalars(select(RegistryChange).where(RegistryChange.association_id == city.north_id)).all()
        assert {(r.field, r.actor_kind, r.via) for r in rows} == {("circular_name", "staff", "web"),
                                                                   ("circular_copies", "staff", "web")}
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "北町 受取" in shown and "2項目を保存しました。" in shown

    form.pop("csrf_token")
    form["circular_name"] = "にせもの"
    assert client.post(f"/city/registry/{city.north_id}/edit", data=form).status_code == 400
    with db.session() as s:
        assert s.scalar(select(RegistryEntry.circular_name).where(RegistryEntry.association_id == city.north_id)) \
            == "北町 受取"


def test_another_citys_staff_cannot_open_or_post_the_edit(chat, city, app, db, clock):
    client = app.test_client()
    assert sign_in(client, staff_link(chat, city, OTHER_STAFF, city.other_channel)).status_code == 303
    assert client.get(f"/city/registry/{city.north_id}/edit").status_code == 404
    form = form_of(client.get(f"/city/registry/{city.other_id}/edit").get_data(as_text=True))
    form["circular_name"] = "隣から"
    assert client.post(f"/city/registry/{city.north_id}/edit", data=form).status_code == 404
    with db.session() as s:
        assert s.scalar(select(RegistryEntry.id).where(RegistryEntry.association_id == city.north_id)) is None

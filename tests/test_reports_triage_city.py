"""通報 forwarded to the city (市へ転送): the city staff see the reports their municipality's
associations forwarded, and move them on (完了) through the same change_status as the officers:
the reporter hears it through the outbox. Not forwarded, or forwarded to another city: 404."""
import pytest
import time_machine
from sqlalchemy import select

from handlers.messages import texts
from handlers.reports import triage
from models import OutboxMessage
from models.reports import Report

from citystaff_kit import CHAIR_N, OTHER_STAFF, RESIDENT_N, csrf_of, make_city, sign_in, staff_link
from triage_kit import T0, make_report, member_of, report


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def forward(db, rid, note="市道の街灯です。"):
    with db.session() as s:
        assert triage.change_status(s, s.get(Report, rid), "forwarded", note, True, by_member=member_of(s, CHAIR_N)).ok


def pushed(db, user):
    with db.session() as s:
        return [m["text"] for row in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                if user in row.recipients for m in row.messages]


def test_city_staff_mark_a_forwarded_report_done(app, chat, db, clock):
    city = make_city(db)
    rid = make_report(db, user=RESIDENT_N, comment="北町の街灯が消えています。")
    kept = make_report(db, user=RESIDENT_N, comment="自治会で見ます。")
    forward(db, rid)
    client = app.test_client()
    sign_in(client, staff_link(chat, city))
    listing = client.get("/city/reports").get_data(as_text=True)
    assert "No.2026-0001" in listing and "No.2026-0002" not in listing and "北町自治会" in listing
    page = client.get(f"/city/reports/{rid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "北町の街灯が消えています。" in html and "市道の街灯です。" in html
    assert "北町 住民" not in html  # no resident's name on the city's page
    photo = report(db, rid).photos[0].id
    pic = client.get(f"/city/reports/{rid}/photos/{photo}")
    assert pic.status_code == 200 and pic.headers["Content-Type"] == "image/png"
    assert "no-store" in pic.headers["Cache-Control"]
    assert client.get(f"/city/reports/{kept}").status_code == 404  # not forwarded

    resp = client.post(f"/city/reports/{rid}/status", data={
        "status": "done", "was": "forwarded", "note": "電球を交換しました。", "public": "1", "csrf_token": csrf_of(html)})
    assert resp.status_code == 303
    r = report(db, rid)
    assert r.status == "done" and r.updates[-1].by_staff_id == city.staff_id and r.forwarded_to == city.municipality_id
    assert pushed(db, RESIDENT_N) == ["【通報 No.2026-0001】市へ転送しました。\n市道の街灯です。",
                                      "【通報 No.2026-0001】完了しました。\n電球を交換しました。"]
    # the same form again (it still said 市へ転送): refused, nobody told twice
    again = client.post(f"/city/reports/{rid}/status", data={
        "status": "in_progress", "was": "forwarded", "public": "1", "csrf_token": csrf_of(html)})
    assert again.status_code == 409 and texts.REPORT_TRIAGE_CHANGED in again.get_data(as_text=True)
    assert len(pushed(db, RESIDENT_N)) == 2


def test_another_citys_staff_get_404(app, chat, db, clock):
    city = make_city(db)
    rid = make_report(db, user=RESIDENT_N)
    forward(db, rid)
    client = app.test_client()
    sign_in(client, staff_link(chat, city, OTHER_STAFF, city.other_channel))
    assert "No.2026-0001" not in client.get("/city/reports").get_data(as_text=True)
    assert client.get(f"/city/reports/{rid}").status_code == 404
    photo = report(db, rid).photos[0].id
    assert client.get(f"/city/reports/{rid}/photos/{photo}").status_code == 404
    token = csrf_of(client.get("/city/reports").get_data(as_text=True))
    resp = client.post(f"/city/reports/{rid}/status", data={"status": "done", "was": "forwarded", "public": "1",
                                                             "csrf_token": token})
    assert resp.status_code == 404
    assert report(db, rid).status == "forwarded"

"""Open311 GeoReport v2 (bot/web/open311.py): services.json, requests.json and requests/<id>.json
are public, read-only JSON whose shape follows the spec's field definitions (checked with a JSON
schema written from https://wiki.open311.org/GeoReport_v2/ below); drafts never show; positions are
rounded to 3 decimals; no name, LINE id, 班 or typed address leaves."""
import datetime as dt

import jsonschema
import pytest
import time_machine
from sqlalchemy import select

from handlers.messages import texts
from handlers.reports import triage
from models import Association, Member, Municipality
from models.reports import Report

from triage_kit import CHAIR, ITO, SATO, T0, give_city, make_report, member_of

ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$"
SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
    "properties": {
        "service_code": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
        "service_name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string"},
        "group": {"type": "string"},
    },
}
REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_name", "service_code", "requested_datetime"],
    "additionalProperties": False,  # the spec's fields only: nothing personal can slip in unnoticed
    "properties": {
        "service_request_id": {"type": "string", "minLength": 1},
        "status": {"enum": ["open", "closed"]},
        "status_notes": {"type": ["string", "null"]},
        "service_name": {"type": "string"},
        "service_code": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "agency_responsible": {"type": ["string", "null"]},
        "service_notice": {"type": ["string", "null"]},
        "requested_datetime": {"type": "string", "pattern": ISO},
        "updated_datetime": {"type": ["string", "null"], "pattern": ISO},
        "expected_datetime": {"type": ["string", "null"], "pattern": ISO},
        "address": {"type": ["string", "null"]},
        "address_id": {"type": ["string", "null"]},
        "zipcode": {"type": ["string", "null"]},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "media_url": {"type": ["string", "null"]},
    },
}
ERRORS = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}


def services_of(body):
    jsonschema.validate(body, {"type": "array", "items": SERVICE})
    return body


def requests_of(body):
    jsonschema.validate(body, {"type": "array", "items": REQUEST})
    return body


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def client(app, demo):
    return app.test_client()


def slug(db) -> str:
    with db.session() as s:
        return s.scalar(select(Association.slug).order_by(Association.id))


def test_services_are_the_categories_with_stable_codes(client, db, clock):
    resp = client.get("/open311/v2/services.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = services_of(resp.get_json())
    assert [s["service_name"] for s in body] == list(texts.REPORT_CATEGORIES)
    assert body[1]["service_code"] == "streetlight" and body[1]["metadata"] is False and body[1]["type"] == "realtime"
    with db.session() as s:
        s.scalars(select(Association)).first().report_categories = "街灯・防犯灯\nカラス"
    body = services_of(client.get(f"/open311/v2/services.json?jurisdiction_id={slug(db)}").get_json())
    assert [s["service_name"] for s in body] == ["街灯・防犯灯", "カラス"]
    assert body[0]["service_code"] == "streetlight" and body[1]["service_code"].isascii()
    again = client.get(f"/open311/v2/services.json?jurisdiction_id={slug(db)}").get_json()
    assert again[1]["service_code"] == body[1]["service_code"]
    missing = client.get("/open311/v2/services.json?jurisdiction_id=nowhere")
    assert missing.status_code == 404
    jsonschema.validate(missing.get_json(), ERRORS)


def test_requests_show_confirmed_reports_without_personal_data(client, db, clock):
    rid = make_report(db, user=SATO, lat=35.681236, lng=139.767125, comment="街灯が消えています。")
    make_report(db, status="draft", comment="下書きの通報")
    with db.session() as s:
        r = s.get(Report, rid)
        triage.change_status(s, r, "checking", "業者に連絡しました。", True, by_member=member_of(s, CHAIR))
        triage.change_status(s, r, "in_progress", "内部のメモ", False, by_member=member_of(s, CHAIR))
    resp = client.get("/open311/v2/requests.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    (item,) = requests_of(resp.get_json())
    assert item["service_request_id"] == f"{slug(db)}-2026-0001"
    assert item["status"] == "open" and item["status_notes"] == "業者に連絡しました。"
    assert (item["lat"], item["long"]) == (35.681, 139.767)
    assert item["service_code"] == "streetlight" and item["description"] == "街灯が消えています。"
    assert item["address"] == "" and "media_url" not in item
    assert item["requested_datetime"] == "2026-06-10T10:00:00+09:00"
    assert item["agency_responsible"] == "東町自治会"
    raw = resp.get_data(as_text=True)
    with db.session() as s:
        names = [m.name for m in s.scalars(select(Member)) if m.name]
        uids = [m.line_user_id for m in s.scalars(select(Member)) if m.line_user_id]
    text = resp.get_data().decode("unicode_escape")
    for secret in names + uids + ["丸の内", "1班", "下書き", "内部のメモ"]:
        assert secret not in text and secret not in raw

    one = client.get(f"/open311/v2/requests/{item['service_request_id']}.json")
    assert one.status_code == 200 and requests_of(one.get_json()) == [item]


def test_unknown_and_draft_ids_are_404_json(client, db, clock):
    draft = make_report(db, status="draft")
    for rid in (f"{slug(db)}-2026-0001", "nowhere-2026-0001", "garbage", f"{slug(db)}-{draft}"):
        resp = client.get(f"/open311/v2/requests/{rid}.json")
        assert resp.status_code == 404 and resp.mimetype == "application/json", rid
        jsonschema.validate(resp.get_json(), ERRORS)


def test_filters(client, db, clock):
    light = make_report(db, category="街灯・防犯灯", at=T0 - dt.timedelta(days=3))
    road = make_report(db, user=ITO, category="道路・歩道", at=T0 - dt.timedelta(days=1))
    old = make_report(db, category="公園", at=T0 - dt.timedelta(days=120))
    with db.session() as s:
        triage.change_status(s, s.get(Report, road), "done", "直しました。", True, by_member=member_of(s, CHAIR))
    a = slug(db)

    def ids(query):
        resp = client.get(f"/open311/v2/requests.json{query}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [i["service_request_id"] for i in requests_of(resp.get_json())]

    n_light, n_road, n_old = f"{a}-2026-0001", f"{a}-2026-0002", f"{a}-2026-0003"
    assert ids("") == [n_road, n_light]  # the last 90 days, newest first
    assert ids("?status=open") == [n_light]
    assert ids("?status=closed") == [n_road]
    assert ids("?service_code=road") == [n_road]
    assert ids("?start_date=2026-01-01T00:00:00%2B09:00") == [n_road, n_light, n_old]
    assert ids("?start_date=2026-01-01T00:00:00Z&end_date=2026-06-08T12:00:00%2B09:00") == [n_light, n_old]
    assert ids(f"?service_request_id={n_old},{n_light}") == [n_light, n_old]
    assert ids(f"?jurisdiction_id={a}&status=closed") == [n_road]
    bad = client.get("/open311/v2/requests.json?status=maybe")
    assert bad.status_code == 400
    jsonschema.validate(bad.get_json(), ERRORS)
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert client.get("/open311/v2/requests.json?jurisdiction_id=nowhere").status_code == 404
    assert light and old


def test_a_forwarded_report_names_the_city(client, db, clock):
    rid = make_report(db)
    give_city(db, "みなと市")
    with db.session() as s:
        assert triage.change_status(s, s.get(Report, rid), "forwarded", "市道です。", True,
                                    by_member=member_of(s, CHAIR)).ok
    (item,) = requests_of(client.get("/open311/v2/requests.json").get_json())
    assert item["agency_responsible"] == "みなと市" and item["status"] == "open"
    assert item["status_notes"] == "市道です。"

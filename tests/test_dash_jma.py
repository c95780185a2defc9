"""自動開始 on the dashboard (/admin/jma): the chair and the 防災担当 set the municipality codes, the
threshold and the way disaster mode starts from JMA's telegrams; a city's rule is copied before a
change; every change is in the audit log; wrong codes change nothing."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Association, AuditLog, JmaRule, JmaStart, JmaTelegram, Municipality, Role

from admin_kit import CHAIR, csrf_token, post_form, set_role, sign_in

BOSAI = demo_user_id("小林 修")
LEADER2 = demo_user_id("田中 実")
T0 = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
GOOD = {"city_codes": "１３１０１００、1310200 1310100", "quake_areas": "350", "tsunami_areas": "",
        "min_intensity": "5+", "mode": "auto", "ask_minutes": "15", "quake": "1", "special": "1"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def rules(db) -> list[tuple]:
    with db.session() as s:
        return [(r.association_id, r.municipality_id, r.city_codes, r.quake_areas, r.min_intensity, r.mode,
                 r.ask_minutes, r.quake, r.tsunami, r.special) for r in s.scalars(select(JmaRule).order_by(JmaRule.id))]


def test_the_chair_sets_the_rule_and_the_audit_log_says_what_changed(app, line, demo, db):
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get("/admin/jma").get_data(as_text=True)
    assert texts.JMA_PAGE_NO_RULE in page and texts.NAV_JMA in page
    resp = post_form(client, "/admin/jma", "/admin/jma", GOOD)
    assert resp.status_code == 303
    with db.session() as s:
        aid = s.scalar(select(Association.id))
    assert rules(db) == [(aid, None, "1310100,1310200", "350", "5+", "auto", 15, True, False, True)]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.JMA_PAGE_SAVED in page and 'value="1310100,1310200"' in page
    with db.session() as s:
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "jma.rule"))
        assert entry.detail["after"]["city_codes"] == "1310100,1310200" and entry.detail["after"]["mode"] == "auto"
        assert entry.detail["before"]["mode"] == "ask"  # the defaults it started from
    # the chat shows the same rule
    out = line.text(CHAIR, "自動開始")
    assert "1310100,1310200" in str(out) and texts.JMA_MODE["auto"] in str(out)


@pytest.mark.parametrize("field,value,error", [
    ("city_codes", "131010", texts.JMA_PAGE_BAD_CODES),
    ("city_codes", "1310100,abc", texts.JMA_PAGE_BAD_CODES),
    ("tsunami_areas", "3000", texts.JMA_PAGE_BAD_AREAS),
    ("city_codes", ",".join(str(1310100 + i) for i in range(21)), texts.JMA_PAGE_TOO_MANY.format(n=20)),
    ("min_intensity", "3", texts.JMA_PAGE_BAD_CHOICE),
    ("mode", "now", texts.JMA_PAGE_BAD_CHOICE),
    ("ask_minutes", "0", texts.JMA_PAGE_BAD_MINUTES),
    ("ask_minutes", "121", texts.JMA_PAGE_BAD_MINUTES),
])
def test_wrong_values_are_said_and_change_nothing(app, line, demo, db, field, value, error):
    client = app.test_client()
    sign_in(client, line, BOSAI)  # the 防災担当 may too
    resp = post_form(client, "/admin/jma", "/admin/jma", {**GOOD, field: value})
    assert resp.status_code == 400 and error in resp.get_data(as_text=True)
    assert rules(db) == []


def test_a_citys_rule_is_shown_and_copied_before_a_change(app, line, demo, db):
    with db.session() as s:
        city = Municipality(name="東市")
        s.add(city)
        s.flush()
        s.scalar(select(Association)).municipality_id = city.id
        s.add(JmaRule(municipality_id=city.id, city_codes="1310100", quake_areas="", tsunami_areas="300",
                      min_intensity="5-", quake=True, tsunami=True, special=True, mode="ask", ask_minutes=10))
        cid, aid = city.id, s.scalar(select(Association.id))
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get("/admin/jma").get_data(as_text=True)
    assert texts.JMA_PAGE_CITY_RULE in page and 'value="300"' in page
    assert post_form(client, "/admin/jma", "/admin/jma", {**GOOD, "tsunami_areas": "300", "tsunami": "1"}).status_code == 303
    assert rules(db) == [(None, cid, "1310100", "", "5-", "ask", 10, True, True, True),  # the city's, untouched
                         (aid, None, "1310100,1310200", "350", "5+", "auto", 15, True, True, True)]


def test_only_the_chair_and_the_disaster_officer(app, line, demo, db):
    client = app.test_client()
    sign_in(client, line, LEADER2)
    resp = client.get("/admin/jma")
    assert resp.status_code == 403 and texts.JMA_PAGE_ONLY in resp.get_data(as_text=True)
    assert 'href="/admin/jma"' not in client.get("/admin/").get_data(as_text=True)
    set_role(db, LEADER2, Role.officer)  # 役員: not one who starts disaster mode (and signed out by the change)
    client = app.test_client()
    sign_in(client, line, LEADER2)
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/jma", data={**GOOD, "csrf_token": token}).status_code == 403
    assert rules(db) == []


def test_without_the_forms_token_nothing_is_saved(app, line, demo, db):
    client = app.test_client()
    sign_in(client, line, CHAIR)
    assert client.post("/admin/jma", data=GOOD).status_code == 400
    assert rules(db) == []


def test_the_history_lists_what_the_telegrams_did(app, line, demo, db):
    with db.session() as s:
        aid = s.scalar(select(Association.id))
        t = JmaTelegram(entry_id="urn:test:1", code="VXSE53", outcome="matched")
        s.add(t)
        s.flush()
        s.add(JmaStart(association_id=aid, telegram_id=t.id, event_key="quake:1", kind="quake",
                       message="地震", what="震度5強", state="declined"))
    client = app.test_client()
    sign_in(client, line, CHAIR)
    history = client.get("/admin/jma").get_data(as_text=True).split('id="history"')[1]
    assert "9月1日 10:00 震度5強" in history and texts.JMA_START_STATES["declined"] in history

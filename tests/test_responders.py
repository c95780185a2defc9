"""Who goes (issue 14): officers and block leaders see silent, needy and rescue households on the
live page (unassigned rescue requests on top, 要支援 first), send a member with one tap; the
responder's push carries the household, address, needs and map link; their buttons record the
household's report (代理, with who and when) and tell whoever sent them; nobody is sent twice unseen."""
from sqlalchemy import func, select, update

from bot.outbox import drain
from handlers.messages import texts
from models import DeliveryHistory, DialogState, Household, OutboxMessage, SafetyAssignment, SafetyLocation

from admin_kit import sign_in
from chat import all_text
from conftest import member
from drills_kit import csrf, delivery_id, start_drill
from safety_kit import BOSAI, CHAIR, ITO, LEADER2, NAKAMURA, SATO, check_of, clock, pushes, report, start  # noqa: F401


def section(page: str) -> str:
    return page.split('id="assign-table"')[1].split("</ul>")[0]


def rows_of(page: str) -> list[str]:
    return section(page).split("<li ")[1:]


def signed_in(app, line, who=CHAIR):
    client = app.test_client()
    sign_in(client, line, who)
    return client


def send(client, household: str, db, who: str, again: bool = False):
    page = client.get("/admin/safety/").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "delivery": delivery_id(db, household), "member": member(db, who).id}
    if again:
        form["again"] = "1"
    return client.post("/admin/safety/assign", data=form)


def visit_cards(fake, user, after=0):
    return [m for q in pushes(fake, after) if user in str(q.body.get("to")) for m in q.body["messages"]
            if "訪問のお願い" in m.get("altText", "")]


def test_the_section_puts_unassigned_rescue_on_top_and_support_first(app, line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.tap(ITO, [check_of(fake, ITO)], "救助が必要")
    line.tap(SATO, [check_of(fake, SATO)], "無事")
    client = signed_in(app, line)
    rows = rows_of(client.get("/admin/safety/").get_data(as_text=True))
    assert "伊藤 美咲様" in rows[0] and "data-unassigned-rescue" in rows[0]
    silent = [r for r in rows[1:]]
    support = [i for i, r in enumerate(silent) if texts.VISIT_SUPPORT in r]
    assert support == list(range(len(support))) and len(support) == 3  # 中村, 高橋, 山本 first
    assert not any("佐藤 花子様" in r for r in rows)  # answered 無事, no needs: nobody has to go
    (nakamura,) = [r for r in rows if "中村 幸子様" in r]
    assert texts.SAFETY_ASSIGN_BUTTON.format(name="田中 実") in nakamura  # the 班長, one tap


def test_one_tap_sends_the_block_leader_with_address_needs_and_map(app, line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    with db.session() as s:
        s.execute(update(Household).where(Household.name == "中村 幸子").values(address="東町2-5-1"))
    reply = line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "けが人あり")
    line.tap(NAKAMURA, reply, "移動の手助け")
    line.location(NAKAMURA, 35.6831, 139.7703)
    client = signed_in(app, line)
    before = len(fake.sends())
    resp = send(client, "中村 幸子", db, LEADER2)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#assign")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.SAFETY_ASSIGN_DONE.format(name="田中 実") in page
    (row,) = [r for r in rows_of(page) if "中村 幸子様" in r]
    assert "田中 実様（" in row and texts.SAFETY_ASSIGN_BUTTON.format(name="田中 実") not in row
    ids = (member(db, LEADER2).id, member(db, CHAIR).id, None)
    with db.session() as s:
        (a,) = s.scalars(select(SafetyAssignment)).all()
        assert (a.responder_id, a.assigned_by_id, a.outcome) == ids
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2, before)
    shown = all_text([card])
    assert "中村 幸子様" in shown and "東町2-5-1" in shown and "移動の手助け" in shown
    assert "https://maps.google.com/?q=35.683100,139.770300" in shown
    assert [b["action"]["label"] for b in card["contents"]["footer"]["contents"]] == list(texts.RESPONDER_OUTCOMES.values())


def test_the_responders_report_updates_the_household_as_proxy(app, line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2)
    assert all_text(line.tap(SATO, [card], "訪問しました・無事")) == texts.STALE_BUTTON  # not theirs
    assert report(db, "中村 幸子").answer is None
    before = len(fake.sends())
    thanks = line.tap(LEADER2, [card], "訪問しました・無事")
    assert texts.RESPONDER_THANKS.format(outcome="訪問しました・無事", household="中村 幸子") in all_text(thanks)
    r = report(db, "中村 幸子")
    assert (r.answer, r.answered_by_proxy, r.answered_by_id) == ("safe", True, member(db, LEADER2).id)
    with db.session() as s:
        assert s.scalars(select(SafetyAssignment)).one().outcome == "safe"
        assert s.scalar(select(func.count()).select_from(DeliveryHistory).where(DeliveryHistory.proxy.is_(True))) == 1
    drain(db, k.line)
    told = [m for q in pushes(fake, before) if CHAIR in str(q.body.get("to")) for m in q.body["messages"]]
    assert texts.RESPONDER_TOLD.format(block="2班", household="中村 幸子", outcome="訪問しました・無事",
                                       who="田中 実さん") in all_text(told)
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert texts.SAFETY_PROXY_TAG in page and "田中 実" in page


def test_a_rescue_report_alerts_like_a_residents_own(app, line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2)
    line.tap(LEADER2, [card], "救助要請")
    assert report(db, "中村 幸子").answer == "rescue"
    purpose = f"rescue:{delivery_id(db, '中村 幸子')}"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == purpose)) == 1


def test_nobody_is_sent_twice_without_the_officer_seeing_it(app, line, demo, db, fake, k, clock):
    start(line)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    again = send(client, "中村 幸子", db, ITO)
    assert again.status_code == 409
    assert texts.SAFETY_ASSIGN_AGAIN.format(household="中村 幸子", names="田中 実様") in again.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyAssignment)) == 1
    assert send(client, "中村 幸子", db, ITO, again=True).status_code == 303
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyAssignment)) == 2
    page = client.get("/admin/safety/").get_data(as_text=True)
    (row,) = [r for r in rows_of(page) if "中村 幸子様" in r]
    assert "田中 実様（" in row and "伊藤 美咲様（" in row
    assert texts.SAFETY_ASSIGN_OPTION.format(name="田中 実", n=1) in page  # already has one: said when picking


def test_a_block_leader_sends_only_to_their_own_ban(app, line, demo, db, fake, k, clock):
    start(line)
    client = signed_in(app, line, LEADER2)
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert all("2班" in r for r in rows_of(page))
    assert send(client, "高橋 和子", db, LEADER2).status_code == 404  # 1班
    assert send(client, "中村 幸子", db, ITO).status_code == 303
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyAssignment)) == 1


def test_after_the_end_the_buttons_are_closed(app, line, demo, db, fake, k, clock):
    start(line)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2)
    line.tap(BOSAI, line.text(BOSAI, texts.CMD_DISASTER_END), texts.DISASTER_END_YES)
    assert all_text(line.tap(LEADER2, [card], "訪問しました・無事")) == texts.RESPONDER_CLOSED
    assert report(db, "中村 幸子").answer is None


def test_in_a_drill_the_visit_card_is_marked(app, line, demo, db, fake, k, clock):
    start_drill(line)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2)
    assert card["altText"].startswith("【訓練】【訪問のお願い】")


def test_visit_cards_go_with_the_locations_after_the_retention(app, line, demo, db, fake, k, clock):
    import datetime as dt

    from scheduler.safety import purge_locations

    start(line)
    line.location(NAKAMURA, 35.6831, 139.7703)
    client = signed_in(app, line)
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    line.tap(BOSAI, line.text(BOSAI, texts.CMD_DISASTER_END), texts.DISASTER_END_YES)
    clock.shift(dt.timedelta(days=k.settings.location_retention_days, minutes=1))
    purge_locations(k)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.purpose.like("visit-ask:%"))) == 0
        assert s.scalar(select(func.count()).select_from(SafetyAssignment)) == 1  # who went stays (no location)


def test_the_responder_puts_a_silent_household_on_the_map(app, line, demo, db, fake, k, clock):
    """中村 幸子 (要支援) never answered and shared no place: after the 班長's visit report, the place
    he sends from the door is the household's marker on the live map, with his report in its popup."""
    import json
    start(line)
    drain(db, k.line)
    client = signed_in(app, line)
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert "中村 幸子" not in page.split("data-markers='")[1].split("'")[0]
    send(client, "中村 幸子", db, LEADER2)
    drain(db, k.line)
    (card,) = visit_cards(fake, LEADER2)
    thanks = line.tap(LEADER2, [card], "訪問しました・無事")
    assert texts.RESPONDER_PLACE_ASK in all_text(thanks)
    assert thanks[-1]["quickReply"]["items"][0]["action"] == {"type": "location", "label": texts.RESPONDER_PLACE}
    said = line.location(LEADER2, 35.6581, 139.7017, "東京都渋谷区東1丁目")
    assert all_text(said) == texts.RESPONDER_PLACE_RECORDED
    expected = (delivery_id(db, "中村 幸子"), member(db, LEADER2).id)
    with db.session() as s:
        (loc,) = s.scalars(select(SafetyLocation)).all()
        assert (loc.delivery_id, loc.member_id) == expected
        assert s.scalar(select(func.count()).select_from(DialogState)) == 0  # the question is closed
    page = client.get("/admin/safety/").get_data(as_text=True)
    markers = json.loads(page.split("data-markers='")[1].split("'")[0].replace("&#34;", '"').replace("&#39;", "'")
                         .replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    (nakamura,) = [m for m in markers if "中村 幸子" in m["popup"]]
    assert (nakamura["lat"], nakamura["lng"]) == (35.6581, 139.7017)
    assert nakamura["popup"].startswith("2班 中村 幸子様：無事（田中 実さんが代理で記録")
    # a second location from the 班長 afterwards is his own household's, not 中村's
    line.location(LEADER2, 35.0, 139.0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyLocation).where(
            SafetyLocation.delivery_id == expected[0])) == 1

"""The LINE simulator (/simulator), served for real on a port in simulator mode.

The bot's own line-bot-sdk client talks over HTTP to the fake LINE API mounted at /_fake_line in
the same app; each simulated tap is a signed webhook event posted to /callback. The served app
(`sim`) and its driver live in tests/served.py.
"""
from __future__ import annotations

import json
import re

import pytest
import requests
import time_machine
from linebot.v3.webhooks import Event

from bot.dev.demo import demo_user_id
from bot.dev.simulator import build_event, callback_body, ulid
from bot.webhook import signature
from handlers.messages import texts
from models import Member, MemberStatus

from chat import button, texts_of
from conftest import SECRET, ahead
from line_spec import validate_webhook_event
from served import CHAIR, HANAKO


# --- the page -------------------------------------------------------------------------------
def test_page_lists_demo_people_with_block_and_role(sim):
    page = sim.get("/simulator", open=f"{CHAIR},{HANAKO}")
    assert page.status_code == 200
    html = page.text
    for name in ("山田 太郎", "佐藤 花子", "田中 実", "渡辺 健", "新しい人を追加"):
        assert name in html
    assert "/callback" in html and "simulator.js" in html
    assert CHAIR in html and HANAKO in html  # the panes to open come with the page
    for asset in ("simulator.js", "simulator.css"):
        assert sim.get(f"/static/{asset}").status_code == 200

    users = {u["name"]: u for u in sim.get("/simulator/api/users").json()["users"]}
    assert users["山田 太郎"]["id"] == CHAIR
    assert (users["山田 太郎"]["block"], users["山田 太郎"]["label"]) == ("1班", "会長")
    assert (users["田中 実"]["block"], users["田中 実"]["label"]) == ("2班", "班長")
    assert users["佐藤 花子"]["friend"] is True
    # on LINE in the roster but not registered: can be played, has not added the bot yet
    assert users["渡辺 健"]["kind"] == "household" and users["渡辺 健"]["friend"] is False
    assert "高橋 和子" not in users  # no LINE: paper only


def test_posts_need_the_simulator_header(sim):
    resp = sim.http.post(sim.url + "/simulator/api/send", json={"user_id": CHAIR, "kind": "text", "text": "x"})
    assert resp.status_code == 403
    assert sim.post("/simulator/api/send", {"user_id": "nobody", "kind": "text", "text": "x"}).status_code == 400
    assert sim.post("/simulator/api/send", {"user_id": CHAIR, "kind": "sticker"}).status_code == 400
    assert sim.post("/simulator/api/send", {"user_id": CHAIR, "kind": "text", "text": " "}).status_code == 400
    assert sim.post("/simulator/api/send", {"user_id": CHAIR, "kind": "location",
                                            "latitude": "north", "longitude": 1}).status_code == 400


# --- the whole story: register, circulate, receive -----------------------------------------
def test_register_then_circulate_to_residents(sim):
    created = sim.post("/simulator/api/users", {"name": "渡辺 健", "follow": False})
    assert created.status_code == 201
    me = created.json()["user"]["id"]
    assert me.startswith("U") and len(me) == 33
    assert any(u["id"] == me for u in sim.get("/simulator/api/users").json()["users"])

    sim.send(me, "follow")
    items = sim.new(me)
    assert items[0]["from"] == "user" and items[0]["kind"] == "follow"
    assert texts.AGREE in texts_of(items)
    assert all(i["via"] == "reply" for i in items if i["from"] == "bot")

    sim.tap(me, items, texts.AGREE)
    items = sim.new(me)
    assert items[0]["from"] == "user" and items[0]["displayText"] == texts.AGREE
    question = [i for i in items if i["from"] == "bot"][-1]["message"]
    assert "お住まいの班" in question["text"]
    assert [i["action"]["label"] for i in question["quickReply"]["items"]] == ["1班", "2班", "3班"]

    sim.tap(me, items, "2班")
    assert "お名前" in texts_of(sim.new(me))
    sim.send(me, "text", text="渡辺 健")
    items = sim.new(me)
    assert items[0] == {**items[0], "from": "user", "kind": "text", "text": "渡辺 健"}
    assert "登録が完了しました" in texts_of(items)
    with sim.k.db.session() as s:
        m = s.query(Member).filter_by(line_user_id=me).one()
        assert m.status == MemberStatus.active and m.household.name == "渡辺 健"
    listed = {u["id"]: u for u in sim.get("/simulator/api/users").json()["users"]}
    assert listed[me]["name"] == "渡辺 健" and listed[me]["block"] == "2班" and listed[me]["label"] == "会員"

    # the chair writes a circular in one message and taps [送信] on the preview
    sim.new(HANAKO)
    sim.send(CHAIR, "text", text="回覧 テスト\n本文です")
    preview = sim.new(CHAIR)
    assert "皆さんにはこのように届きます" in texts_of(preview)
    send = button(preview, data_prefix="a=circ_send")
    assert send["label"] == texts.SEND
    sim.tap(CHAIR, preview, data_prefix="a=circ_send")
    assert "送信しました" in texts_of(sim.new(CHAIR))

    assert sim.dispatch() >= 1
    got = sim.bot(HANAKO)
    circulars = [i for i in got if i["message"]["type"] == "flex" and i["message"]["altText"] == texts.ALT_CIRCULAR.format(title="テスト")]
    assert circulars and circulars[0]["via"] == "multicast"
    assert "本文です" in texts_of(circulars)
    assert any(i["message"].get("altText") == texts.ALT_CIRCULAR.format(title="テスト") for i in sim.bot(me))  # the new member too

    # she taps [読みました]
    sim.tap(HANAKO, circulars, texts.READ)
    assert "既読にしました" in texts_of(sim.new(HANAKO))


def test_unfollow_then_follow_again(sim):
    out = sim.send(HANAKO, "unfollow")
    assert "replyToken" not in out["event"]
    with sim.k.db.session() as s:
        assert s.query(Member).filter_by(line_user_id=HANAKO).one().status == MemberStatus.unfollowed
    users = {u["id"]: u for u in sim.get("/simulator/api/users").json()["users"]}
    assert users[HANAKO]["friend"] is False and users[HANAKO]["blocked"] is True

    out = sim.send(HANAKO, "follow")
    assert out["event"]["follow"] == {"isUnblocked": True}
    assert texts.WELCOME_BACK in texts_of(sim.new(HANAKO))
    users = {u["id"]: u for u in sim.get("/simulator/api/users").json()["users"]}
    assert users[HANAKO]["friend"] is True


def test_photo_and_pdf_reach_the_bot_through_the_content_api(sim):
    sim.send(CHAIR, "text", text="回覧 写真つき")
    sim.send(CHAIR, "text", text="本文です")
    assert texts.ASK_ATTACH in texts_of(sim.new(CHAIR))

    png = b"\x89PNG\r\n\x1a\n fake image"
    out = sim.upload(CHAIR, "image", "photo.png", png, "image/png")
    assert out["status"] == 200
    mid = out["event"]["message"]["id"]
    assert out["event"]["message"]["contentProvider"] == {"type": "line"}
    assert sim.fake.content[mid] == (png, "image/png")
    items = sim.new(CHAIR)
    assert items[0]["kind"] == "image"
    assert items[0]["url"] == f"/simulator/api/content/{mid}"
    assert sim.get(items[0]["url"]).content == png
    assert "写真1.jpg" in texts_of(items)  # the bot downloaded it from the fake data API

    pdf = b"%PDF-1.4 fake"
    out = sim.upload(CHAIR, "file", "お知らせ.pdf", pdf, "application/pdf")
    assert out["event"]["message"]["fileName"] == "お知らせ.pdf"
    assert out["event"]["message"]["fileSize"] == len(pdf)
    assert "quoteToken" not in out["event"]["message"]
    assert "お知らせ.pdf" in texts_of(sim.new(CHAIR))
    assert any(r.path.endswith("/content") for r in sim.fake.requests)


def test_location_and_datetime_events(sim):
    out = sim.send(HANAKO, "location", latitude=35.6812, longitude=139.7671, title="東町会館")
    m = out["event"]["message"]
    assert (m["type"], m["latitude"], m["longitude"], m["title"]) == ("location", 35.6812, 139.7671, "東町会館")
    assert "address" not in m
    out = sim.send(HANAKO, "postback", data="a=unknown", params={"datetime": "2026-11-22T10:00"})
    assert out["event"]["postback"] == {"data": "a=unknown", "params": {"datetime": "2026-11-22T10:00"}}
    items = sim.new(HANAKO)
    assert [i["kind"] for i in items if i["from"] == "user"] == ["location", "postback"]


def test_bad_signature_is_refused(sim):
    event = build_event("text", CHAIR, sim.fake.issue_reply_token(CHAIR), text="こんにちは")
    body = callback_body("U" + "0" * 32, [event])
    bad = requests.post(sim.url + "/callback", data=body, timeout=10, headers={
        "X-Line-Signature": signature("not-the-secret", body), "Content-Type": "application/json"})
    assert bad.status_code == 400
    good = requests.post(sim.url + "/callback", data=body, timeout=10, headers={
        "X-Line-Signature": signature(SECRET, body), "Content-Type": "application/json"})
    assert good.status_code == 200


def test_dispatch_sends_queued_pushes_now(sim):
    # a stranger applies with an unknown name: the approvers (2班 leader among them) get a push
    created = sim.post("/simulator/api/users", {"name": "新井 さくら"}).json()
    me = created["user"]["id"]
    assert created["follow"]["status"] == 200 and created["follow"]["event"]["type"] == "follow"
    sim.events.append(created["follow"]["event"])
    items = sim.new(me)
    sim.tap(me, items, texts.AGREE)
    sim.tap(me, sim.new(me), "2班")
    sim.send(me, "text", text="新井 さくら")
    leader = demo_user_id("田中 実")
    sim.new(leader)
    assert sim.dispatch() >= 1
    got = sim.bot(leader)
    assert got and got[0]["via"] in ("push", "multicast") and "新井 さくら" in texts_of(got)


# --- events as LINE builds them -------------------------------------------------------------
@pytest.mark.parametrize("kind,fields", [
    ("text", {"text": "こんにちは\n2行目"}),
    ("postback", {"data": "a=read&c=1"}),
    ("postback", {"data": "a=x", "params": {"datetime": "2026-11-22T10:00"}}),
    ("follow", {"is_unblocked": False}),
    ("follow", {"is_unblocked": True}),
    ("unfollow", {}),
    ("location", {"latitude": 35.6812, "longitude": 139.7671, "title": "東町会館", "address": "東町1-2-3"}),
    ("location", {"latitude": 35.6812, "longitude": 139.7671}),
    ("image", {"message_id": "468789577898262530"}),
    ("file", {"message_id": "468789577898262531", "file_name": "a.pdf", "file_size": 12}),
])
def test_built_events_match_lines_spec(kind, fields):
    user = "U" + "1" * 32
    token = None if kind == "unfollow" else "0123456789abcdef0123456789abcdef"
    e = build_event(kind, user, token, **fields)
    validate_webhook_event(e)
    Event.from_dict(json.loads(callback_body("U" + "f" * 32, [e]))["events"][0])  # what /callback parses
    assert e["mode"] == "active" and e["source"] == {"type": "user", "userId": user}
    assert e["deliveryContext"] == {"isRedelivery": False}
    assert isinstance(e["timestamp"], int) and e["timestamp"] > 1_700_000_000_000
    assert len(e["webhookEventId"]) == 26
    assert ("replyToken" in e) == (kind != "unfollow")
    if e["type"] == "message":
        assert e["message"]["id"].isdigit()
        assert ("quoteToken" in e["message"]) == (kind in ("text", "image"))


def test_ulid_is_time_ordered_crockford():
    a, b = ulid(1_700_000_000_000), ulid(1_700_000_000_001)
    assert len(a) == 26 and a < b and a[:10] == ulid(1_700_000_000_000)[:10]
    assert set(a) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    with pytest.raises(ValueError):
        build_event("text", "U" + "1" * 32, None, text="x")  # a text event always has a reply token


def test_no_simulator_outside_simulator_mode(app):
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.post("/_fake_line/v2/bot/message/push").status_code == 404
    assert "simulator" not in app.extensions["kairan"].extras


def test_simulator_refuses_other_machines(sim):
    client = sim.app.test_client()
    far = {"REMOTE_ADDR": "192.0.2.10"}  # TEST-NET address: never contacted, only written in the request
    assert client.get("/simulator", environ_base=far).status_code == 403
    assert client.get("/simulator/api/users", environ_base=far).status_code == 403
    assert client.get("/simulator").status_code == 200  # from this machine


def test_disaster_drill_end_to_end(sim):
    """Start, residents answer with locations, one asks for rescue, one stays silent and is
    re-asked, the disaster officer watches the live page, the chair ends it."""
    import datetime as dt

    import time_machine

    from models import Disaster
    from scheduler.safety import reask

    bosai, ito, nakamura, suzuki = (demo_user_id(n) for n in ("小林 修", "伊藤 美咲", "中村 幸子", "鈴木 一郎"))
    sim.send(bosai, "text", text="災害モード")
    sim.tap(bosai, sim.new(bosai), "地震")
    sim.send(bosai, "text", text="震度5強の揺れがありました")
    sim.tap(bosai, sim.new(bosai), "開始する")
    assert "災害モード（地震）を開始しました" in texts_of(sim.new(bosai))
    sim.dispatch()

    for who, status, place in ((HANAKO, "無事", "東町会館"), (ito, "避難しました", "東町小学校"),
                               (nakamura, "救助が必要", "東町公園（避難場所）")):
        check = [i for i in sim.bot(who) if "安否確認" in i["message"].get("altText", "")]
        assert check and check[0]["via"] == "multicast"
        sim.send(who, "location", latitude=35.6812, longitude=139.7671, title=place, address=place)
        sim.tap(who, check, status)
        assert f"「{status}」で記録しました" in texts_of(sim.new(who))
    sim.dispatch()
    alert = [i for i in sim.bot(bosai) if "救助要請" in texts_of([i])]
    assert alert and "2班 中村 幸子様の世帯" in texts_of(alert) and "maps.google.com" in texts_of(alert)

    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        assert reask(sim.k) >= 1
        sim.dispatch()
    assert any("再送" in i["message"].get("altText", "") for i in sim.bot(suzuki))  # silent: asked again
    assert not any("再送" in i["message"].get("altText", "") for i in sim.bot(HANAKO))  # answered: not

    sim.send(bosai, "text", text="管理画面")
    link = button(sim.new(bosai), texts.ADMIN_OPEN)["uri"]
    browser = requests.Session()
    assert browser.post(link, headers={"Origin": sim.url}, timeout=30).status_code == 200  # redirected to /admin/
    page = browser.get(sim.url + "/admin/safety/", timeout=30).text
    assert "救助が必要" in page and "中村 幸子様" in page and 'id="map"' in page and "鈴木 一郎様" in page

    sim.send(CHAIR, "text", text="災害モード終了")
    sim.tap(CHAIR, sim.new(CHAIR), "終了する")
    assert "災害モードを終了しました" in texts_of(sim.new(CHAIR))
    with sim.k.db.session() as s:
        assert s.query(Disaster).one().ended_at is not None


def test_attendance_from_chat_to_csv(sim):
    # 22 Nov at 10:00, before 「締切 12/1」 and 「日時 12/5」 (of that year); the served app shares the clock
    with time_machine.travel(ahead(11, 22, 10), tick=False):
        sim.send(CHAIR, "text", text="出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n対象 全体\n回答 世帯\n人数 あり")
        preview = sim.new(CHAIR)
        sim.tap(CHAIR, preview, data_prefix="a=ev_send")
        sim.dispatch()
        card = [i for i in sim.bot(HANAKO) if i["message"].get("altText") == texts.ALT_EVENT.format(name="秋の清掃活動")]
        assert card, texts_of(sim.new(HANAKO))
        sim.tap(HANAKO, card, "参加")
        sim.new(HANAKO)
        sim.send(CHAIR, "text", text="管理画面")
        link = button(sim.new(CHAIR), texts.ADMIN_OPEN)["uri"]
        browser = requests.Session()
        browser.post(link, headers={"Origin": sim.url}, timeout=30)
        events = browser.get(sim.url + "/admin/events", timeout=30).text
        assert "秋の清掃活動" in events
        event_id = re.search(r"/admin/events/(\d+)", events).group(1)
        raw = browser.get(f"{sim.url}/admin/events/{event_id}.csv", timeout=30).content
        assert raw.startswith("\ufeff所属,種別,氏名,回答,連絡事項".encode())
        assert "佐藤 花子" in raw.decode("utf-8-sig") and "参加" in raw.decode("utf-8-sig")


def test_drill_residents_who_type_or_send_a_photo(sim):
    """Issue 8's drill, as it was tried: typed answers and a photo are recorded, never 退会 help."""
    from sqlalchemy import select

    from models import Delivery, Household, SafetyPhoto

    bosai, kato, yamamoto, suzuki = (demo_user_id(n) for n in ("小林 修", "加藤 恵子", "山本 節子", "鈴木 一郎"))
    sim.send(bosai, "text", text="災害モード")
    sim.tap(bosai, sim.new(bosai), "地震")
    sim.send(bosai, "text", text="なし")
    sim.tap(bosai, sim.new(bosai), "開始する")
    sim.dispatch()
    for who, typed, label in ((HANAKO, "大丈夫です", "無事"), (suzuki, "無事", "無事"), (kato, "ﾋﾅﾝｼﾏｼﾀ", "避難しました")):
        sim.new(who)
        sim.send(who, "text", text=typed)
        said = texts_of(sim.new(who))
        assert f"「{label}」で記録しました" in said and "退会" not in said
    sim.new(yamamoto)
    assert sim.upload(yamamoto, "image", "house.jpg", b"\xff\xd8\xff house", "image/jpeg")["status"] == 200
    said = sim.new(yamamoto)
    assert "写真を受け取りました" in texts_of(said) and "退会" not in texts_of(said)
    assert button(said, "無事")  # the status buttons again
    from scheduler.safety import fetch_photos
    assert fetch_photos(sim.k) == 1  # the scheduler's job (every 3 s) downloads it
    with sim.k.db.session() as s:
        answers = dict(s.execute(select(Household.name, Delivery.answer).join(Delivery.household)
                                 .where(Delivery.of_kind("safety"))).all())
        assert (answers["佐藤 花子"], answers["鈴木 一郎"], answers["加藤 恵子"]) == ("safe", "safe", "evacuated")
        assert s.scalars(select(SafetyPhoto.data)).all() == [b"\xff\xd8\xff house"]
    sim.send(bosai, "text", text="安否状況")
    said = sim.new(bosai)
    assert "高橋 和子様（紙・要支援）" in texts_of(said)  # the visit lists' marks
    browser = requests.Session()
    resp = browser.post(button(said, texts.SAFETY_PAGE_OPEN)["uri"], headers={"Origin": sim.url}, timeout=30,
                        allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/safety/")
    assert "写真1" in browser.get(sim.url + "/admin/safety/", timeout=30).text

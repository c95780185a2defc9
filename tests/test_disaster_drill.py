"""The 地震 drill replayed (issue 8): residents who type or send a photo are heard, 救助が必要 tells
them to call 119, block leaders get visit lists, 「安否状況」 marks paper households and links the
live page; and one household cannot flood rescue alerts (issue 18 #2)."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from bot.dev.fake_line import message_text
from bot.outbox import drain
from bot.web.signin import landing, safe_next
from handlers.messages import texts
from handlers.safety.common import URGENT
from handlers.safety.report import read_status
from models import DialogState, Disaster, OutboxMessage, SafetyPhoto
from scheduler.safety import PHOTO_ATTEMPTS, fetch_photos, reask

from chat import all_text, button, labels
from safety_kit import BOSAI, CHAIR, ITO, LEADER2, NAKAMURA, SATO, check_of, clock, pushes, report, start  # noqa: F401

SUZUKI = demo_user_id("鈴木 一郎")  # 1班
KATO = demo_user_id("加藤 恵子")  # 3班
YAMAMOTO = demo_user_id("山本 節子")  # 3班, 要支援
STATUS_LABELS = ["無事", "けが人あり", "救助が必要", "避難しました"]


def no_help(messages):
    text = all_text(messages)
    assert "退会" not in text and texts.HELP_MEMBER not in text, text


@pytest.mark.parametrize("typed, status", [
    ("大丈夫です", "safe"), ("無事", "safe"), ("ぶじです", "safe"), ("ﾌﾞｼﾞ", "safe"), ("元気です！", "safe"),
    ("ﾋﾅﾝｼﾏｼﾀ", "evacuated"), ("避難しました", "evacuated"), ("ひなんしています", "evacuated"),
    ("けが人あり", "injured"), ("ケガをしました", "injured"), ("怪我", "injured"),
    ("救助が必要", "rescue"), ("たすけて", "rescue"), ("助けてください", "rescue"), ("ﾀｽｹﾃ", "rescue"),
    ("無事ですが、母がけがをしました", "injured"),  # the most urgent named wins
    ("避難所にいます。みんな無事です", "evacuated"),
    ("けがはありません。無事です", "safe"),  # a denied status does not count
    ("救助は不要です", None), ("助けは要りません", None), ("けが人なし", None), ("水が足りません", None), ("読みました", None), ("", None),
])
def test_typed_status_words(typed, status):
    assert read_status(typed) == status


def test_drill_typed_and_photo_replies_are_recorded(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    # 「大丈夫です」, then the button's own label: both recorded as the button would
    r = line.text(SATO, "大丈夫です")
    assert "「無事」で記録しました（佐藤 花子様の世帯）" in all_text(r)
    no_help(r)
    r = line.text(SUZUKI, "無事")
    assert "「無事」で記録しました（鈴木 一郎様の世帯）" in all_text(r)
    r = line.text(KATO, "ﾋﾅﾝｼﾏｼﾀ")
    assert "「避難しました」で記録しました（加藤 恵子様の世帯）" in all_text(r)
    no_help(r)
    # a photo: kept once (the content API asked once, even when LINE sends the event again)
    before = len([q for q in fake.requests if q.path.endswith("/content")])
    r = line.image(YAMAMOTO, b"\xff\xd8\xff drill photo", "image/jpeg")
    assert texts.SAFETY_PHOTO_RECORDED.format(household="山本 節子") in all_text(r)
    assert set(STATUS_LABELS) <= set(labels(r))  # answered with the status buttons again
    no_help(r)
    photo_event = line.base(YAMAMOTO, "message")
    mid = next(iter(m for m in fake.content if fake.content[m][0] == b"\xff\xd8\xff drill photo"))
    photo_event["message"] = {"id": mid, "type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q1"}
    assert line.post(photo_event) == 200  # the same photo again (another webhook event)
    assert len([q for q in fake.requests if q.path.endswith("/content")]) == before  # not while handling
    assert fetch_photos(k) == 1 and fetch_photos(k) == 0  # the scheduler's job downloads it, once
    assert len([q for q in fake.requests if q.path.endswith("/content")]) - before == 1
    # any other text is the household's 連絡事項, answered with the buttons
    r = line.text(ITO, "水が足りません")
    assert texts.SAFETY_NOTE_RECORDED.format(household="伊藤 美咲") in all_text(r)
    assert set(STATUS_LABELS) <= set(labels(r))
    no_help(r)
    r = line.text(ITO, "家族4人、公民館に向かいます")  # still no status: kept, buttons again
    assert set(STATUS_LABELS) <= set(labels(r))
    with db.session() as s:
        (photo,) = s.scalars(select(SafetyPhoto)).all()
        assert photo.data == b"\xff\xd8\xff drill photo" and photo.content_type == "image/jpeg"
    assert photo.delivery_id == report(db, "山本 節子").id
    assert report(db, "佐藤 花子").answer == "safe"
    assert report(db, "鈴木 一郎").answer == "safe"
    kato = report(db, "加藤 恵子")
    assert kato.answer == "evacuated" and not kato.answered_by_proxy and kato.answered_by.name == "加藤 恵子"
    yamamoto = report(db, "山本 節子")
    assert yamamoto.answer is None and yamamoto.answer_data["comment"] == texts.SAFETY_PHOTO_NOTE
    ito = report(db, "伊藤 美咲")
    assert ito.answer is None and ito.answer_data["comment"] == "水が足りません\n家族4人、公民館に向かいます"
    assert [n["t"] for n in ito.answer_data["notes"]] == ["水が足りません", "家族4人、公民館に向かいます"]
    # officers see the 連絡事項 and the counts
    board = all_text(line.text(CHAIR, "安否状況"))
    assert "無事 2" in board and "避難しました 1" in board and "未回答 9世帯" in board
    # nobody was told how to withdraw during the drill
    for user in (SATO, SUZUKI, KATO, YAMAMOTO, ITO):
        assert not any("退会" in t for t in fake.texts_for(user)), user


def test_a_typed_status_after_the_button_changes_it_and_a_long_one_is_kept_as_comment(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    chat.tap(SATO, [check_of(fake, SATO)], "無事")
    r = chat.text(SATO, "やっぱり避難所に移りました。母の薬が必要です")  # inside the comment dialog
    assert "「避難しました」で記録しました" in all_text(r)
    sato = report(db, "佐藤 花子")
    assert sato.answer == "evacuated" and [h.answer for h in sato.history] == ["safe", "evacuated"]
    assert sato.answer_data["comment"] == "やっぱり避難所に移りました。母の薬が必要です"


def test_rescue_tap_says_call_119_and_the_alert_goes_first(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    r = line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    assert r[0] == {"type": "text", "text": "会長・防災担当に伝えました。命に関わるときはすぐに119番へ電話してください。"}
    assert "「救助が必要」で記録しました" in all_text(r)
    with db.session() as s:
        (alert,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("rescue:%"))).all()
        assert alert.priority == URGENT == max(s.scalars(select(OutboxMessage.priority)))
    # typed, too; and a typed lesser status never takes a rescue request back
    r = line.text(ITO, "たすけて")
    assert texts.RESCUE_TOLD in all_text(r) and report(db, "伊藤 美咲").answer == "rescue"
    r = line.text(ITO, "足をけがして動けません")
    assert report(db, "伊藤 美咲").answer == "rescue"
    assert "足をけがして動けません" in report(db, "伊藤 美咲").answer_data["comment"]
    drain(db, k.line)
    alerts = [q for q in pushes(fake) if "救助要請" in all_text(q.body.get("messages", []))]
    assert len(alerts) == 2 and "足をけがして動けません" in all_text(alerts[1].body["messages"])


def test_officers_commands_and_open_dialogs_keep_working(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    # an officer is a resident too: 「安否状況」 and 「状況」 stay commands, not 連絡事項
    assert "【安否状況】" in all_text(line.text(CHAIR, "安否状況"))
    assert texts.SAFETY_NOTE_RECORDED.split("（")[0] not in all_text(line.text(CHAIR, "状況"))
    assert report(db, "山田 太郎").answer_data is None
    # mid-dialog at a text step: the text is the circular's title, not a safety answer
    assert texts.ASK_TITLE in all_text(line.text(CHAIR, "回覧"))
    assert texts.ASK_BODY.split("。")[0] in all_text(line.text(CHAIR, "無事"))
    assert report(db, "山田 太郎").answer is None
    line.text(CHAIR, texts.CANCEL)
    # at a step that waits for a button, a typed status is recorded and the draft waits
    preview = line.text(CHAIR, "回覧 防災訓練\n来週は中止です。")
    assert "「無事」で記録しました" in all_text(line.text(CHAIR, "無事です"))
    assert report(db, "山田 太郎").answer == "safe"
    with db.session() as s:
        assert s.scalar(select(DialogState.flow).where(DialogState.line_user_id == CHAIR)) == "circular"
    assert texts.SEND in labels(preview)
    # a dialog left for more than 30 minutes waits; the message is about the disaster
    line.text(LEADER2, "回覧")
    clock.shift(dt.timedelta(minutes=31))
    assert "「避難しました」で記録しました" in all_text(line.text(LEADER2, "ﾋﾅﾝｼﾏｼﾀ"))
    with db.session() as s:
        assert s.scalar(select(DialogState.step).where(DialogState.line_user_id == LEADER2)) == "title"


def test_visit_lists_at_the_start_and_after_the_last_reask(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)

    def visits(user):
        return [message_text(d.message) for d in fake.delivered
                if d.user_id == user and "【訪問のお願い】" in message_text(d.message)]

    (leader,) = visits(LEADER2)
    assert "訪問して安否を記録してください（代理回答）" in leader
    assert "■2班：渡辺 健様（紙）、中村 幸子様（要支援）" in leader
    assert "高橋" not in leader and "伊藤" not in leader and "山本" not in leader
    # 班 without a block leader (1班, 3班): the chair and 防災担当, one push each
    for officer in (CHAIR, BOSAI):
        (board,) = visits(officer)
        assert texts.VISIT_NO_LEADER in board
        assert "■1班：高橋 和子様（紙・要支援）" in board and "■3班：吉田 勇様（紙）、山本 節子様（要支援）" in board
    assert visits(SATO) == [] and visits(ITO) == []
    pushes = [q for q in fake.sends("/push") if "【訪問のお願い】" in all_text(q.body["messages"])]
    assert sorted(q.body["to"] for q in pushes) == sorted([LEADER2, CHAIR, BOSAI])
    # the visit list has the proxy button; 「安否状況」 marks paper households
    proxy = [m for m in fake.messages_for(LEADER2) if "【訪問のお願い】" in message_text(m.message)][0].message
    assert texts.SAFETY_PROXY in labels([proxy])
    board = all_text(chat.text(LEADER2, "安否状況"))
    assert "渡辺 健様（紙）" in board and "中村 幸子様（要支援）" in board and "伊藤 美咲様（紙）" not in board
    assert "高橋 和子様（紙・要支援）" in all_text(chat.text(CHAIR, "安否状況"))  # the visit lists' marks
    # answers come in; the re-asks run their course
    chat.text(ITO, "無事です")
    for _ in range(3):
        clock.shift(dt.timedelta(minutes=30))
        reask(k)
    drain(db, k.line)
    assert len(visits(LEADER2)) == 1  # not yet: the last re-ask has its 30 minutes
    chat.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "避難しました")
    clock.shift(dt.timedelta(minutes=30))
    assert reask(k) == 0
    drain(db, k.line)
    final = visits(LEADER2)[1]
    assert texts.VISIT_FINAL in final and "訪問して安否を記録してください（代理回答）" in final
    assert "■2班：田中 実様、渡辺 健様（紙）" in final  # still silent; 伊藤 and 中村 answered
    assert "高橋 和子様（紙・要支援）" in visits(CHAIR)[1]
    clock.shift(dt.timedelta(minutes=30))
    reask(k)
    drain(db, k.line)
    assert len(visits(LEADER2)) == 2  # once
    with db.session() as s:
        assert s.scalar(select(Disaster.visits_sent_at)) is not None


def sign_in(line, uri):
    client = line.client.application.test_client()
    resp = client.post(uri.replace("https://kairan.example.jp", ""), headers={"Origin": "https://kairan.example.jp"})
    return client, resp


def test_safety_status_links_to_the_live_page(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    for who in (CHAIR, BOSAI, LEADER2):
        reply = line.text(who, "安否状況")
        uri = button(reply, texts.SAFETY_PAGE_OPEN)["uri"]
        assert uri.startswith("https://kairan.example.jp/admin/login/")
        assert texts.SAFETY_PROXY in labels(reply)
        client, resp = sign_in(line, uri)
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/safety/")
        page = client.get("/admin/safety/").get_data(as_text=True)
        assert "伊藤 美咲様" in page
        if who == LEADER2:
            assert "鈴木 一郎様" not in page  # own 班 only
        assert sign_in(line, uri)[1].status_code == 410  # once
    # 「管理画面」 still lands on the admin home
    _, resp = sign_in(line, button(line.text(CHAIR, "管理画面"), texts.ADMIN_OPEN)["uri"])
    assert resp.headers["Location"].endswith("/admin/")
    with db.session() as s:  # an ordinary officer (役員) may open the page (no map): the link too
        from models import Member
        s.scalar(select(Member).where(Member.line_user_id == SATO)).role = "officer"
    reply = line.text(SATO, "安否状況")
    assert "【安否状況】" in all_text(reply)
    client, resp = sign_in(line, button(reply, texts.SAFETY_PAGE_OPEN)["uri"])
    assert resp.headers["Location"].endswith("/admin/safety/")
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert "伊藤 美咲様" in page and 'id="map"' not in page


@pytest.mark.parametrize("path", ["/admin/safety/", "/admin", "/admin/", "/admin/circulars/3"])
def test_landing_pages_under_admin_are_allowed(path):
    assert safe_next(path) == path


@pytest.mark.parametrize("path", [
    "//evil.example/admin/", "https://evil.example/admin/", "/admin/../c/x", "/admin//evil.example",
    "/adminx", "/admin/safety/?next=//evil", "/admin\\evil", "/c/abc", "", None, 5, "/admin/%2e%2e/",
    "/admin/\nSet-Cookie:x",
])
def test_landing_pages_elsewhere_are_refused(path, settings):
    assert safe_next(path) is None
    from bot.web.signin import _serializer
    token = _serializer(settings).dumps({"j": "x", "n": path})  # even inside a well-signed token
    assert landing(settings, token) is None


def test_one_household_cannot_flood_rescue_alerts(chat, demo, db, fake, k, clock):
    """50 locations and 20 texts from a household in 救助が必要 (issue 18 #2: 51 alerts before)."""
    start(chat)
    drain(db, k.line)
    chat.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    drain(db, k.line)  # the alert leaves at once
    before = len(fake.sends())
    for i in range(50):
        chat.location(NAKAMURA, 35.6800 + i / 10000, 139.7600)
        if i < 20:
            chat.text(NAKAMURA, f"まだ動けません（{i + 1}）")
        drain(db, k.line)  # a dispatcher that runs all the time
        clock.shift(dt.timedelta(seconds=10))  # 70 messages over about 8 minutes
    # meanwhile another household asks for rescue: its alert goes out at once
    chat.tap(ITO, [check_of(fake, ITO)], "救助が必要")
    drain(db, k.line)
    sent = pushes(fake, before)
    flood = [q for q in sent if "中村 幸子様" in all_text(q.body.get("messages", []))]
    assert all("救助要請・続報" in all_text(q.body["messages"]) for q in flood)
    assert 1 <= len(flood) <= 3, len(flood)  # one at once, then at most one per 5 minutes
    ito = [q for q in sent if "【救助要請】2班 伊藤 美咲様" in all_text(q.body.get("messages", []))]
    assert len(ito) == 1 and set(ito[0].body["to"]) == {CHAIR, BOSAI, LEADER2}
    # what waits is one row, carrying the latest location and 連絡事項
    clock.shift(dt.timedelta(minutes=5))
    drain(db, k.line)
    last = [q for q in pushes(fake) if "中村 幸子様" in all_text(q.body.get("messages", []))][-1]
    assert "35.684900,139.760000" in all_text(last.body["messages"])
    assert "まだ動けません（20）" in all_text(last.body["messages"])
    nakamura = report(db, "中村 幸子").id
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like(f"rescue:{nakamura}%"))).all()
        assert len(rows) <= 5 and all(r.status == "sent" for r in rows)
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")) == 0


def test_updates_merge_into_the_waiting_row(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    chat.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    for i in range(10):  # the dispatcher is down: nothing leaves
        chat.location(NAKAMURA, 35.0 + i / 100, 139.0)
        chat.text(NAKAMURA, f"続報{i}")
    with db.session() as s:
        (alert,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("rescue:%"))).all()
        text = message_text(alert.messages[0])
    assert "【救助要請】" in text and "35.090000,139.000000" in text and "続報9" in text
    drain(db, k.line)
    assert len([q for q in pushes(fake) if "救助要請" in all_text(q.body.get("messages", []))]) == 1
    # after the alert went out: one update at once, the next waits 5 minutes, merged meanwhile
    chat.location(NAKAMURA, 36.0, 140.0)
    drain(db, k.line)
    chat.location(NAKAMURA, 36.1, 140.0)
    chat.location(NAKAMURA, 36.2, 140.0)
    drain(db, k.line)
    updates = [q for q in pushes(fake) if "救助要請・続報" in all_text(q.body.get("messages", []))]
    assert len(updates) == 1 and "36.000000" in all_text(updates[0].body["messages"])
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    drain(db, k.line)
    updates = [q for q in pushes(fake) if "救助要請・続報" in all_text(q.body.get("messages", []))]
    assert len(updates) == 2 and "36.200000" in all_text(updates[1].body["messages"])


def test_photo_on_the_live_page_for_those_who_see_locations(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.image(YAMAMOTO, b"\xff\xd8\xff yamamoto", "image/jpeg")  # 3班
    with db.session() as s:
        (pid,) = s.scalars(select(SafetyPhoto.id)).all()
    bosai, _ = sign_in(line, button(line.text(BOSAI, "安否状況"), texts.SAFETY_PAGE_OPEN)["uri"])
    # not downloaded yet: the page has no link, the photo no page
    assert "/admin/safety/photos/" not in bosai.get("/admin/safety/").get_data(as_text=True)
    assert bosai.get(f"/admin/safety/photos/{pid}").status_code == 404
    assert fetch_photos(k) == 1  # the scheduler's job
    page = bosai.get("/admin/safety/").get_data(as_text=True)
    assert f'href="/admin/safety/photos/{pid}">写真1</a>' in page
    assert '高橋 和子様<span class="tag support">要支援</span><span class="tag">紙</span>' in page
    resp = bosai.get(f"/admin/safety/photos/{pid}")
    assert resp.status_code == 200 and resp.data == b"\xff\xd8\xff yamamoto"
    assert resp.headers["Content-Type"] == "image/jpeg" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert bosai.get(f"/admin/safety/photos/{pid + 1}").status_code == 404
    leader, _ = sign_in(line, button(line.text(LEADER2, "安否状況"), texts.SAFETY_PAGE_OPEN)["uri"])
    assert leader.get(f"/admin/safety/photos/{pid}").status_code == 404  # another 班
    assert line.client.application.test_client().get(f"/admin/safety/photos/{pid}").status_code == 403


def test_photos_are_purged_with_the_locations(chat, demo, db, fake, k, clock, caplog):
    from scheduler.safety import purge_locations

    start(chat)
    drain(db, k.line)
    chat.image(SATO, b"\xff\xd8\xff sato", "image/jpeg")
    fetch_photos(k)
    ended = chat.tap(CHAIR, chat.text(CHAIR, "災害モード終了"), texts.DISASTER_END_YES)
    assert texts.DISASTER_ENDED in all_text(ended)
    # after the end, a photo is no report any more: the ordinary help again, nothing kept
    chat.image(ITO, b"\xff\xd8\xff late", "image/jpeg")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyPhoto)) == 1
    clock.shift(dt.timedelta(days=30, minutes=1))
    caplog.set_level("INFO")
    purge_locations(k)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyPhoto)) == 0
    assert "1 photo(s)" in caplog.text


def test_an_officers_mistyped_command_is_kept_with_a_hint(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    r = chat.text(CHAIR, "安否じょうきょう")
    assert texts.SAFETY_OFFICER_HINT in all_text(r) and set(STATUS_LABELS) <= set(labels(r))
    assert texts.HELP_OFFICER not in all_text(r)
    assert report(db, "山田 太郎").answer_data["comment"] == "安否じょうきょう"
    assert texts.SAFETY_OFFICER_HINT not in all_text(chat.text(SATO, "こんばんは"))


def test_a_row_the_dispatcher_holds_is_never_changed(chat, demo, db, fake, k, clock):
    from bot.outbox import claim

    start(chat)
    drain(db, k.line)
    chat.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    (held,) = [r for r in claim(db, limit=100) if r.purpose.startswith("rescue:")]  # mid-send elsewhere
    chat.location(NAKAMURA, 35.5, 139.5)
    with db.session() as s:
        alert = s.get(OutboxMessage, held.id)
        assert alert.status == "sending" and "35.500000" not in message_text(alert.messages[0])
        (upd,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("rescue:%:update"))).all()
        assert upd.status == "pending" and "35.500000,139.500000" in message_text(upd.messages[0])
        assert upd.priority == URGENT


def test_a_photo_that_cannot_be_downloaded_says_so(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    e = line.base(SATO, "message")
    e["message"] = {"id": "nosuchcontent01", "type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q"}
    before = max((d.seq for d in fake.delivered), default=0)
    assert line.post(e) == 200  # answered at once (the download is the scheduler's)
    downloads = [q for q in fake.requests if q.path.endswith("/nosuchcontent01/content")]
    assert downloads == []
    for _ in range(PHOTO_ATTEMPTS + 2):  # a bounded number of tries, a few seconds apart
        fetch_photos(k)
        clock.shift(dt.timedelta(seconds=30))
    assert len([q for q in fake.requests if q.path.endswith("/nosuchcontent01/content")]) == PHOTO_ATTEMPTS
    drain(db, k.line)
    said = [d for d in fake.messages_for(SATO, after=before)]
    assert [d.via for d in said if texts.SAFETY_PHOTO_FAILED in all_text([d.message])] == ["push"]  # told once
    assert "退会" not in all_text([d.message for d in said])
    with db.session() as s:
        (photo,) = s.scalars(select(SafetyPhoto)).all()
        assert photo.status == "failed" and photo.data is None
    assert report(db, "佐藤 花子").answer_data is None  # no ［写真］ for a photo nobody can see

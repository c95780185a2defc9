"""Disaster mode: start, safety reports with locations, rescue alerts, re-asks, proxy, end, purge."""
import csv
import datetime as dt
import io

from sqlalchemy import func, select

from bot.outbox import drain
from handlers.messages import texts
from models import Disaster, Member, MemberStatus, OutboxMessage, SafetyLocation
from scheduler.safety import purge_locations, reask

from chat import all_text, button
from conftest import user_id
from safety_kit import BOSAI, CHAIR, ITO, LEADER2, NAKAMURA, SATO, check_of, clock, report, start  # noqa: F401

ACTIVE = 9  # active demo members


def test_residents_and_block_leaders_cannot_start(chat, demo, db, clock):
    assert all_text(chat.text(SATO, "災害モード")) == texts.OFFICERS_ONLY
    assert all_text(chat.text(LEADER2, "災害モード")) == texts.DISASTER_ONLY_ROLES
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Disaster)) == 0


def test_start_sends_one_check_to_every_active_member(line, demo, db, fake, k, clock):
    confirm, started = start(line)
    assert "9人に安否確認を送ります（9通）" in all_text(confirm)
    assert "災害モード（地震）を開始しました" in all_text(started)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("safety:%"))).all()
        assert row.kind == "multicast" and row.priority > 0
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    assert len(mc.body["to"]) == ACTIVE == len(set(mc.body["to"]))
    card = mc.body["messages"][0]
    assert "大きな揺れがありました。" in all_text([card])
    quick = [i["action"] for i in card["quickReply"]["items"]]
    assert [a["label"] for a in quick] == ["無事", "けが人あり", "救助が必要", "避難しました", "現在地を送る"]
    assert quick[-1]["type"] == "location"
    assert all_text(line.text(CHAIR, "災害モード")) == texts.DISASTER_ALREADY


def test_one_member_answers_for_the_household_and_history_is_kept(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    card = check_of(fake, SATO)
    reply = chat.tap(SATO, [card], "避難しました")
    assert "「避難しました」で記録しました（佐藤 花子様の世帯）" in all_text(reply)
    chat.tap(SATO, reply, "3人")
    chat.text(SATO, "公民館にいます")
    with db.session() as s:  # a second member of the household answers later
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        s.add(Member(association_id=sato.association_id, line_user_id=user_id("sato-son"), household_id=sato.household_id,
                     block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))
        sato_id = sato.id
    chat.tap(user_id("sato-son"), [card], "無事")
    r = report(db, "佐藤 花子")  # the note keeps its author (退会 erases exactly theirs)
    # issue 10: the son's later 無事 does not lower the household's 避難しました (the most serious stands)
    assert r.answer == "evacuated" and r.answer_data == {"people": 3, "comment": "公民館にいます",
                                                    "notes": [{"m": sato_id, "t": "公民館にいます"}]}
    assert [h.answer for h in r.history] == ["evacuated", "safe"]


def test_location_attaches_to_the_latest_report(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    chat.tap(ITO, [check_of(fake, ITO)], "無事")
    reply = chat.location(ITO, 35.6830, 139.7702, "東京都千代田区東町2-5")
    assert texts.SAFETY_LOCATION_RECORDED in all_text(reply)
    with db.session() as s:
        (loc,) = s.scalars(select(SafetyLocation)).all()
    assert (loc.latitude, loc.longitude, loc.address) == (35.683, 139.7702, "東京都千代田区東町2-5")
    assert loc.delivery_id == report(db, "伊藤 美咲").id


def test_rescue_alert_goes_first_and_at_once(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    # a bulk of ordinary pushes is waiting in the outbox when the rescue request comes
    with db.session() as s:
        from models.messaging import enqueue
        for i in range(40):
            enqueue(s, 1, ["U%032x" % i], [{"type": "text", "text": "お知らせ"}], f"bulk:{i}")
    line.location(NAKAMURA, 35.6812, 139.7671)
    line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    line.text(NAKAMURA, "足をけがして動けません")
    before = len(fake.sends())
    drain(db, k.line)
    pushed = [r for r in fake.sends()[before:] if not r.path.endswith("/reply")]
    alert = pushed[0]  # the dispatcher's first send: ahead of the 40 waiting pushes
    # the comment typed while the alert still waited was merged into it: one alert, not two
    assert "救助要請" in all_text(alert.body["messages"]) and len(pushed) == 41
    assert "足をけがして動けません" in all_text(alert.body["messages"])
    assert set(alert.body["to"]) == {CHAIR, BOSAI, LEADER2}
    assert "2班 中村 幸子様の世帯" in all_text(alert.body["messages"])
    assert "https://maps.google.com/?q=35.681200,139.767100" in all_text(alert.body["messages"])
    assert "救助要請：2班 中村 幸子様" in all_text(line.text(BOSAI, "安否状況"))


def test_status_board_lists_silent_households_support_first(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    chat.tap(SATO, [check_of(fake, SATO)], "無事")
    board = all_text(chat.text(CHAIR, "安否状況"))
    assert "無事 1" in board and "未回答 11世帯（全12世帯）" in board
    silent = board.split("未回答（要支援の方が先）：")[1]
    assert silent.index("高橋 和子様（紙・要支援）") < silent.index("鈴木 一郎様")  # the visit lists' marks
    leader = all_text(chat.text(LEADER2, "安否状況"))
    assert "全4世帯" in leader and "鈴木" not in leader


def test_reask_every_30_minutes_only_silent_at_most_three_times(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    chat.tap(SATO, [check_of(fake, SATO)], "無事")

    def reasked():
        return [d.user_id for d in fake.delivered if "再送" in d.message.get("altText", "")]

    clock.shift(dt.timedelta(minutes=29))
    assert reask(k) == 0
    clock.shift(dt.timedelta(minutes=1))
    assert reask(k) == ACTIVE - 1
    drain(db, k.line)
    assert SATO not in reasked() and len(reasked()) == ACTIVE - 1
    chat.tap(ITO, [check_of(fake, ITO)], "無事")
    for _ in range(2):
        clock.shift(dt.timedelta(minutes=30))
        reask(k)
    clock.shift(dt.timedelta(minutes=30))
    assert reask(k) == 0  # three re-asks at most
    drain(db, k.line)
    counts = {u: reasked().count(u) for u in set(reasked())}
    assert counts[ITO] == 1 and counts[CHAIR] == 3 and SATO not in counts


def test_block_leader_records_by_proxy(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    board = chat.text(LEADER2, "安否状況")
    pick = chat.tap(LEADER2, board, texts.SAFETY_PROXY)
    labels = [i["action"]["label"] for i in pick[-1]["quickReply"]["items"]]
    assert "渡辺 健" in labels and "鈴木 一郎" not in labels  # own 班 only
    status = chat.tap(LEADER2, pick, "渡辺 健")
    done = chat.tap(LEADER2, status, "無事")
    assert "渡辺 健様の世帯を「無事」（代理）で記録しました" in all_text(done)
    r = report(db, "渡辺 健")
    assert r.answer == "safe" and r.answered_by_proxy and r.answered_by.name == "田中 実"


def test_end_sends_summary_and_purges_locations_later(chat, demo, db, fake, k, clock, caplog):
    start(chat)
    drain(db, k.line)
    chat.location(SATO, 35.68, 139.77)
    chat.tap(SATO, [check_of(fake, SATO)], "無事")
    assert all_text(chat.text(SATO, "災害モード終了")) == texts.OFFICERS_ONLY
    confirm = chat.text(CHAIR, "災害モード終了")
    ended = chat.tap(CHAIR, confirm, texts.DISASTER_END_YES)
    assert "無事 1" in all_text(ended) and "未回答 11世帯" in all_text(ended)
    drain(db, k.line)
    summary = [r for r in fake.sends("/multicast") if "災害モード終了" in all_text(r.body["messages"])]
    assert summary and BOSAI in summary[0].body["to"] and SATO not in summary[0].body["to"]
    # answers after the end change nothing
    assert texts.SAFETY_CLOSED in all_text(chat.tap(ITO, [check_of(fake, ITO)], "無事"))
    clock.shift(dt.timedelta(days=29))
    assert purge_locations(k) == 0
    clock.shift(dt.timedelta(days=1, minutes=1))
    caplog.set_level("INFO")
    assert purge_locations(k) == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyLocation)) == 0
        assert s.scalar(select(Disaster.purged_at)) is not None
    assert "purged 1 location" in caplog.text and "35.68" not in caplog.text


def signed_in(line, who):
    link = button(line.text(who, "管理画面"), texts.ADMIN_OPEN)["uri"].replace("https://kairan.example.jp", "")
    client = line.client.application.test_client()
    assert client.post(link, headers={"Origin": "https://kairan.example.jp"}).status_code in (302, 303)
    return client


def test_live_page_and_csv_show_locations_only_to_disaster_officers(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.location(ITO, 35.6830, 139.7702, "東町2-5")
    line.tap(ITO, [check_of(fake, ITO)], "救助が必要")
    bosai = signed_in(line, BOSAI)
    page = bosai.get("/admin/safety/").get_data(as_text=True)
    assert 'id="map"' in page and "35.68300" in page and "伊藤 美咲様" in page and "leaflet.js" in page
    assert "cyberjapandata.gsi.go.jp" in page and "unpkg" not in page and "cdn" not in page.lower()
    raw = bosai.get("/admin/safety/export.csv").get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["班", "世帯", "要支援", "状況", "人数", "連絡事項", "回答者", "代理", "回答日時", "緯度", "経度", "住所"]
    assert rows[1][:4] == ["2班", "伊藤 美咲", "", "救助が必要"] and rows[1][9:] == ["35.683", "139.7702", "東町2-5"]
    assert len(rows) == 13
    # the vendored map library is served by the app itself
    assert bosai.get("/static/leaflet/leaflet.js").status_code == 200
    with db.session() as s:  # an ordinary officer (役員) sees the table but no locations
        m = s.scalar(select(Member).where(Member.line_user_id == SATO))
        m.role = "officer"
    officer = signed_in(line, SATO)
    page = officer.get("/admin/safety/").get_data(as_text=True)
    assert "伊藤 美咲様" in page and "35.68300" not in page and 'id="map"' not in page
    rows = list(csv.reader(io.StringIO(officer.get("/admin/safety/export.csv").get_data().decode("utf-8-sig"))))
    assert "緯度" not in rows[0]
    # residents cannot open it at all
    assert line.client.application.test_client().get("/admin/safety/").status_code == 403


def test_location_outside_disaster_mode(chat, demo, db):
    assert texts.SAFETY_CLOSED in all_text(chat.location(SATO, 35.0, 139.0))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyLocation)) == 0

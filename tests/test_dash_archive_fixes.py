"""訂正・延期・中止 of events (dashboard and chat) and 訂正 of circulars from the chat: the confirm
step states the cost, the notice reaches exactly who got it, a cancelled or postponed event's
buttons answer so through the webhook and record nothing, the history keeps the original."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from handlers.messages.codec import pb
from models import (AuditLog, Circular, Correction, Delivery, DeliveryHistory, Event, Member, MemberStatus, OutboxMessage,
                    Reminder)

from admin_kit import csrf_token, send_circular, sign_in
from archive_kit import outbox_rows, spec_valid, words
from chat import actions, all_text, button

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
SATO = demo_user_id("佐藤 花子")  # 1班
ITO = demo_user_id("伊藤 美咲")  # 2班
ONE_SHOT = "出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n人数 あり\n軍手をお持ちください。"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as t:
        yield t


@pytest.fixture
def client(app):
    return app.test_client()


def event_id(db) -> int:
    with db.session() as s:
        return s.scalar(select(Event.id).order_by(Event.id.desc()))


def line_users(db) -> set[str]:
    with db.session() as s:
        aid = s.scalar(select(Member.association_id).where(Member.line_user_id == CHAIR))
        return set(s.scalars(select(Member.line_user_id).where(
            Member.association_id == aid, Member.status == MemberStatus.active, Member.line_user_id.is_not(None))))


def answers(db, eid: int) -> tuple[int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Delivery).where(Delivery.event_id == eid,
                                                                           Delivery.answer.is_not(None))),
                s.scalar(select(func.count()).select_from(DeliveryHistory).join(Delivery)
                         .where(Delivery.event_id == eid)))


def outbox_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


def send(line, text=ONE_SHOT, who=CHAIR):
    preview = line.text(who, text)
    line.tap(who, preview, texts.SEND)


# --- the dashboard: 中止 -------------------------------------------------------------------
def test_cancel_from_the_dashboard_then_the_buttons_answer_cancelled_and_record_nothing(client, line, demo, db):
    send(line)
    eid = event_id(db)
    sign_in(client, line)
    page = client.get(f"/admin/events/{eid}").get_data(as_text=True)
    assert f"/admin/events/{eid}/fix?action=cancel" in page
    form = client.get(f"/admin/events/{eid}/fix?action=cancel").get_data(as_text=True)
    data = {"csrf_token": csrf_token(form), "action": "cancel", "note": "雨のため中止します。"}
    before = outbox_count(db)
    confirm = client.post(f"/admin/events/{eid}/fix", data=data).get_data(as_text=True)
    assert "【中止】のお知らせを送ります" in words(confirm) and "LINEで9通" in words(confirm)
    assert outbox_count(db) == before
    done = client.post(f"/admin/events/{eid}/fix", data={**data, "confirm": "1", "csrf_token": csrf_token(confirm)})
    assert done.status_code == 303
    notice = [r for r in spec_valid(outbox_rows(db, f"correction:event:{eid}")) if r.purpose == f"correction:event:{eid}"]
    assert len(notice) == 1 and set(notice[0].recipients) == line_users(db)
    assert notice[0].messages[0]["text"] == "【中止】出欠確認「秋の清掃活動」\n雨のため中止します。"
    # the card's buttons, through the webhook: cancelled, nothing recorded
    for who in (SATO, ITO):
        out = all_text(line.postback(who, pb("ev_ans", e=eid, v="yes")))
        assert "「秋の清掃活動」は中止になりました" in out and "雨のため中止します。" in out
    assert answers(db, eid) == (0, 0)
    # [詳細を見る] says so, without answer buttons
    details = line.postback(SATO, pb("ev_info", e=eid))
    assert "中止になりました" in all_text(details) and not [a for a in actions(details) if "ev_ans" in a.get("data", "")]
    # 代理回答 too
    assert "中止になりました" in all_text(line.postback(CHAIR, pb("ev_proxy", e=eid)))
    assert answers(db, eid) == (0, 0)
    with db.session() as s:
        assert s.scalar(select(AuditLog.target).where(AuditLog.action == "event.cancel")) == f"event:{eid}"
    # a second 中止: refused, nothing more queued
    n = outbox_count(db)
    again = client.get(f"/admin/events/{eid}/fix?action=cancel")
    assert again.status_code == 409 and outbox_count(db) == n
    shown = client.get(f"/admin/events/{eid}").get_data(as_text=True)
    assert texts.EV_HALT_MARK["cancel"] in shown and "雨のため中止します。" in shown.split(texts.FIX_HISTORY)[1]
    # no reminder will ask to answer a cancelled event
    with db.session() as s:
        assert {r.status for r in s.scalars(select(Reminder).where(Reminder.subject_type == "event",
                                                                   Reminder.subject_id == eid))} == {"cancelled"}
    # the block leader of 2班 finds the paper household of their 班 to tell by hand, and only theirs
    leader = client.application.test_client()
    sign_in(leader, line, LEADER2)
    own = leader.get(f"/admin/events/{eid}").get_data(as_text=True).split(texts.FIX_HISTORY)[1]
    assert texts.FIX_PAPER_ON_PAGE in own and "渡辺 健 様" in own and "高橋 和子" not in own


def test_correct_an_event_from_the_dashboard_keeps_the_original(client, line, demo, db):
    send(line)
    eid = event_id(db)
    sign_in(client, line)
    form = client.get(f"/admin/events/{eid}/fix").get_data(as_text=True)
    data = {"csrf_token": csrf_token(form), "title": "秋の清掃活動", "body": "軍手と帽子をお持ちください。",
            "note": "帽子もお持ちください。"}
    confirm = client.post(f"/admin/events/{eid}/fix", data=data).get_data(as_text=True)
    client.post(f"/admin/events/{eid}/fix", data={**data, "confirm": "1", "csrf_token": csrf_token(confirm)})
    with db.session() as s:
        assert s.get(Event, eid).note == "軍手と帽子をお持ちください。"
        fix = s.scalar(select(Correction))
        assert (fix.action, fix.before_body, fix.after_body) == ("correct", "軍手をお持ちください。", "軍手と帽子をお持ちください。")
    # answers still work after a correction
    line.postback(SATO, pb("ev_ans", e=eid, v="no"))
    assert answers(db, eid)[0] == 1


def test_event_fix_needs_a_csrf_token(client, line, demo, db):
    send(line)
    eid = event_id(db)
    sign_in(client, line)
    n = outbox_count(db)
    assert client.post(f"/admin/events/{eid}/fix", data={"action": "cancel", "note": "x", "confirm": "1"}).status_code == 400
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Correction)) == 0
    assert outbox_count(db) == n


# --- the chat ----------------------------------------------------------------------------------
def test_correct_a_circular_from_status_with_its_confirm(line, demo, db):
    cid = send_circular(line, title="清掃のお知らせ", body="11月30日9時から公園の清掃をします。")
    status = line.text(CHAIR, "状況")
    chip = button(status, texts.FIX_CHIP.format(title="清掃のお知らせ"))
    asked = line.postback(CHAIR, chip["data"])
    assert "訂正のお知らせに書く内容" in all_text(asked)
    n = outbox_count(db)
    confirm = line.text(CHAIR, "開始は10時です。")
    said = all_text(confirm)
    assert "LINEで9通" in said and "紙の3世帯" in said and "今月の残り" in said
    assert outbox_count(db) == n  # nothing before [送る]
    done = line.tap(CHAIR, confirm, texts.FIX_SEND)
    assert texts.FIX_DONE.format(action="訂正", pushes=12, paper=3) in all_text(done)
    notice = [r for r in spec_valid(outbox_rows(db, f"correction:circular:{cid}")) if r.purpose == f"correction:circular:{cid}"]
    assert len(notice) == 1 and set(notice[0].recipients) == line_users(db)
    msg = notice[0].messages[0]
    assert msg["text"].startswith("【訂正】回覧「清掃のお知らせ」\n開始は10時です。")
    assert msg["quickReply"]["items"][0]["action"]["data"] == pb("full", c=cid)
    with db.session() as s:
        c = s.get(Circular, cid)
        assert c.body.startswith("11月30日9時から公園の清掃をします。") and "開始は10時です。" in c.body
        assert s.scalar(select(Correction.before_body)) == "11月30日9時から公園の清掃をします。"
    # the [全文を見る] of the notice shows the corrected text
    assert "開始は10時です。" in all_text(line.postback(SATO, pb("full", c=cid)))
    # the old confirm card, tapped again: stale, nothing more queued
    n = outbox_count(db)
    line.tap(CHAIR, confirm, texts.FIX_SEND)
    assert outbox_count(db) == n


def test_stopping_at_the_confirm_sends_nothing(line, demo, db):
    cid = send_circular(line)
    line.postback(CHAIR, pb("fix", k="c", i=cid, x="correct"))
    confirm = line.text(CHAIR, "日付が違いました。")
    n = outbox_count(db)
    assert texts.FIX_CANCELLED in all_text(line.tap(CHAIR, confirm, texts.CANCEL))
    assert outbox_count(db) == n
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Correction)) == 0


def test_postpone_an_event_from_results_then_answers_say_postponed(line, demo, db):
    send(line)
    eid = event_id(db)
    results = line.text(CHAIR, "集計")
    chip = button(results, texts.FIX_CHIP.format(title="秋の清掃活動"))
    card = line.postback(CHAIR, chip["data"])
    assert [a["label"] for a in actions(card)] == ["訂正", "延期", "中止"]
    line.tap(CHAIR, card, "延期")
    confirm = line.text(CHAIR, "12月12日に延期します。")
    assert "【延期】のお知らせを送ります" in all_text(confirm)
    line.tap(CHAIR, confirm, texts.FIX_SEND)
    notice = [r for r in spec_valid(outbox_rows(db, f"correction:event:{eid}")) if r.purpose == f"correction:event:{eid}"]
    assert notice[0].messages[0]["text"] == "【延期】出欠確認「秋の清掃活動」\n12月12日に延期します。"
    out = all_text(line.postback(ITO, pb("ev_ans", e=eid, v="yes")))
    assert "延期になりました" in out and "12月12日に延期します。" in out
    assert answers(db, eid) == (0, 0)
    # 集計 marks it, and offers no 代理回答 for it
    after = line.text(CHAIR, "集計")
    assert texts.EV_HALT_MARK["postpone"] in all_text(after)
    assert not [a for a in actions(after) if a.get("data", "").startswith("a=ev_proxy")]
    # a second 延期 or 中止: refused
    assert "すでに延期" in all_text(line.postback(CHAIR, pb("fix", k="e", i=eid, x="cancel")))


def test_a_block_leader_corrects_their_own_circular(line, demo, db):
    preview = line.text(LEADER2, "回覧 2班の集まり\n12月1日に集まります。")
    line.tap(LEADER2, preview, texts.SEND)
    with db.session() as s:
        cid = s.scalar(select(Circular.id).order_by(Circular.id.desc()))
    chip = button(line.text(LEADER2, "状況"), texts.FIX_CHIP.format(title="2班の集まり"))
    line.postback(LEADER2, chip["data"])
    confirm = line.text(LEADER2, "12月2日です。")
    line.tap(LEADER2, confirm, texts.FIX_SEND)
    notice = [r for r in spec_valid(outbox_rows(db, f"correction:circular:{cid}")) if r.purpose == f"correction:circular:{cid}"]
    with db.session() as s:
        second = set(s.scalars(select(Member.line_user_id).join(Member.household).where(
            Member.status == MemberStatus.active, Member.line_user_id.is_not(None),
            Member.household.has(block_id=s.scalar(select(Member.block_id).where(Member.line_user_id == LEADER2))))))
    assert set(notice[0].recipients) == second and SATO not in notice[0].recipients


def test_a_second_click_of_send_sends_nothing_twice(db, line, demo, fake):
    """Two 送る of the same correction (or of a 中止) — a double click, or two tabs — queue one
    notice: the second finds it done (on PostgreSQL it waits for the first's row lock)."""
    from handlers import corrections

    cid = send_circular(line)
    send(line)
    eid = event_id(db)
    with db.session() as s:
        chair = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        c, ev = s.get(Circular, cid), s.get(Event, eid)
        for kind, item, action, kw in (("circular", c, "correct", {"title": c.title, "body": "訂正した本文"}),
                                       ("event", ev, "cancel", {})):
            corrections.apply(s, chair, kind, item, action, "訂正です", NOW, "Asia/Tokyo", **kw)
            with pytest.raises(corrections.AlreadyDone):
                corrections.apply(s, chair, kind, item, action, "訂正です", NOW, "Asia/Tokyo", **kw)
        s.flush()
        purposes = s.scalars(select(OutboxMessage.purpose).where(OutboxMessage.purpose.like("correction:%"))).all()
    assert purposes.count(f"correction:circular:{cid}") == 1 and purposes.count(f"correction:event:{eid}") == 1
    assert len(purposes) == len(set(purposes))  # the 班長's paper lists once too

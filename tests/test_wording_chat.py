"""Issue 10, wording (chat parts): 代理回答 asks the officer about the household; a resident's button on
one's own preview says it is a preview; 状況 and 集計 list households by 班 and never the officer's
own household as 「…様」 to him; 未読 and 未回答 side by side are explained; notifications say what
they are (【回覧】【出欠】【安否確認】); event dates carry the year when it is another year; the
location reply says who really sees it (the safety page's rule: chair, 防災担当, the 班's 班長).
Through the webhook."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from handlers.messages.codec import pb
from models import Event

from chat import all_text, labels

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")  # 会長, 1班
SATO = demo_user_id("佐藤 花子")  # 1班
ITO = demo_user_id("伊藤 美咲")  # 2班
BOSAI = demo_user_id("小林 修")
EVENT = "出欠 新年会\n日時 12/5 18:00\n場所 東町会館\n締切 12/1\n人数 あり"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def send(line, db, k, form):
    preview = line.text(CHAIR, form)
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)


def event_id(db):
    with db.session() as s:
        return s.scalars(select(Event.id).order_by(Event.id.desc())).first()


def test_proxy_questions_are_about_the_household(line, demo, db, fake, k):
    send(line, db, k, EVENT)
    q = line.postback(CHAIR, pb("ev_proxy", e=event_id(db)))
    q = line.tap(CHAIR, q, "1班")
    q = line.tap(CHAIR, q, "高橋 和子")
    q = line.tap(CHAIR, q, "参加")
    assert texts.EV_ASK_HEADS_PROXY.format(household="高橋 和子") in all_text(q)
    assert texts.EV_ASK_HEADS not in all_text(q)  # not as if the officer were the resident
    q = line.tap(CHAIR, q, "2人")
    assert texts.EV_ASK_COMMENT_PROXY.format(household="高橋 和子", answer="参加（2人）") in all_text(q)
    done = line.tap(CHAIR, q, texts.EV_NO_COMMENT)
    assert "代理回答を記録しました（高橋 和子様の世帯）" in all_text(done)


def test_buttons_on_ones_own_preview_say_it_is_a_preview(line, demo, db):
    preview = line.text(CHAIR, "回覧 防犯パトロール\n今月の当番です。")
    reply = line.tap(CHAIR, preview, texts.READ)
    assert all_text(reply) == texts.PREVIEW_TAPPED and texts.CIRCULAR_GONE not in all_text(reply)
    preview = line.text(CHAIR, EVENT)
    reply = line.tap(CHAIR, preview, "参加")
    assert all_text(reply) == texts.PREVIEW_TAPPED
    assert texts.EV_GONE in all_text(line.tap(SATO, preview, "参加"))  # someone else's tap: nothing to see


def test_status_lists_unread_by_block_and_not_the_chair_to_himself(line, demo, db, fake, k):
    send(line, db, k, "回覧 防犯パトロール\n今月の当番です。")
    status = all_text(line.text(CHAIR, "状況"))
    assert "山田 太郎様" not in status and texts.SELF_HOUSEHOLD in status
    one = status.index("・1班：")
    two = status.index("・2班：")
    three = status.index("・3班：")
    assert one < two < three
    assert status.index("佐藤 花子様") < two < status.index("伊藤 美咲様") < three


def test_results_group_by_block_explain_unread_and_unanswered(line, demo, db, fake, k):
    send(line, db, k, EVENT)
    line.postback(SATO, pb("ev_info", e=event_id(db)))  # opened, not answered: 未回答
    text = all_text(line.text(CHAIR, "集計"))
    assert "未回答 1・未読 11" in text and texts.EV_RESULTS_LEGEND in text
    assert "山田 太郎様" not in text and texts.SELF_HOUSEHOLD in text
    assert text.index("・1班：") < text.index("・2班：") < text.index("・3班：")


def test_notifications_say_what_they_are(line, demo, db, fake, k):
    send(line, db, k, "回覧 防犯パトロール\n今月の当番です。")
    send(line, db, k, EVENT)
    alts = [r.body["messages"][0].get("altText", "") for r in fake.sends("/multicast")]
    assert "【回覧】防犯パトロール" in alts and "【出欠】新年会" in alts


def test_an_event_next_year_carries_its_year(line, demo, db, fake, k):
    send(line, db, k, "出欠 新年会\n日時 2027/1/10 18:00\n場所 東町会館\n締切 12/20\n人数 なし")
    card = [r.body["messages"] for r in fake.sends("/multicast")][-1]
    assert "2027年1月10日(日) 18:00" in all_text(card)  # on the card residents get, too
    done = line.tap(SATO, line.postback(SATO, pb("ev_ans", e=event_id(db), v="yes")), texts.EV_NO_COMMENT)
    text = all_text(done)
    assert "2027年1月10日(日) 18:00" in text  # another year: said
    assert "締切（12月20日(日) 23:59）" in text  # this year: as before


def test_the_location_reply_says_who_sees_it(line, demo, db, fake, k):
    line.tap(BOSAI, line.text(BOSAI, "災害モード"), "地震")
    line.tap(BOSAI, line.text(BOSAI, "なし"), texts.DISASTER_START)
    reply = all_text(line.location(SATO, 35.68, 139.77))
    assert texts.SAFETY_LOCATION_RECORDED in reply
    assert "班長" in reply and "会長" in reply and "役員と防災担当だけ" not in reply


def test_no_comment_is_not_answered_as_a_recorded_comment(line, demo, db, fake, k):
    """「連絡事項なし」 after a safety answer is thanked; nothing is said to be recorded, and no
    comment is stored."""
    from models import Delivery
    line.tap(BOSAI, line.text(BOSAI, "災害モード"), "地震")
    line.tap(BOSAI, line.text(BOSAI, "なし"), texts.DISASTER_START)
    drain(db, k.line)
    card = [m for r in fake.sends() if r.body.get("to") == SATO or SATO in (r.body.get("to") or [])
            for m in r.body["messages"]]
    answered = line.tap(SATO, card, texts.SAFETY_LABELS["safe"])
    assert texts.SAFETY_NO_COMMENT in labels(answered)
    said = all_text(line.tap(SATO, answered, texts.SAFETY_NO_COMMENT))
    assert said == texts.SAFETY_NO_COMMENT_OK and texts.SAFETY_COMMENT_RECORDED not in said
    with db.session() as s:
        (row,) = s.scalars(select(Delivery).where(Delivery.of_kind("safety"), Delivery.answer == "safe")).all()
        assert not (row.answer_data or {}).get("comment")

"""Attendance (出欠): draft → preview → send; answers with head count and comment, changes, the
deadline, per-household and per-person events, 代理回答, 「集計」, the results page (SVG, CSV) and
reminders 3 days before the deadline. Every message goes through the spec-validating fake LINE."""
import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.events.form import parse_when
from handlers.messages import texts
from models import Block, Delivery, Event, EventState, Household, Member, MemberStatus, Reminder, Role
from scheduler.reminders import send_due

from chat import actions, all_text, button
from conftest import user_id

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)  # a Sunday morning
CHAIR = demo_user_id("山田 太郎")  # 会長, 1班
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
OFFICER3 = demo_user_id("小林 修")  # 防災担当, 3班
SATO = demo_user_id("佐藤 花子")  # 1班
SUZUKI = demo_user_id("鈴木 一郎")  # 1班
ITO = demo_user_id("伊藤 美咲")  # 2班
NAKAMURA = demo_user_id("中村 幸子")  # 2班
BASE = "https://kairan.example.jp"
ONE_SHOT = "出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n人数 あり\n軍手をお持ちください。"
PER_PERSON = "出欠 夏祭り\n日時 12月5日 午後2時\n場所 東町会館\n締切 12/1\n対象 2班\n回答 個人\n人数 なし"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JST)


def pick(line, user, action, value):
    """The user picks `value` in LINE's date/time picker: a postback with params."""
    assert action["type"] == "datetimepicker"
    e = line.postback_event(user, action["data"])
    e["postback"]["params"] = {action["mode"]: value}
    return line._answer(user, e)


def send(line, form=ONE_SHOT, who=CHAIR):
    preview = line.text(who, form)
    assert texts.SEND in all_text(preview), all_text(preview)
    line.tap(who, preview, texts.SEND)
    return preview


def card_for(fake, user):
    return next(d.message for d in reversed(fake.delivered) if d.user_id == user and d.via == "multicast"
                and d.message.get("type") == "flex")


def event(db) -> Event:
    with db.session() as s:
        return s.scalars(select(Event).order_by(Event.id.desc())).first()


def delivery(db, household: str) -> Delivery:
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == household,
                                                             Delivery.of_kind("event")))
        d.history, d.answered_by  # loaded while the session is open
        return d


def answer(line, user, card, label, heads=None, comment=None):
    """Tap an answer on the card, then the head count chip and the comment (or 連絡事項なし)."""
    out = line.tap(user, [card], label)
    if heads is not None:
        out = line.tap(user, out, f"{heads}人")
    if comment is None:
        return line.tap(user, out, texts.EV_NO_COMMENT)
    return line.text(user, comment)


# --- officers create ---------------------------------------------------------------------------
def test_dialog_preview_and_send(line, demo, db, fake, k):
    assert texts.EV_ASK_NAME in all_text(line.text(CHAIR, "出欠"))
    q = line.text(CHAIR, "秋の清掃活動")
    picker = button(q, texts.EV_PICK_WHEN)
    assert picker["mode"] == "datetime"
    q = pick(line, CHAIR, picker, "2026-12-05T09:00")
    assert texts.EV_ASK_PLACE in all_text(q)
    q = line.text(CHAIR, "東町公園")
    picker = button(q, texts.EV_PICK_DEADLINE)
    assert picker["mode"] == "date" and picker["max"] == "2026-12-05"
    q = pick(line, CHAIR, picker, "2026-12-01")
    q = line.tap(CHAIR, q, texts.TARGET_ALL)
    q = line.tap(CHAIR, q, texts.EV_UNIT_HOUSEHOLD)
    q = line.tap(CHAIR, q, texts.EV_COUNT_YES)
    assert texts.EV_ASK_NOTE in all_text(q)
    preview = line.text(CHAIR, "軍手をお持ちください。")

    flex = preview[1]  # the exact card residents get, then the cost and [送信][修正][取消]
    assert flex["type"] == "flex" and flex["altText"] == "【出欠】秋の清掃活動"  # issue 10: the kind first
    shown = all_text([flex])
    assert "12月5日(土) 9:00" in shown and "東町公園" in shown and "12月1日(火) 23:59まで" in shown
    assert [i["action"]["label"] for i in flex["quickReply"]["items"]] == ["参加", "不参加", "未定"]
    summary = all_text(preview[2:])
    assert "送信先：全体" in summary and "回答：世帯ごとに1つ・人数も聞く" in summary
    assert "LINEで9世帯（9人）、紙で3世帯" in summary and "メッセージを9通使います" in summary
    assert "今月の残り 200通" in summary and "11月28日(土) 9:00" in summary
    assert [button(preview, b)["type"] for b in (texts.SEND, texts.EDIT, texts.CANCEL)] == ["postback"] * 3
    assert event(db).state == EventState.draft and fake.sends("/multicast") == []

    assert "送信しました" in all_text(line.tap(CHAIR, preview, texts.SEND))
    drain(db, k.line)
    (mc,) = [r for r in fake.sends("/multicast") if r.body["messages"][0].get("altText") == "【出欠】秋の清掃活動"]
    assert mc.body["messages"] == [flex] and len(mc.body["to"]) == 9  # what was previewed is what was sent
    with db.session() as s:
        ev = s.scalar(select(Event))
        assert ev.state == EventState.sent and ev.push_count == 9 and ev.note == "軍手をお持ちください。"
        assert ev.starts_at == at(12, 5, 9) and ev.deadline == at(12, 1, 23, 59)
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.of_kind("event"))) == 12
        (r,) = s.scalars(select(Reminder).where(Reminder.subject_type == "event")).all()
        assert r.due_at == at(11, 28, 9)  # 3 days before the deadline, 09:00
    # the 班 without a block leader (1班, 3班) are told to the author, 2班's to its leader
    paper = [(r.body["to"], all_text(r.body["messages"])) for r in fake.sends("/push")]
    assert sorted((to, re.findall(r"・(.+?様)", t)) for to, t in paper) == sorted(
        [(CHAIR, ["高橋 和子様"]), (LEADER2, ["渡辺 健様"]), (CHAIR, ["吉田 勇様"])])


def test_one_shot_form_goes_to_the_preview(chat, demo, db):
    preview = chat.text(CHAIR, PER_PERSON)
    assert preview[1]["altText"] == "【出欠】夏祭り"
    summary = all_text(preview)
    assert "12月5日(土) 14:00" in summary and "送信先：2班" in summary and "回答：お一人ずつ" in summary
    assert "人数も聞く" not in summary and "LINEで3世帯（3人）、紙で1世帯" in summary
    # a missing or wrong line is asked for, the rest is kept
    q = chat.text(CHAIR, "出欠 防災訓練\n日時 12/6 9:00\n締切 12/10")
    assert texts.EV_BAD_DEADLINE in all_text(q) and texts.EV_ASK_DEADLINE in all_text(q)
    q = chat.text(CHAIR, "12/3")
    assert texts.EV_ASK_PLACE in all_text(q)
    assert "12月6日(日) 9:00" in all_text(chat.text(CHAIR, "東町小学校"))


# --- a day already past (typed on 12/2, the day the bug was reported) ---------------------------
def test_deadline_of_yesterday_is_refused_saying_why(chat, demo, db, fake, k, clock):
    clock.move_to(at(12, 2, 10))
    q = chat.text(CHAIR, "出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n人数 あり")
    assert all_text(q).startswith("12月1日は過ぎています。今日以降の日付を送ってください。\n" + texts.EV_ASK_DEADLINE)
    assert texts.SEND not in [a.get("label") for a in actions(q)]  # no preview, nothing to send
    q = chat.text(CHAIR, "12月1日")  # the dialog step refuses it the same way
    assert all_text(q).startswith("12月1日は過ぎています。今日以降の日付を送ってください。")
    with db.session() as s:
        ev = s.scalar(select(Event))
        assert ev.state == EventState.draft and ev.deadline is None and ev.starts_at == at(12, 5, 9)
    drain(db, k.line)
    assert fake.sends("/multicast") == []
    preview = chat.text(CHAIR, "12/4")  # a day still to come: this year's
    assert "12月4日(金) 23:59まで" in all_text(preview) and texts.SEND in [a.get("label") for a in actions(preview)]
    assert event(db).deadline == at(12, 4, 23, 59)


def test_event_date_of_yesterday_asks_whether_next_year_is_meant(chat, demo, db, fake, k, clock):
    clock.move_to(at(12, 2, 10))
    form = "出欠 臨時役員会\n日時 12/1 19:00\n場所 東町会館\n締切 11/30"
    q = chat.text(CHAIR, form)
    assert all_text(q) == "12月1日は過ぎています。来年の12月1日ですか？"
    assert [a["label"] for a in actions(q)] == ["はい", "いいえ", texts.CANCEL]
    assert event(db).starts_at is None
    q = chat.tap(CHAIR, q, "いいえ")  # not next year: the date is asked again
    assert texts.EV_ASK_WHEN.format(name="臨時役員会") in all_text(q) and event(db).starts_at is None
    q = chat.text(CHAIR, "12/1 19:00")
    assert all_text(q) == "12月1日は過ぎています。来年の12月1日ですか？"
    q = chat.tap(CHAIR, q, "はい")
    assert event(db).starts_at == dt.datetime(2027, 12, 1, 19, tzinfo=JST)
    assert all_text(q).startswith(texts.EV_ASK_DEADLINE)  # 「締切 11/30」 was past too: asked again
    drain(db, k.line)
    assert fake.sends("/multicast") == [] and event(db).state == EventState.draft


def test_a_day_long_past_means_next_year_silently(chat, demo, db, clock):
    clock.move_to(at(12, 2, 10))
    preview = chat.text(CHAIR, "出欠 新年会\n日時 1/10 18:00\n場所 東町会館\n締切 1/5")
    # issue 10: next year's dates carry the year
    assert "2027年1月10日(日) 18:00" in all_text(preview) and "2027年1月5日(火) 23:59まで" in all_text(preview)
    ev = event(db)
    assert ev.starts_at == dt.datetime(2027, 1, 10, 18, tzinfo=JST) and ev.deadline == dt.datetime(
        2027, 1, 5, 23, 59, tzinfo=JST)


def test_edit_cancel_and_stale_buttons(chat, demo, db, fake, k):
    preview = chat.text(CHAIR, ONE_SHOT)
    old_send = button(preview, texts.SEND)["data"]
    assert all_text(chat.postback(SATO, old_send)) == texts.OFFICERS_ONLY  # a resident's forged tap
    assert texts.STALE_DRAFT in all_text(chat.postback(OFFICER3, old_send))  # not their draft
    assert texts.EV_GONE in all_text(chat.tap(SATO, preview, "参加"))  # not sent yet
    fields = chat.tap(CHAIR, preview, texts.EDIT)
    q = chat.tap(CHAIR, fields, texts.EV_FIELDS["when"])
    q = chat.text(CHAIR, "11月30日 10時半")  # before the deadline: the deadline is asked again
    assert texts.EV_ASK_DEADLINE in all_text(q)
    preview = chat.text(CHAIR, "11/27")
    assert "11月30日(月) 10:30" in all_text(preview) and "11月27日(金) 23:59まで" in all_text(preview)
    assert texts.STALE_PREVIEW in all_text(chat.postback(CHAIR, old_send))
    assert texts.EV_CANCELLED in all_text(chat.tap(CHAIR, preview, texts.CANCEL))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
    drain(db, k.line)
    assert fake.sends("/multicast") == []


def test_residents_cannot_create_or_count(chat, demo, db, fake):
    for cmd in ("出欠", ONE_SHOT, "集計"):
        assert all_text(chat.text(SATO, cmd)) == texts.OFFICERS_ONLY
    assert all_text(chat.postback(SATO, "a=ev_proxy&e=1")) == texts.OFFICERS_ONLY
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0


def test_block_leader_asks_own_block_only(chat, demo, db, fake, k):
    preview = chat.text(LEADER2, ONE_SHOT.replace("人数 あり", "対象 全体"))
    assert "送信先：2班" in all_text(preview)
    chat.tap(LEADER2, preview, texts.SEND)
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    assert set(mc.body["to"]) == {LEADER2, ITO, NAKAMURA}


def test_send_over_the_monthly_quota_asks_again(line, demo, db, fake):
    fake.quota_limit = 5
    preview = line.text(CHAIR, ONE_SHOT)
    warn = line.tap(CHAIR, preview, texts.SEND)
    assert "この送信には9通が必要です" in all_text(warn) and event(db).state == EventState.draft
    line.tap(CHAIR, warn, texts.SEND_ANYWAY)
    assert event(db).state == EventState.sent


# --- residents answer ----------------------------------------------------------------------------
def test_answer_head_count_comment_and_change(line, demo, db, fake, k):
    send(line)
    drain(db, k.line)
    card = card_for(fake, SATO)
    q = line.tap(SATO, [card], "参加")
    assert [i["action"]["label"] for i in q[-1]["quickReply"]["items"]] == ["1人", "2人", "3人", "4人", "5人", "6人以上"]
    q = line.tap(SATO, q, "2人")
    assert button(q, texts.EV_NO_COMMENT)["type"] == "postback"
    done = all_text(line.text(SATO, "車いすで参加します"))
    assert "回答：参加（2人）" in done and "連絡事項：車いすで参加します" in done and "回答者：佐藤 花子さん" in done

    # changing the answer replaces it; the history keeps both
    done = all_text(answer(line, SATO, card, "不参加"))
    assert "回答：不参加" in done and "連絡事項：なし" in done
    d = delivery(db, "佐藤 花子")
    assert d.answer == "no" and d.answered_by_proxy is False and d.read_at is not None
    assert [(h.answer, h.answer_data) for h in d.history] == [
        ("yes", {"count": 2, "comment": "車いすで参加します"}), ("no", None)]

    # 6人以上: the number comes as text
    q = line.tap(SUZUKI, [card], "参加")
    q = line.tap(SUZUKI, q, texts.EV_MORE_PEOPLE)
    assert texts.EV_BAD_HEADS in all_text(line.text(SUZUKI, "たくさん"))
    line.text(SUZUKI, "８人")
    assert "回答：参加（8人）" in all_text(line.postback(SUZUKI, f"a=ev_note&d={delivery(db, '鈴木 一郎').id}"))
    assert delivery(db, "鈴木 一郎").answer_data == {"count": 8}
    q = line.tap(SUZUKI, [card], "参加")
    q = line.text(SUZUKI, "3")  # typed instead of tapped
    # issue 10: the head count is repeated back, with the example for 参加
    assert texts.EV_ASK_COMMENT.format(answer="参加（3人）", example=texts.EV_COMMENT_EXAMPLES["yes"]) in all_text(q)
    assert delivery(db, "鈴木 一郎").answer_data == {"count": 3}
    # nothing about answering went out as a push: every answer was a free reply
    drain(db, k.line)
    assert not [r for r in fake.sends("/push") if "受け付けました" in all_text(r.body["messages"])]


def test_deadline_refuses_politely_and_changes_nothing(chat, demo, db, fake, k, clock):
    send(chat)
    drain(db, k.line)
    card = card_for(fake, SATO)
    answer(chat, SATO, card, "参加", heads=1)
    q = chat.tap(SUZUKI, [card], "参加")  # SUZUKI leaves the head count for later
    clock.move_to(at(12, 2, 0, 0))
    closed = texts.EV_CLOSED.format(name="秋の清掃活動")
    assert all_text(chat.tap(SATO, [card], "不参加")) == closed
    assert all_text(chat.tap(SUZUKI, q, "3人")) == closed
    assert all_text(chat.postback(CHAIR, f"a=ev_pans&d={delivery(db, '高橋 和子').id}&v=yes")) == closed
    assert delivery(db, "佐藤 花子").answer == "yes" and len(delivery(db, "佐藤 花子").history) == 1
    assert delivery(db, "鈴木 一郎").answer_data is None and delivery(db, "高橋 和子").answer is None
    # the details still open (and count as read), without answer buttons
    details = chat.tap(ITO, [card], texts.EV_DETAILS)
    assert texts.EV_CLOSED_MARK in all_text(details) and "quickReply" not in details[-1]
    assert delivery(db, "伊藤 美咲").read_at is not None


def test_household_answer_counts_for_everyone_and_says_who(chat, demo, db, fake, k):
    with db.session() as s:
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        s.add(Member(association_id=sato.association_id, line_user_id=user_id("sato-son"),
                     household_id=sato.household_id, block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))
    send(chat)
    drain(db, k.line)
    card = card_for(fake, SATO)
    answer(chat, SATO, card, "参加", heads=3, comment="駐車場を使います")
    son = all_text(chat.tap(user_id("sato-son"), [card], texts.EV_DETAILS))
    assert "いまの回答：参加（3人）（佐藤 花子さん・11月22日(日) 10:00）" in son and "駐車場を使います" in son
    # issue 10: the household's answer is his mother's: he is asked before it changes
    asked = chat.tap(user_id("sato-son"), [card], "未定")
    assert "佐藤 花子さん" in all_text(asked) and delivery(db, "佐藤 花子").answer == "yes"
    changed = chat.tap(user_id("sato-son"), asked, texts.EV_FAMILY_CHANGE)
    done = all_text(chat.tap(user_id("sato-son"), changed, texts.EV_NO_COMMENT))
    assert "回答者：佐藤 一さん" in done
    with db.session() as s:  # still one receipt for the household
        assert s.scalar(select(func.count()).select_from(Delivery).join(Household)
                        .where(Household.name == "佐藤 花子")) == 1
    assert delivery(db, "佐藤 花子").answer == "maybe"


def test_details_count_as_read_and_not_for_others(chat, demo, db, fake, k):
    send(chat, PER_PERSON)
    drain(db, k.line)
    card = card_for(fake, ITO)
    assert delivery(db, "伊藤 美咲").read_at is None
    details = all_text(chat.tap(ITO, [card], texts.EV_DETAILS))
    assert "【夏祭り】" in details and texts.EV_NO_ANSWER_YET in details
    assert delivery(db, "伊藤 美咲").read_at is not None and delivery(db, "伊藤 美咲").answer is None
    # 1班 was not asked; nor was anyone about an event that does not exist
    assert all_text(chat.tap(SATO, [card], "参加")) == texts.EV_NOT_FOR_YOU
    assert all_text(chat.postback(SATO, "a=ev_ans&e=999&v=yes")) == texts.EV_GONE
    assert all_text(chat.postback(SATO, "a=ev_ans&e=x&v=yes")) == texts.EV_GONE
    assert all_text(chat.postback(ITO, "a=ev_cnt&d=x&n=2")) == texts.STALE_BUTTON


def test_per_person_answers_and_proxy_for_paper_household(chat, demo, db, fake, k):
    with db.session() as s:
        ito = s.scalar(select(Member).where(Member.line_user_id == ITO))
        s.add(Member(association_id=ito.association_id, line_user_id=user_id("ito-son"), household_id=ito.household_id,
                     block_id=ito.block_id, name="伊藤 翔", status=MemberStatus.active))
    send(chat, PER_PERSON)
    drain(db, k.line)
    card = card_for(fake, ITO)
    assert texts.EV_PER_PERSON in all_text([card])
    answer(chat, ITO, card, "参加")
    answer(chat, user_id("ito-son"), card, "不参加", comment="部活があります")
    with db.session() as s:
        rows = s.execute(select(Delivery.person_key, Delivery.answer, Delivery.via_line).join(Household)
                         .where(Household.name == "伊藤 美咲").order_by(Delivery.id)).all()
        assert [(a, v) for _, a, v in rows] == [("yes", True), ("no", True)] and all(p for p, _, _ in rows)

    # 代理回答: the block leader picks the paper household (渡辺 健, not on LINE) from 「集計」
    results = chat.text(LEADER2, "集計")
    q = chat.tap(LEADER2, results, f"{texts.EV_PROXY}：夏祭り")
    q = chat.tap(LEADER2, q, "渡辺 健")
    assert "渡辺 健様の世帯の回答" in all_text(q)
    q = chat.tap(LEADER2, q, "参加")
    done = all_text(chat.text(LEADER2, "足が不自由なので送迎希望"))
    assert "代理回答を記録しました（渡辺 健様の世帯）" in done and "送迎希望" in done
    d = delivery(db, "渡辺 健")
    assert d.person_key == 0 and d.answer == "yes" and d.answered_by_proxy and d.answered_by.name == "田中 実"
    assert d.history[0].proxy is True


def test_proxy_is_checked_on_the_server(chat, demo, db, fake, k):
    send(chat)
    takahashi = delivery(db, "高橋 和子").id  # 1班, paper
    assert all_text(chat.postback(SATO, f"a=ev_pans&d={takahashi}&v=yes")) == texts.OFFICERS_ONLY
    assert all_text(chat.postback(SATO, f"a=ev_cnt&d={takahashi}&n=2&p=1")) == texts.OFFICERS_ONLY
    assert all_text(chat.postback(LEADER2, f"a=ev_pick&d={takahashi}")) == texts.OFFICERS_ONLY  # not their 班
    assert all_text(chat.postback(LEADER2, f"a=ev_pans&d={takahashi}&v=yes")) == texts.OFFICERS_ONLY
    # a resident cannot answer for another household either
    assert all_text(chat.postback(SATO, f"a=ev_note&d={delivery(db, '鈴木 一郎').id}")) == texts.EV_NOT_FOR_YOU
    assert delivery(db, "高橋 和子").answer is None
    # the chair can; pages of 11 households with 次へ
    q = chat.postback(CHAIR, f"a=ev_proxy&e={event(db).id}")
    q = chat.tap(CHAIR, q, "1班")
    labels = [i["action"]["label"] for i in q[-1]["quickReply"]["items"]]
    assert labels[0] == "高橋 和子" and "佐藤 花子" in labels  # paper first, then the others
    q = chat.tap(CHAIR, q, "高橋 和子")
    q = chat.tap(CHAIR, q, "参加")
    q = chat.tap(CHAIR, q, "2人")
    done = chat.tap(CHAIR, q, texts.EV_NO_COMMENT)
    assert "代理回答を記録しました" in all_text(done) and button(done, texts.EV_PROXY_MORE)
    assert delivery(db, "高橋 和子").answer_data == {"count": 2}


def test_a_late_text_is_not_a_comment(chat, demo, db, fake, k, clock):
    send(chat)
    drain(db, k.line)
    chat.tap(SATO, [card_for(fake, SATO)], "不参加")
    clock.move_to(NOW + dt.timedelta(hours=2))
    assert all_text(chat.text(SATO, "こんにちは")) == texts.HELP_MEMBER
    assert delivery(db, "佐藤 花子").answer_data is None


def test_answering_does_not_cut_off_an_officers_draft(chat, demo, db, fake, k):
    send(chat)
    drain(db, k.line)
    chat.text(CHAIR, "回覧 ")  # the chair starts a circular and is asked its title
    done = chat.tap(CHAIR, [card_for(fake, CHAIR)], "不参加")
    assert "回答を受け付けました" in all_text(done)
    assert texts.ASK_BODY in all_text(chat.text(CHAIR, "防犯パトロール"))  # the draft goes on


# --- results ---------------------------------------------------------------------------------------
def answered(line, db, fake, k):
    send(line)
    drain(db, k.line)
    card = card_for(fake, SATO)
    answer(line, SATO, card, "参加", heads=2, comment="=1+1")
    answer(line, ITO, card, "不参加", comment="仕事のため, 欠席します")
    answer(line, NAKAMURA, card, "未定")
    line.tap(SUZUKI, [card], texts.EV_DETAILS)  # read, not answered
    return card


def test_results_in_chat(chat, demo, db, fake, k):
    answered(chat, db, fake, k)
    text = all_text(chat.text(CHAIR, "集計"))
    assert "■秋の清掃活動（12月5日(土) 9:00）締切 12月1日(火) 23:59" in text
    assert "参加 1・不参加 1・未定 1・未回答 1・未読 8（全12世帯）" in text
    assert "参加人数 計2人" in text
    assert "・1班 参加1 不参加0 未定0 未回答1 未読2" in text and "・2班 参加0 不参加1 未定1 未回答0 未読2" in text
    assert "高橋 和子様（紙）" in text and "鈴木 一郎様" in text and "佐藤 花子様" not in text
    assert text.index("高橋 和子様") < text.index("鈴木 一郎様")  # needs support first
    assert "リマインド予定：11月28日(土) 9:00（いま回答のない6件・6通）" in text  # issue 10: 未回答 means opened, not answered
    leader = all_text(chat.text(LEADER2, "集計"))
    assert "（全4世帯）" in leader and "渡辺 健様（紙）" in leader and "鈴木" not in leader


def test_results_page_table_filters_chart_and_csv(line, demo, db, fake, k):
    answered(line, db, fake, k)
    ev = event(db)
    client = line.client
    assert client.get(f"/admin/events/{ev.id}").status_code == 403  # not signed in
    sign_in(line, CHAIR)
    assert "秋の清掃活動" in client.get("/admin/events").get_data(as_text=True)
    html = client.get(f"/admin/events/{ev.id}").get_data(as_text=True)
    svg = html.split("<svg", 1)[1].split("</svg>")[0]  # inline, server-rendered: no script, nothing fetched
    assert "<script" not in html and "src=" not in html and svg.count("<rect") == 5
    bars = re.findall(r'<rect data-answer="(\w+)" x="\d+" y="\d+" width="(\d+)"', html)
    counts = re.findall(r'<text class="count"[^>]*>(\d+)</text>', html)
    assert [b[0] for b in bars] == ["yes", "no", "maybe", "unanswered", "unread"]
    assert counts == ["1", "1", "1", "1", "8"]
    assert [int(b[1]) for b in bars] == [32, 32, 32, 32, 260]  # proportional to the counts (260 units: narrow for phones)
    assert "所属" in html and "種別" in html and "連絡事項" in html and "仕事のため, 欠席します" in html

    filtered = client.get(f"/admin/events/{ev.id}?v=unread&b={block_id(db, '1班')}").get_data(as_text=True)
    assert "高橋 和子" in filtered and "鈴木 一郎" not in filtered and "伊藤 美咲" not in filtered
    assert re.search(rf'href="/admin/events/{ev.id}\.csv\?[^"]*v=unread', filtered)  # the CSV of what is shown

    resp = client.get(f"/admin/events/{ev.id}.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "所属,種別,氏名,回答,連絡事項,人数,回答日時,代理"
    assert lines[1] == "1班,世帯代表,山田 太郎,未読,,,,"
    assert lines[2] == "1班,世帯代表,佐藤 花子,参加,'=1+1,2,2026-11-22 10:00,"  # no formula in Excel
    assert lines[3] == "1班,世帯代表,鈴木 一郎,未回答,,,,"
    assert lines[6] == '2班,世帯代表,伊藤 美咲,不参加,"仕事のため, 欠席します",,2026-11-22 10:00,'
    assert len(lines) == 1 + 12 + 1 and lines[-1] == ""  # one row per household, CRLF after each
    only = client.get(f"/admin/events/{ev.id}.csv?v=maybe").get_data()[3:].decode().split("\r\n")
    assert only[1:] == ["2班,世帯代表,中村 幸子,未定,,,2026-11-22 10:00,", ""]


def test_per_person_csv_kinds_and_proxy_mark(line, demo, db, fake, k):
    with db.session() as s:
        ito = s.scalar(select(Member).where(Member.line_user_id == ITO))
        s.add(Member(association_id=ito.association_id, line_user_id=user_id("ito-son"), household_id=ito.household_id,
                     block_id=ito.block_id, name="伊藤 翔", status=MemberStatus.active))
    send(line, PER_PERSON)
    line.postback(LEADER2, f"a=ev_pans&d={delivery(db, '渡辺 健').id}&v=no")
    sign_in(line, LEADER2)
    rows = line.client.get(f"/admin/events/{event(db).id}.csv").get_data()[3:].decode().split("\r\n")[1:-1]
    assert [r.split(",")[:4] for r in rows] == [
        ["2班", "世帯代表", "田中 実", "未読"], ["2班", "世帯代表", "伊藤 美咲", "未読"],
        ["2班", "世帯内利用者", "伊藤 翔", "未読"], ["2班", "世帯代表", "渡辺 健", "不参加"],
        ["2班", "世帯代表", "中村 幸子", "未読"]]
    assert rows[3].endswith(f",{texts.EV_PROXY}")


def test_block_leader_page_is_their_block_and_residents_get_nothing(line, demo, db, fake, k):
    answered(line, db, fake, k)
    ev = event(db)
    sign_in(line, LEADER2)
    html = line.client.get(f"/admin/events/{ev.id}?b={block_id(db, '1班')}").get_data(as_text=True)
    assert "伊藤 美咲" in html and "佐藤 花子" not in html and "すべての班" not in html
    rows = line.client.get(f"/admin/events/{ev.id}.csv?b={block_id(db, '1班')}").get_data()[3:].decode()
    assert rows.count("\r\n") == 1 + 4 and "1班" not in rows
    with db.session() as s:  # a member who is no officer any more reads nothing
        s.scalar(select(Member).where(Member.line_user_id == LEADER2)).role = Role.member
    for path in (f"/admin/events/{ev.id}", f"/admin/events/{ev.id}.csv", "/admin/events"):
        assert line.client.get(path).status_code == 403
    assert line.client.get("/admin/events/999").status_code == 403


# --- reminders ---------------------------------------------------------------------------------
def reminded(fake):
    return sorted(d.user_id for d in fake.delivered
                  if d.via == "multicast" and texts.EV_REMINDER_TITLE in d.message.get("altText", ""))


def test_reminder_three_days_before_deadline_to_unanswered_only(chat, demo, db, fake, k, clock):
    answered(chat, db, fake, k)  # 佐藤・伊藤・中村 answered; 鈴木 only read
    clock.move_to(at(11, 28, 8, 59))
    assert send_due(k) == 0
    clock.move_to(at(11, 28, 9))
    assert send_due(k) == 1
    drain(db, k.line)
    got = reminded(fake)
    assert SUZUKI in got and CHAIR in got and len(got) == 6
    assert not {SATO, ITO, NAKAMURA} & set(got)
    card = next(d.message for d in fake.delivered if d.user_id == SUZUKI and d.message.get("altText", "").startswith(
        texts.EV_REMINDER_TITLE))
    assert "回答を受け付けました" in all_text(answer(chat, SUZUKI, card, "不参加"))
    clock.move_to(at(11, 29, 9))
    assert send_due(k) == 0  # once


def test_per_person_reminder_and_none_after_deadline(chat, demo, db, fake, k, clock):
    send(chat, PER_PERSON)
    drain(db, k.line)
    answer(chat, ITO, card_for(fake, ITO), "参加")
    clock.move_to(at(11, 28, 9))
    send_due(k)
    drain(db, k.line)
    assert reminded(fake) == sorted([LEADER2, NAKAMURA])
    # an event whose deadline is nearer than 3 days gets no reminder at all
    chat.text(CHAIR, "出欠 臨時役員会\n日時 12/1 19:00\n場所 東町会館\n締切 11/30\n対象 役員のみ")
    chat.tap(CHAIR, chat.text(CHAIR, "リマインド: 3日前"), texts.SEND)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Reminder).where(Reminder.subject_id == event(db).id,
                                                                           Reminder.subject_type == "event")) == 0


# --- helpers and parsing ---------------------------------------------------------------------------
def sign_in(line, user):
    out = line.text(user, "管理画面")
    uri = button(out, texts.ADMIN_OPEN)["uri"]
    assert line.client.post(uri[len(BASE):]).status_code == 303


def block_id(db, name):
    with db.session() as s:
        return s.scalar(select(Block.id).where(Block.name == name))


@pytest.mark.parametrize("text, expected", [
    ("12/5 10:00", (at(12, 5, 10), True)),
    ("2026-12-05T10:00", (at(12, 5, 10), True)),
    ("１２月５日（土）午後２時半", (at(12, 5, 14, 30), True)),
    ("12月5日 9時15分", (at(12, 5, 9, 15), True)),
    ("2026-12-01", (at(12, 1, 0), False)),
    ("1/10 10:00", (dt.datetime(2027, 1, 10, 10, tzinfo=JST), True)),  # January next year
    ("9/22 10:00", (at(9, 22, 10), True)),  # 61 days ago: still this year's (the setters say it is past)
    ("9/21 10:00", (dt.datetime(2027, 9, 21, 10, tzinfo=JST), True)),  # 62 days ago: next year's
    ("来週", None), ("2/30 10:00", None),
])
def test_parse_when(text, expected):
    assert parse_when(text, NOW, "Asia/Tokyo") == expected

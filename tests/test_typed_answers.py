"""Issue 10: an answer typed instead of tapped — 「参加します」, 「不参加です」, 「新年会　参加　２名」 — is
recorded exactly as the card's button (the same confirmation, the same family question); the head
count comes from the text (full-width digits, 名/人); with two open events and no name the member
is asked which, with buttons. Through the webhook."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Delivery, Event, Household, Member, MemberStatus

from chat import all_text, labels
from conftest import user_id

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")
SATO = demo_user_id("佐藤 花子")  # 1班
SON = user_id("sato-son")
NEW_YEAR = "出欠 新年会\n日時 12/5 18:00\n場所 東町会館\n締切 12/1\n人数 あり"
CLEANUP = "出欠 大掃除\n日時 12/6 9:00\n場所 公園\n締切 12/2\n人数 なし"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def send(line, db, k, form):
    line.tap(CHAIR, line.text(CHAIR, form), texts.SEND)
    drain(db, k.line)


def answer(db, event_name):
    with db.session() as s:
        ds = s.scalars(select(Delivery).join(Household).where(Household.name == "佐藤 花子",
                                                              Delivery.of_kind("event"))).all()
        for d in ds:
            if s.get(Event, d.event_id).name == event_name:
                return d.answer, (d.answer_data or {}).get("count"), (d.answered_by.name if d.answered_by else None)
    raise AssertionError(event_name)


@pytest.mark.parametrize("typed,heads", [("新年会　参加　２名", 2), ("参加します ３人", 3), ("新年会 参加 12名", 12)])
def test_typed_yes_with_a_head_count_is_recorded_like_the_button(line, demo, db, fake, k, typed, heads):
    send(line, db, k, NEW_YEAR)
    reply = line.text(SATO, typed)
    text = all_text(reply)
    assert texts.EV_ASK_HEADS not in text  # the head count was in the text: not asked again
    assert "「参加（" + str(heads) + "人）」で受け付けました" in text  # repeated back
    assert labels(reply) == [texts.EV_NO_COMMENT]
    assert answer(db, "新年会") == ("yes", heads, "佐藤 花子")
    done = line.tap(SATO, reply, texts.EV_NO_COMMENT)
    assert texts.EV_ANSWERED_BY.format(who="佐藤 花子さん") in all_text(done)


def test_typed_yes_without_a_count_asks_the_count_like_the_button(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    reply = line.text(SATO, "参加します")
    assert texts.EV_ASK_HEADS in all_text(reply)
    assert answer(db, "新年会")[0] == "yes"
    line.text(SATO, "２名")
    assert answer(db, "新年会") == ("yes", 2, "佐藤 花子")


@pytest.mark.parametrize("typed", ["不参加です", "不参加", "欠席します。", "不参加でお願いします"])
def test_typed_no_is_recorded(line, demo, db, fake, k, typed):
    send(line, db, k, NEW_YEAR)
    reply = line.text(SATO, typed)
    assert "「不参加」で受け付けました" in all_text(reply)
    assert texts.EV_COMMENT_EXAMPLES["no"] in all_text(reply)  # not 「車いすで参加します」
    assert texts.EV_COMMENT_EXAMPLES["yes"] not in all_text(reply)
    assert answer(db, "新年会")[0] == "no"


def test_a_sentence_that_only_mentions_it_is_not_an_answer(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    reply = line.text(SATO, "車いすで参加できますか")
    assert "受け付けました" not in all_text(reply)
    assert answer(db, "新年会")[0] is None


def test_two_open_events_ask_which_with_buttons(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    send(line, db, k, CLEANUP)
    asked = line.text(SATO, "不参加です")
    assert texts.TYPED_WHICH_EVENT.format(answer="不参加") in all_text(asked)
    assert labels(asked) == ["新年会", "大掃除"]
    assert answer(db, "新年会")[0] is None and answer(db, "大掃除")[0] is None
    done = line.tap(SATO, asked, "大掃除")
    assert "「不参加」で受け付けました" in all_text(done)
    assert answer(db, "大掃除")[0] == "no" and answer(db, "新年会")[0] is None


def test_naming_one_of_two_open_events_answers_that_one(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    send(line, db, k, CLEANUP)
    reply = line.text(SATO, "大掃除　参加します")
    assert "「参加」で受け付けました" in all_text(reply)
    assert answer(db, "大掃除")[0] == "yes" and answer(db, "新年会")[0] is None


def test_a_typed_answer_meets_the_family_question(line, demo, db, fake, k):
    with db.session() as s:
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        s.add(Member(association_id=sato.association_id, line_user_id=SON, household_id=sato.household_id,
                     block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))
    send(line, db, k, NEW_YEAR)
    line.tap(SATO, line.text(SATO, "新年会 参加 2名"), texts.EV_NO_COMMENT)
    asked = line.text(SON, "不参加です")
    assert labels(asked) == [texts.EV_FAMILY_CHANGE, texts.EV_FAMILY_KEEP]
    assert "佐藤 花子さん" in all_text(asked)
    assert answer(db, "新年会") == ("yes", 2, "佐藤 花子")  # nothing changed yet
    line.tap(SON, line.tap(SON, asked, texts.EV_FAMILY_CHANGE), texts.EV_NO_COMMENT)
    assert answer(db, "新年会")[0] == "no" and answer(db, "新年会")[2] == "佐藤 一"


def test_with_no_open_event_a_typed_answer_gets_the_help(line, demo, db, fake, k):
    reply = line.text(SATO, "参加します")
    assert "受け付けました" not in all_text(reply)


def test_a_different_answer_typed_at_the_comment_question_changes_the_answer(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    asked = line.text(SATO, "新年会 参加 2名")
    assert labels(asked) == [texts.EV_NO_COMMENT]
    reply = line.text(SATO, "やっぱり不参加です")  # not a comment: a new answer, as its button
    assert "「不参加」で受け付けました" in all_text(reply)
    assert answer(db, "新年会")[0] == "no"
    done = line.text(SATO, "当日は仕事です")  # the comment of the new answer
    assert "連絡事項：当日は仕事です" in all_text(done)


def test_the_same_answer_typed_at_the_comment_question_is_a_comment(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    line.text(SATO, "新年会 参加 2名")
    done = line.text(SATO, "参加します")
    assert "連絡事項：参加します" in all_text(done) and answer(db, "新年会") == ("yes", 2, "佐藤 花子")


def test_a_different_answer_typed_at_the_head_count_question_changes_the_answer(line, demo, db, fake, k):
    send(line, db, k, NEW_YEAR)
    assert texts.EV_ASK_HEADS in all_text(line.text(SATO, "参加します"))
    reply = line.text(SATO, "不参加です")
    assert texts.EV_BAD_HEADS not in all_text(reply) and "「不参加」で受け付けました" in all_text(reply)
    assert answer(db, "新年会")[0] == "no"

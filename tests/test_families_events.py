"""Issue 10: a household's event answer given by another member is not overwritten silently: the
second member is told what the household answered, by whom and when, and asked [変更する]
[そのままにする]; a stale or forged [変更する] changes nothing. Through the webhook."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from handlers.messages.codec import pb
from models import Delivery, Event, Household, Member, MemberStatus

from chat import all_text, button, labels
from conftest import user_id

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")
SATO = demo_user_id("佐藤 花子")  # 1班
SON = user_id("sato-son")
FORM = "出欠 新年会\n日時 12/5 18:00\n場所 東町会館\n締切 12/1\n人数 なし"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def setup(line, db, k):
    with db.session() as s:
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        s.add(Member(association_id=sato.association_id, line_user_id=SON, household_id=sato.household_id,
                     block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))
    preview = line.text(CHAIR, FORM)
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    with db.session() as s:
        return s.scalars(select(Event).order_by(Event.id.desc())).first().id


def household_answer(db):
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "佐藤 花子", Delivery.of_kind("event")))
        return d.answer, (d.answered_by.name if d.answered_by else None), len(d.history)


def first_answer(line, eid):
    done = line.tap(SATO, line.postback(SATO, pb("ev_ans", e=eid, v="yes")), texts.EV_NO_COMMENT)
    assert texts.EV_ANSWERED_BY.format(who="佐藤 花子さん") in all_text(done)


def test_second_member_is_asked_before_changing_and_can_change(line, demo, db, fake, k):
    eid = setup(line, db, k)
    first_answer(line, eid)
    asked = line.postback(SON, pb("ev_ans", e=eid, v="no"))
    text = all_text(asked)
    assert "佐藤 花子さん" in text and "「参加」" in text and "「不参加」" in text and "10時00分" in text
    assert labels(asked) == [texts.EV_FAMILY_CHANGE, texts.EV_FAMILY_KEEP]
    assert household_answer(db) == ("yes", "佐藤 花子", 1)  # nothing changed yet
    changed = line.tap(SON, asked, texts.EV_FAMILY_CHANGE)
    done = line.tap(SON, changed, texts.EV_NO_COMMENT)
    assert texts.EV_ANSWERED_BY.format(who="佐藤 一さん") in all_text(done)  # his own name
    assert household_answer(db) == ("no", "佐藤 一", 2)


def test_keep_changes_nothing(line, demo, db, fake, k):
    eid = setup(line, db, k)
    first_answer(line, eid)
    asked = line.postback(SON, pb("ev_ans", e=eid, v="no"))
    kept = line.tap(SON, asked, texts.EV_FAMILY_KEEP)
    assert texts.EV_FAMILY_KEPT.format(name="新年会", who="佐藤 花子さん", answer="参加") in all_text(kept)
    assert household_answer(db) == ("yes", "佐藤 花子", 1)


def test_a_stale_or_forged_change_changes_nothing(line, demo, db, fake, k):
    eid = setup(line, db, k)
    first_answer(line, eid)
    asked = line.postback(SON, pb("ev_ans", e=eid, v="no"))
    stale = button(asked, texts.EV_FAMILY_CHANGE)["data"]
    # the mother answers again meanwhile (未定): the son's [変更する] was about her 参加
    line.tap(SATO, line.postback(SATO, pb("ev_ans", e=eid, v="maybe")), texts.EV_NO_COMMENT)
    again = line.postback(SON, stale)
    assert "「未定」" in all_text(again) and texts.EV_FAMILY_CHANGE in labels(again)  # asked anew
    assert household_answer(db) == ("maybe", "佐藤 花子", 2)
    forged = line.postback(SON, pb("ev_ans", e=eid, v="no", k="99"))
    assert texts.EV_FAMILY_CHANGE in labels(forged)
    assert household_answer(db) == ("maybe", "佐藤 花子", 2)


def test_the_same_member_changes_their_own_answer_without_a_question(line, demo, db, fake, k):
    eid = setup(line, db, k)
    first_answer(line, eid)
    reply = line.postback(SATO, pb("ev_ans", e=eid, v="no"))
    assert texts.EV_FAMILY_CHANGE not in labels(reply)
    assert household_answer(db)[0] == "no"

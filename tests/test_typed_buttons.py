"""Issue 10: at a step that waits for a button, a typed 「2班です」 or 「3」 picks that 班 (by name or
number, NFKC); a code-shaped text (「6566-7981」) without 登録コード is a join code, at the step and
outside any dialog; anything else hears 「下のボタンから選んでください」 with the same buttons. Through
the webhook."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Block, Circular, DialogState, Household, JoinAttempt, Target

from chat import all_text, labels
from conftest import user_id

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def consented(line, uid):
    asked = line.tap(uid, line.follow(uid), texts.AGREE)
    assert texts.ASK_BLOCK_OR_CODE in all_text(asked)
    return asked


def step_of(db, uid):
    with db.session() as s:
        d = s.scalars(select(DialogState).where(DialogState.line_user_id == uid)).first()
        return (d.step, dict(d.data)) if d else None


@pytest.mark.parametrize("typed,block", [("2班です", "2班"), ("3", "3班"), ("２班", "2班"), ("１", "1班"),
                                         ("3班でお願いします。", "3班")])
def test_a_typed_block_picks_it(line, demo, db, typed, block):
    uid = user_id("typist")
    consented(line, uid)
    reply = line.text(uid, typed)
    assert texts.ASK_NAME.format(block=block) in all_text(reply)
    step, data = step_of(db, uid)
    with db.session() as s:
        assert step == "name" and s.scalar(select(Block.id).where(Block.name == block)) == data["block_id"]


@pytest.mark.parametrize("typed", ["こんにちは", "9", "4班"])
def test_anything_else_is_pointed_to_the_buttons_with_the_same_buttons(line, demo, db, typed):
    uid = user_id("typist")
    asked = consented(line, uid)
    reply = line.text(uid, typed)
    assert all_text(reply) == texts.CHOOSE_BELOW + "\n" + texts.ASK_BLOCK_OR_CODE  # the question, with the hint
    assert labels(reply) == labels(asked)  # the same quick reply again
    assert step_of(db, uid)[0] == "block"


def test_a_bare_code_at_the_block_step_is_a_join_code(line, demo, db):
    uid = user_id("coder")
    consented(line, uid)
    with db.session() as s:
        code = s.scalar(select(Household.join_code).where(Household.name == "渡辺 健"))
    reply = line.text(uid, code)  # no 「登録コード」
    assert texts.CHOOSE_BELOW not in all_text(reply)
    assert step_of(db, uid)[0] == "code_name"


def test_a_bare_code_outside_any_dialog_is_a_join_code(line, demo, db):
    uid = user_id("coder")
    consented(line, uid)
    line.text(uid, "取消")  # the dialog is gone; the member is still registering
    assert step_of(db, uid) is None
    reply = line.text(uid, "6566-7981")  # an old sheet's 8 digits, not anybody's
    assert texts.JOIN_CODE_UNKNOWN in all_text(reply)
    with db.session() as s:
        assert s.scalars(select(JoinAttempt)).all()  # counted as an attempt, as with 登録コード


def test_a_bare_code_before_consent_asks_for_consent_first(line, demo, db):
    uid = user_id("early")
    line.follow(uid)
    reply = line.text(uid, "6566-7981")
    assert texts.CONSENT_FIRST in all_text(reply)


CHAIR = demo_user_id("山田 太郎")


def test_a_draft_step_of_buttons_takes_a_typed_label_or_points_to_the_buttons(line, demo, db):
    """DraftFlow's steps of buttons (typed=False) the same way: the 回覧's 送信先."""
    line.text(CHAIR, "回覧")
    line.text(CHAIR, "防犯パトロール")
    asked = line.text(CHAIR, "今月の当番です。")
    asked = line.text(CHAIR, texts.NEXT) if texts.ASK_TARGET not in all_text(asked) else asked
    assert texts.ASK_TARGET in all_text(asked)
    again = line.text(CHAIR, "だれでも")
    assert all_text(again).startswith(texts.CHOOSE_BELOW) and labels(again) == labels(asked)
    preview = line.text(CHAIR, "役員のみです")  # the label, typed
    assert texts.SEND in all_text(preview) or texts.SEND in labels(preview)
    with db.session() as s:
        assert s.scalar(select(Circular.target)) == Target.officers

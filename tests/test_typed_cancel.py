"""Cancel words at any step (issue 10): 取り消し, とりけし, ｷｬﾝｾﾙ (half width), ＣＡＮＣＥＬ-like full
width forms… end the dialog through the webhook; nothing typed as a cancel word is saved as a
circular's title or body, nor as an event's name."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Circular, DialogState, Event

from chat import all_text

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")  # 会長
WORDS = ["取消", "取り消し", "取消し", "とりけし", "キャンセル", "ｷｬﾝｾﾙ", "やめる", "中止", "　とりけし　", "取り消す"]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def nothing_open(db):
    with db.session() as s:
        assert s.scalars(select(DialogState)).all() == []


@pytest.mark.parametrize("word", WORDS)
def test_cancel_word_at_the_circular_title(line, demo, db, word):
    assert texts.ASK_TITLE in all_text(line.text(CHAIR, "回覧"))
    assert texts.CANCELLED in all_text(line.text(CHAIR, word))
    with db.session() as s:
        assert s.scalars(select(Circular)).all() == []  # the draft went with the dialog
    nothing_open(db)


@pytest.mark.parametrize("word", WORDS)
def test_cancel_word_at_the_circular_body(line, demo, db, word):
    line.text(CHAIR, "回覧")
    assert texts.ASK_BODY in all_text(line.text(CHAIR, "防災訓練のお知らせ"))
    assert texts.CANCELLED in all_text(line.text(CHAIR, word))
    with db.session() as s:
        assert s.scalars(select(Circular)).all() == []
    nothing_open(db)


@pytest.mark.parametrize("word", ["取り消し", "とりけし", "ｷｬﾝｾﾙ"])
def test_cancel_word_at_the_event_name(line, demo, db, word):
    assert texts.EV_ASK_NAME in all_text(line.text(CHAIR, "出欠"))
    assert texts.CANCELLED in all_text(line.text(CHAIR, word))
    with db.session() as s:
        assert s.scalars(select(Event)).all() == []
    nothing_open(db)

"""Issue 10: the help that answers a text nothing took never suggests 退会 to someone who just tried
to answer; it says what they can do now — the household's unread circulars, the open events not
answered yet, an open safety check — with their buttons. Through the webhook."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Circular, Delivery, Household

from chat import all_text, labels
import safety_kit

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")
SATO = demo_user_id("佐藤 花子")  # 1班
EVENT = "出欠 新年会\n日時 12/5 18:00\n場所 東町会館\n締切 12/1\n人数 なし"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def send(line, db, k, form):
    line.tap(CHAIR, line.text(CHAIR, form), texts.SEND)
    drain(db, k.line)


def test_nothing_open_gives_the_short_help_without_withdrawal(line, demo, db):
    reply = line.text(SATO, "こんにちは")
    assert all_text(reply) == texts.HELP_MEMBER
    assert "退会" not in all_text(reply)


def test_an_attempt_at_answering_hears_the_open_event_with_its_button(line, demo, db, fake, k):
    send(line, db, k, EVENT)
    reply = line.text(SATO, "車いすで参加できますか")  # not clearly an answer: nothing recorded
    text = all_text(reply)
    assert "退会" not in text
    assert texts.HELP_NOW_HEAD in text and "・出欠の回答「新年会」（締切：12月1日" in text
    assert labels(reply) == ["新年会"]
    details = line.tap(SATO, reply, "新年会")
    assert {"参加", "不参加", "未定"} <= set(labels(details))  # the answer buttons, one tap away
    line.tap(SATO, line.tap(SATO, details, "不参加"), texts.EV_NO_COMMENT)
    assert all_text(line.text(SATO, "こんにちは")) == texts.HELP_MEMBER  # answered: no longer listed


def test_unread_circulars_are_listed_with_a_button_that_reads_them(line, demo, db, fake, k):
    send(line, db, k, "回覧 防災訓練のお知らせ\n12月6日に訓練をします。")
    reply = line.text(SATO, "はい")
    assert texts.HELP_NOW_CIRCULAR.format(title="防災訓練のお知らせ") in all_text(reply)
    assert labels(reply) == ["防災訓練のお知らせ"]
    full = line.tap(SATO, reply, "防災訓練のお知らせ")
    assert "12月6日に訓練をします。" in all_text(full)
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).join(Circular, Delivery.circular_id == Circular.id)
                     .where(Household.name == "佐藤 花子"))
        assert d.read_at is not None
    assert all_text(line.text(SATO, "はい")) == texts.HELP_MEMBER


def test_an_officer_gets_the_open_items_too(line, demo, db, fake, k):
    send(line, db, k, EVENT)
    reply = line.text(CHAIR, "こんにちは")
    assert "・出欠の回答「新年会」" in all_text(reply) and labels(reply) == ["新年会"]
    assert texts.HELP_OFFICER in all_text(reply)  # and the officers' words still


def test_during_a_safety_check_a_text_is_the_safety_checks_not_the_help(line, demo, db, fake, k):
    """Disaster mode hears every resident: the answer is the check's own card, never the help."""
    send(line, db, k, EVENT)
    safety_kit.start(line)
    drain(db, k.line)
    reply = line.text(SATO, "あのー")
    text = all_text(reply)
    assert texts.HELP_NOW_HEAD not in text and texts.HELP_MEMBER not in text and "退会" not in text
    assert "無事" in labels(reply)

"""The disaster menu's pull views, by reply only: 安否を伝える (the safety check while disaster mode
is on, else what happens in one), 家族の状況 (my household's latest report: status, who, when) and
避難所・連絡先 (the association's text, or a polite default)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import texts
from models import Association

from chat import all_text, button
from safety_kit import start
from views_kit import (  # noqa: F401 - clock is a fixture
    BOSAI, CHAIR, JIRO, SATO, SUZUKI, clock, family_member, quick_labels, replies_only, view)


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


def test_safety_outside_disaster_mode_explains(line, demo, db, fake):
    with replies_only(db, fake):
        assert all_text(view(line, SATO, "safety")) == texts.VIEW_SAFETY_CALM


def test_safety_in_disaster_mode_is_the_check_and_shows_the_households_answer(line, demo, db, fake, k, clock):
    family_member(db)
    start(line)
    drain(db, k.line)
    with replies_only(db, fake):
        out = view(line, SATO, "safety")
    (card,) = out
    assert card["altText"].startswith(texts.SAFETY_CHECK_TITLE.format(kind="地震"))
    assert button(out, texts.SAFETY_LABELS["safe"])["data"].startswith("a=sf&d=")
    line.tap(SATO, out, texts.SAFETY_LABELS["safe"])
    clock.shift(dt.timedelta(minutes=7))
    again = view(line, JIRO, "safety")  # the household's answer, seen by the family
    assert all_text(again[:1]) == texts.VIEW_SAFETY_NOW.format(status="無事", who="佐藤 花子さん", when="11月22日 23:40")
    assert again[1]["altText"].startswith(texts.SAFETY_CHECK_TITLE.format(kind="地震"))
    line.tap(JIRO, again, texts.SAFETY_LABELS["injured"])  # changed from the view's own card
    assert all_text(view(line, SATO, "safety")[:1]) == texts.VIEW_SAFETY_NOW.format(
        status="けが人あり", who="佐藤 次郎さん", when="11月22日 23:47")


def test_family_status_who_and_when(line, demo, db, fake, k, clock):
    family_member(db)
    assert all_text(view(line, SATO, "family")) == texts.VIEW_FAMILY_NONE
    start(line)
    drain(db, k.line)
    with replies_only(db, fake):
        out = view(line, JIRO, "family")
    title = texts.VIEW_FAMILY_TITLE.format(household="佐藤 花子")
    assert all_text(out) == title + "\n" + texts.VIEW_FAMILY_UNANSWERED
    assert quick_labels(out[-1])[:4] == [texts.SAFETY_LABELS[s] for s in ("safe", "injured", "rescue", "evacuated")]
    clock.shift(dt.timedelta(minutes=3))
    line.tap(JIRO, out, texts.SAFETY_LABELS["evacuated"])  # answered from the view's chips
    line.text(JIRO, "東町小学校にいます")  # the household's 連絡事項
    said = all_text(view(line, SATO, "family"))
    assert said.splitlines()[:4] == [title, texts.VIEW_FAMILY_STATUS.format(status="避難しました"),
                                     texts.VIEW_FAMILY_BY.format(who="佐藤 次郎さん"),
                                     texts.VIEW_FAMILY_AT.format(when="11月22日 23:43")]
    assert texts.VIEW_FAMILY_NOTE.format(note="東町小学校にいます") in said
    assert all_text(view(line, SUZUKI, "family")) == texts.VIEW_FAMILY_TITLE.format(household="鈴木 一郎") + "\n" \
        + texts.VIEW_FAMILY_UNANSWERED  # another household's answer is not theirs
    # after the end: the last record, said to be of the ended mode
    line.tap(CHAIR, line.text(CHAIR, texts.CMD_DISASTER_END), texts.DISASTER_END_YES)
    ended = all_text(view(line, SATO, "family"))
    assert texts.VIEW_FAMILY_STATUS.format(status="避難しました") in ended
    assert ended.endswith(texts.VIEW_FAMILY_ENDED.format(date="11月22日"))
    assert all_text(view(line, SUZUKI, "family")) == texts.VIEW_FAMILY_NONE


def test_shelter_text_or_the_polite_default(line, demo, db, fake):
    with replies_only(db, fake):
        assert all_text(view(line, SATO, "shelter")) == texts.VIEW_SHELTER_TITLE + "\n" + texts.VIEW_SHELTER_EMPTY
    with db.session() as s:
        s.scalar(select(Association)).shelter_info = "避難所：東町小学校 体育館\n会長 山田 090-0000-0000\n"
    assert all_text(view(line, BOSAI, "shelter")) == (
        texts.VIEW_SHELTER_TITLE + "\n避難所：東町小学校 体育館\n会長 山田 090-0000-0000")


def test_during_and_after_a_drill_the_views_say_it_is_a_drill(line, demo, db, fake, k, clock):
    """A drill's answer is never shown as a real disaster's: 家族の状況 and 安否を伝える carry 【訓練】."""
    from drills_kit import start_drill
    family_member(db)
    start_drill(line)
    drain(db, k.line)
    with replies_only(db, fake):
        unanswered = view(line, JIRO, "family")
    assert all_text(unanswered).startswith(texts.DRILL_MARK)
    line.tap(JIRO, unanswered, texts.SAFETY_LABELS["safe"])
    for v in ("family", "safety"):
        out = view(line, SATO, v)
        assert all_text(out[:1]).startswith(texts.DRILL_MARK), (v, all_text(out))
    line.tap(BOSAI, line.text(BOSAI, texts.CMD_DISASTER_END), texts.DISASTER_END_YES)
    after = all_text(view(line, SATO, "family"))
    assert after.startswith(texts.DRILL_MARK) and texts.VIEW_FAMILY_STATUS.format(status="無事") in after

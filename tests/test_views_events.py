"""行事・出欠 (pull view `events`): the open events my household was asked about, each with its
answer so far and the event's own answer buttons, by reply only; an answer changes until the
deadline, closed and stopped events are not shown; per-person events show my own answer."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import Correction, Event

from chat import all_text, button
from views_kit import (  # noqa: F401 - clock is a fixture
    CHAIR, JIRO, LEADER, SATO, bubble_actions, bubble_texts, carousel, clock, family_member, replies_only, view)

CLEANUP = "出欠 秋の清掃活動\n日時 11/29 9:00\n場所 東町公園\n締切 11/27\n人数 なし"
PARTY = "出欠 忘年会\n日時 12/12 18:00\n場所 東町会館\n締切 11/24\n人数 なし"
TALK = "出欠 防災講話\n日時 12/6 10:00\n場所 東町会館\n締切 12/1\n回答 個人\n人数 なし"


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


def send_event(line, form: str, who: str = CHAIR) -> int:
    preview = line.text(who, form)
    data = button(preview, texts.SEND)["data"]
    line.postback(who, data)
    return int(re.search(r"e=(\d+)", data).group(1))


def names(bubbles: list[dict]) -> list[str]:
    return [bubble_texts(b)[1] for b in bubbles]


def answer(line, who: str, bubble: dict, label: str) -> list[dict]:
    out = line.tap(who, [bubble], label)
    if texts.EV_NO_COMMENT in [a.get("label") for q in out for a in [i["action"] for i in q.get("quickReply", {}).get("items", [])]]:
        out = line.tap(who, out, texts.EV_NO_COMMENT)
    return out


def test_open_events_with_my_households_answer_changeable_until_the_deadline(line, demo, db, fake, clock):
    family_member(db)
    send_event(line, CLEANUP)
    send_event(line, PARTY)
    with replies_only(db, fake):
        out = view(line, SATO, "events")
    assert all_text(out[:1]) == texts.VIEW_EVENTS_HEAD.format(n=2)
    bubbles = carousel(out)
    assert names(bubbles) == ["忘年会", "秋の清掃活動"]  # the nearest deadline first
    assert all(texts.VIEW_EVENT_UNANSWERED in bubble_texts(b) for b in bubbles)
    answers = [a for a in bubble_actions(bubbles[0]) if a["data"].startswith("a=ev_ans&")]
    assert [a["label"] for a in answers] == [texts.ANSWER_LABELS[v] for v in ("yes", "no", "maybe")]
    # the card's button is the event's own: the answer is recorded, and the view shows it
    answer(line, SATO, bubbles[1], texts.ANSWER_LABELS["yes"])
    mine = carousel(view(line, JIRO, "events"))  # the household's answer, seen by the family
    assert texts.VIEW_EVENT_ANSWERED.format(answer="参加", who="佐藤 花子さん") in bubble_texts(mine[1])
    assert texts.VIEW_EVENT_UNANSWERED in bubble_texts(mine[0])
    # changed from the view's own card: another family member is asked first (issue 10) and changes it
    asked = line.tap(JIRO, [mine[1]], texts.ANSWER_LABELS["no"])
    out = line.tap(JIRO, asked, texts.EV_FAMILY_CHANGE)
    if texts.EV_NO_COMMENT in [a.get("label") for q in out for a in [i["action"] for i in q.get("quickReply", {}).get("items", [])]]:
        line.tap(JIRO, out, texts.EV_NO_COMMENT)
    again = carousel(view(line, SATO, "events"))
    assert texts.VIEW_EVENT_ANSWERED.format(answer="不参加", who="佐藤 次郎さん") in bubble_texts(again[1])
    # past the first deadline (11/24 ends): that event is no longer shown, the other one is
    clock.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    later = view(line, SATO, "events")
    assert names(carousel(later)) == ["秋の清掃活動"]
    assert texts.VIEW_EVENT_ANSWERED.format(answer="不参加", who="佐藤 次郎さん") in bubble_texts(carousel(later)[0])
    clock.move_to(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert all_text(view(line, SATO, "events")) == texts.VIEW_EVENTS_NONE


def test_a_stopped_event_is_not_shown(line, demo, db, fake, clock):
    eid = send_event(line, CLEANUP)
    assert names(carousel(view(line, SATO, "events"))) == ["秋の清掃活動"]
    with db.session() as s:
        s.add(Correction(association_id=s.get(Event, eid).association_id, kind="event", subject_id=eid,
                         action="cancel", note="雨のため中止します。"))
    assert all_text(view(line, SATO, "events")) == texts.VIEW_EVENTS_NONE


def test_per_person_events_show_my_own_answer(line, demo, db, fake, clock):
    family_member(db)
    send_event(line, TALK)
    (card,) = carousel(view(line, SATO, "events"))
    answer(line, SATO, card, texts.ANSWER_LABELS["maybe"])
    assert texts.VIEW_EVENT_ANSWERED.format(answer="未定", who=texts.EV_SELF) in bubble_texts(
        carousel(view(line, SATO, "events"))[0])
    assert texts.VIEW_EVENT_UNANSWERED in bubble_texts(carousel(view(line, JIRO, "events"))[0])


def test_no_event_of_another_block(line, demo, db, fake, clock):
    """An event sent to 2班 only: a 1班 household has no receipt and sees none."""
    send_event(line, "出欠 2班の集まり\n日時 12/6 10:00\n場所 集会所\n締切 12/1\n対象 2班\n人数 なし")
    assert all_text(view(line, SATO, "events")) == texts.VIEW_EVENTS_NONE
    assert names(carousel(view(line, LEADER, "events"))) == ["2班の集まり"]
    with db.session() as s:
        assert s.scalar(select(Event.name)) == "2班の集まり"

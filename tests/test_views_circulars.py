"""回覧板 (pull view `circulars`): the household's latest circulars as a carousel, by reply only,
each with its read state and [読みました] while unread; [もっと見る] pages back; the categories
filter; forged paging values are stale buttons; 役員のみ circulars stay the officers'."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from handlers.messages import texts
from handlers.messages.codec import pb
from handlers.views.archive import PAGE
from models import Circular, Delivery, Household, Target

from admin_kit import send_circular
from chat import all_text
from views_kit import (  # noqa: F401 - clock is a fixture
    CHAIR, JIRO, SATO, SUZUKI, bubble_actions, bubble_texts, carousel, clock, family_member, quick_labels,
    replies_only, view)


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


def send_many(line, clock, titles: list[str]) -> list[int]:
    ids = []
    for t in titles:
        ids.append(send_circular(line, CHAIR, t, f"{t}の本文です。"))
        clock.shift(dt.timedelta(minutes=5))
    return ids


def titles_of(bubbles: list[dict]) -> list[str]:
    return [bubble_texts(b)[1] for b in bubbles if len(bubble_texts(b)) > 2]


def test_read_state_and_read_button_from_the_database(line, demo, db, fake, clock):
    first, second = send_many(line, clock, ["清掃のお知らせ", "防犯灯の点検"])
    line.postback(SATO, pb("read", c=first))
    with replies_only(db, fake):
        out = view(line, SATO, "circulars")
    assert all_text(out[:1]) == texts.VIEW_CIRCULARS_HEAD.format(n=2)
    newest, older = carousel(out)
    assert titles_of([newest, older]) == ["防犯灯の点検", "清掃のお知らせ"]
    assert texts.VIEW_UNREAD in bubble_texts(newest)
    assert [a["data"] for a in bubble_actions(newest) if a["label"] == texts.READ] == [pb("read", c=second)]
    read_line = [t for t in bubble_texts(older) if t.startswith(texts.VIEW_READ.split("：")[0])]
    assert read_line and texts.READ_BY_SELF in read_line[0]
    assert texts.READ not in [a["label"] for a in bubble_actions(older)]
    # the archive's button is the circular's own: tapping it reads it, and the view says so next time
    assert all_text(line.tap(SATO, [newest], texts.READ)) == texts.READ_THANKS.format(title="防犯灯の点検")
    again = carousel(view(line, SATO, "circulars"))
    assert texts.VIEW_UNREAD not in bubble_texts(again[0]) and not [
        a for a in bubble_actions(again[0]) if a["label"] == texts.READ]


def test_a_family_members_read_is_the_households(line, demo, db, fake, clock):
    family_member(db)
    (cid,) = send_many(line, clock, ["総会のお知らせ"])
    line.postback(SATO, pb("read", c=cid))
    (bubble,) = carousel(view(line, JIRO, "circulars"))
    assert any(texts.READ_BY_NAME.format(name="佐藤 花子") in t for t in bubble_texts(bubble))
    assert texts.READ not in [a["label"] for a in bubble_actions(bubble)]


def test_more_pages_back_and_the_end_is_said(line, demo, db, fake, clock):
    titles = [f"お知らせ{i}" for i in range(PAGE + 2)]
    send_many(line, clock, titles)
    with replies_only(db, fake):
        out = view(line, SATO, "circulars")
        bubbles = carousel(out)
        assert titles_of(bubbles) == titles[::-1][:PAGE]
        assert len(bubbles) == PAGE + 1  # the last bubble: [もっと見る]
        assert quick_labels(out[-1])[0] == texts.VIEW_MORE
        older = line.tap(SATO, [bubbles[-1]], texts.VIEW_MORE)
    assert all_text(older[:1]) == texts.VIEW_CIRCULARS_OLDER.format(start=PAGE + 1)
    rest = carousel(older)
    assert titles_of(rest) == titles[::-1][PAGE:] and len(rest) == 2  # no [もっと見る] at the end
    assert texts.VIEW_MORE not in quick_labels(older[-1])
    assert all_text(view(line, SATO, "circulars", o=PAGE + 2)) == texts.VIEW_CIRCULARS_NO_MORE


def test_categories_filter_the_list(line, demo, db, fake, clock):
    garbage, other, meeting = send_many(line, clock, ["ごみ収集日の変更", "防犯灯の点検", "総会のご案内"])
    with db.session() as s:
        s.get(Circular, garbage).category = "garbage"
        # (not general_meeting: its 15 characters do not fit circulars.category's 12 on PostgreSQL)
        s.get(Circular, meeting).category = "event"
    out = view(line, SATO, "circulars")
    labels = quick_labels(out[-1])
    assert [texts.CIRCULAR_CATEGORIES[k] for k in ("event", "safety", "general_meeting", "garbage", "condolence",
                                                   "other")] == labels
    with replies_only(db, fake):
        only = line.tap(SATO, out, texts.CIRCULAR_CATEGORIES["garbage"])
    assert all_text(only[:1]) == texts.VIEW_CIRCULARS_HEAD_CATEGORY.format(category="ごみ", n=1)
    assert titles_of(carousel(only)) == ["ごみ収集日の変更"]
    assert quick_labels(only[-1])[0] == texts.VIEW_ALL_CATEGORIES  # back to every category
    assert titles_of(carousel(line.tap(SATO, only, texts.VIEW_ALL_CATEGORIES))) == [
        "総会のご案内", "防犯灯の点検", "ごみ収集日の変更"]
    none = view(line, SATO, "circulars", k="condolence")
    assert all_text(none) == texts.VIEW_CIRCULARS_NONE_CATEGORY.format(category="おくやみ")


@pytest.mark.parametrize("fields", [{"o": "-5"}, {"o": "abc"}, {"o": "99999"}, {"o": "1001"}, {"o": "１"},
                                    {"k": "secret"}, {"k": "garbage'"}, {"o": "5", "k": "x"}])
def test_forged_paging_and_category_are_stale(line, demo, db, fake, clock, fields):
    send_many(line, clock, ["清掃のお知らせ"])
    with replies_only(db, fake):
        assert all_text(view(line, SATO, "circulars", **fields)) == texts.STALE_BUTTON


def test_nothing_received_yet(line, demo, db, fake, clock):
    with replies_only(db, fake):
        assert all_text(view(line, SATO, "circulars")) == texts.VIEW_CIRCULARS_NONE


def test_officers_only_circulars_stay_with_the_officer(line, demo, db, fake, clock):
    family_member(db, "山田 太郎", "山田 花子", JIRO)
    (cid,) = send_many(line, clock, ["役員会のお知らせ"])
    with db.session() as s:
        s.get(Circular, cid).target = Target.officers
    assert titles_of(carousel(view(line, CHAIR, "circulars"))) == ["役員会のお知らせ"]
    assert all_text(view(line, JIRO, "circulars")) == texts.VIEW_CIRCULARS_NONE


def test_only_the_households_own_receipts(line, demo, db, fake, clock):
    """A circular whose receipt another household holds (sent to another 班) is not in this one's archive."""
    (cid,) = send_many(line, clock, ["2班へのお知らせ"])
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == "鈴木 一郎"))
        s.execute(delete(Delivery).where(Delivery.circular_id == cid, Delivery.household_id == h.id))
    assert all_text(view(line, SUZUKI, "circulars")) == texts.VIEW_CIRCULARS_NONE
    assert titles_of(carousel(view(line, SATO, "circulars"))) == ["2班へのお知らせ"]

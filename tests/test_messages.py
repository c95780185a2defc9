"""Every message builder, at its limits, validates against LINE's OpenAPI spec and documented limits."""
import datetime as dt
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine

import handlers.messages
from handlers.messages import builders as msg, cards, city, dates, pickers, texts
from handlers.messages import views as pull  # the pull views' carousels (issue 13)
from handlers.messages.limits import MAX_MESSAGES, check_message

from line_spec import validate_request

NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.timezone.utc)
LONG = "長" * 60  # longer than any label may be


@pytest.fixture(autouse=True)
def clock():
    """The builders are given their dates; the clock is frozen anyway, so no case depends on today."""
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def valid(m: dict) -> dict:
    validate_request("push", {"to": "U" + "0" * 32, "messages": [m]})
    assert check_message(m) == []
    return m


CASES = {
    "text": lambda: msg.text("こんにちは", [msg.postback(f"{i}班{LONG}", f"a=x&b={i}") for i in range(12)]
                              + [msg.location()]),
    "text_long": lambda: msg.text("あ" * 5000),
    "serialised": lambda: msg.text("無事", [*msg.serialised([msg.location(), msg.postback(LONG, "a=sf_n&d=1&n=1"),
                                                             msg.say(LONG)]), msg.postback(LONG, "a=x")]),
    "card": lambda: msg.card(LONG, "本文" * 100, [msg.postback(LONG, "a=1"), msg.say(LONG)], note="注",
                             quick=[msg.say(texts.CANCEL)]),
    "consent": lambda: msg.consent("東町自治会" * 5, "https://kairan.example.jp/privacy", "a=consent&v=1&p=2026-11",
                                   "a=consent&v=0"),
    "link": lambda: msg.link(LONG, "本文", texts.OPEN_PAGE, "https://kairan.example.jp/c/" + "x" * 22),
    "circular": lambda: msg.circular(association_name="東町自治会", title="タ" * 40, body="本" * 4500, when=NOW,
                                     tz="Asia/Tokyo", read_data="a=read&c=123456", full_data="a=full&c=123456",
                                     attachments=3),
    "circular_hero": lambda: msg.circular(association_name="東町自治会" * 5, title="タ" * 40, body="本" * 4500, when=NOW,
                                          tz="Asia/Tokyo", read_data="a=read&c=123456", full_data="a=full&c=123456",
                                          attachments=3, hero=cards.hero_url("https://kairan.example.jp", "x" * 22)),
    "circular_hero_only": lambda: msg.circular(association_name="東町自治会", title="t", body="", when=NOW,
                                               tz="Asia/Tokyo", read_data="a=read&c=1", full_data="a=full&c=1",
                                               attachments=1, hero="https://kairan.example.jp/i/" + "y" * 22),
    "circular_short": lambda: msg.circular(association_name="東町自治会", title="t", body="", when=NOW,
                                           tz="Asia/Tokyo", read_data="a=read&c=1", full_data=None),
    "event": lambda: msg.event(association_name="東町自治会" * 5, name="行" * 40, when=dates.weekday(NOW, "Asia/Tokyo"),
                               place="場" * 60, deadline=dates.weekday(NOW, "Asia/Tokyo"), note="案内" * 1000,
                               per_person=True, answers=[msg.postback(LONG, f"a=ev_ans&e=123456&v={v}")
                                                         for v in ("yes", "no", "maybe")],
                               details=msg.postback(texts.EV_DETAILS, "a=ev_info&e=123456")),
    "event_short": lambda: msg.event(association_name="東町自治会", name="t", when="12月5日(土) 10:00", place="公園",
                                     deadline="12月1日(火) 23:59", note="", per_person=False,
                                     answers=[msg.postback(texts.ANSWER_LABELS["yes"], "a=ev_ans&e=1&v=yes")],
                                     details=msg.postback(texts.EV_DETAILS, "a=ev_info&e=1")),
    "text_picker": lambda: msg.text("日時", [msg.picker(LONG, "a=ev_set&e=1&f=when", low="2026-11-22T00:00"),
                                           msg.picker(texts.EV_PICK_DEADLINE, "a=ev_set&e=1&f=deadline", "date",
                                                      low="2026-11-22", high="2026-12-05")]),
    # handlers/messages/cards.py: 出欠 and disaster mode, from plain values
    "resident_card": lambda: cards.resident_card("東町自治会" * 5, EVENT_LONG, "Asia/Tokyo"),
    "resident_card_short": lambda: cards.resident_card("東町自治会", EVENT_SHORT, "Asia/Tokyo"),
    "reminder_card": lambda: cards.reminder_card(EVENT_LONG, "Asia/Tokyo"),
    "reminder_card_short": lambda: cards.reminder_card(EVENT_SHORT, "Asia/Tokyo"),
    "check_card": lambda: cards.check_card(123456, "quake", "避" * 500),
    "check_card_short": lambda: cards.check_card(1, "other", None, reask=True),
    "buttons_card": lambda: cards.buttons_card(123456, "flood", texts.SAFETY_ASK_BUTTONS + "本" * 500),
    "rescue_text": lambda: cards.rescue_text(texts.RESCUE_ALERT, "班" * 40, "世" * 60, "連" * 500, (35.681236, 139.767125)),
    "rescue_text_short": lambda: cards.rescue_text(texts.RESCUE_UPDATE, "1班", "渡辺", None, None),
    "visit_lists": lambda: every(cards.visit_lists(123456, "quake", True, cards.block_lines(
        "2班", [cards.visit_label("渡" * 30 + str(i), i % 2 == 0, i % 3 == 0) for i in range(900)], 4900))),
    "visit_lists_short": lambda: every(cards.visit_lists(1, "other", False, ["■1班：渡辺様"], no_leader=True)),
    "board_messages": lambda: every([cards.board_messages(BOARD_LONG, 123456, "https://kairan.example.jp/s/" + "x" * 40)]),
    "board_messages_short": lambda: every([cards.board_messages(BOARD_SHORT, 1)]),
    "long_text": lambda: every([msg.long_text("長" * 12000, 3)]),
    "packed": lambda: every(cards.packed(["【訪問のお願い】"], ["■2班：" + "渡" * 3000] * 9, [msg.say(texts.CANCEL)])),
    # handlers/messages/city.py: the city notice (市からのお知らせ)
    "notice": lambda: city.notice(municipality_name="さくら市" * 10, title="タ" * 40, body="本" * 4500, when=NOW,
                                  tz="Asia/Tokyo", read_data="a=nread&n=123456", full_data="a=nfull&n=123456",
                                  attachments=3),
    "notice_short": lambda: city.notice(municipality_name="さくら市", title="t", body="", when=NOW, tz="Asia/Tokyo",
                                        read_data="a=nread&n=1", full_data=None),
    # registry: 「会長交代」 (handlers/registry.py), names at the registry's 100 characters
    "card_chair_change": lambda: msg.card(texts.CHAIR_CONFIRM_TITLE, texts.CHAIR_CONFIRM.format(
        name="名" * 100, kana=texts.CHAIR_KANA.format(kana="な" * 100), phone="0" * 40, since="2026年11月22日",
        predecessor="前" * 100), [msg.postback(texts.CHAIR_YES, "a=chg_ok&v=1"), msg.postback(texts.CHAIR_NO, "a=chg_ok&v=0")]),
    "text_chair_since": lambda: msg.text(texts.CHAIR_ASK_SINCE.format(name="名" * 100), [
        msg.postback(texts.CHAIR_TODAY, "a=chg_since&v=today"),
        msg.picker(texts.CHAIR_PICK_DATE, "a=chg_since", "date", low="2025-11-21", high="2027-11-23"),
        msg.say(texts.CANCEL)]),
    "text_chair_told": lambda: msg.text(texts.CHAIR_TOLD_OFFICERS.format(
        association="自" * 100, name="名" * 100, since="2026年11月22日", predecessor="前" * 100)),
    # the pull views (handlers/messages/views.py): 回覧板 at its fullest page, and 行事・出欠 at 12 events
    "archive": lambda: pull.archive("東町自治会" * 5, [pull.ArchiveItem(
        id=123456 + i, title="タ" * 100, body="本" * 4500, sent_at=NOW, attachments=i,
        hero=f"https://kairan.example.jp/i/{'z' * 21}{i}" if i else None,  # a photo as each card's hero (issue 10)
        read=None if i % 2 else texts.VIEW_READ.format(who="名" * 100, when="12月2日")) for i in range(5)], "Asia/Tokyo",
        "a=view&v=circulars&k=general_meeting&o=1000", [msg.postback(LONG, "a=view&v=circulars&k=garbage&o=1000")] * 13),
    "archive_short": lambda: pull.archive("東町自治会", [pull.ArchiveItem(id=1, title="t", body="", sent_at=NOW)],
                                          "Asia/Tokyo"),
    "events_pull": lambda: pull.events("東町自治会" * 5, [pull.EventItem(
        event=EVENT_LONG, answer=None if i % 2 else texts.VIEW_EVENT_ANSWERED.format(answer="参加（99人）", who="名" * 100))
        for i in range(pull.MAX_BUBBLES)], "Asia/Tokyo", [msg.say(LONG)] * 13),
    "events_pull_short": lambda: pull.events("東町自治会", [pull.EventItem(event=EVENT_SHORT)], "Asia/Tokyo"),
}
EVENT_LONG = cards.EventFacts(id=123456, name="行" * 40, starts_at=NOW, place="場" * 60, deadline=NOW, note="案内" * 1000,
                              per_person=True)
EVENT_SHORT = cards.EventFacts(id=1, name="t", starts_at=NOW, place="公園", deadline=NOW)
BOARD_LONG = cards.BoardFacts(
    kind="quake", since="11月22日 12:00", counts={"rescue": 3, "injured": 5, "evacuated": 40, "safe": 400}, total=900,
    silent_count=452, rescue=[("班" * 10, "世" * 20)] * 50, per_block={f"{i}班": (i, 2 * i) for i in range(1, 40)},
    silent=[cards.visit_label("渡" * 30, False, True)] * 452)
BOARD_SHORT = cards.BoardFacts(kind="other", since="11月22日 12:00",
                               counts={"rescue": 0, "injured": 0, "evacuated": 0, "safe": 1}, total=1, silent_count=0)


def every(groups: list[list[dict]]) -> dict:
    """Builders of several messages: each one is valid, and a push carries at most five."""
    for group in groups:
        assert 1 <= len(group) <= 5
        validate_request("push", {"to": "U" + "0" * 32, "messages": group})
        for m in group:
            valid(m)
    return groups[-1][-1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_builder_output_is_valid_line_json(name):
    valid(CASES[name]())


def test_every_builder_is_covered():
    builders = {n for mod in (msg, cards) for n, f in inspect.getmembers(mod, inspect.isfunction)
                if f.__module__ == mod.__name__
                and inspect.signature(f).return_annotation in ("dict", dict, "list[dict]", "list[list[dict]]")}
    covered = {n.split("_short")[0].split("_long")[0] for n in CASES}
    assert builders <= covered, f"builders without a validation case: {builders - covered}"


def test_labels_are_cut_to_twenty():
    m = msg.text("x", [msg.postback(LONG, "a=1")])
    assert len(m["quickReply"]["items"][0]["action"]["label"]) == 20


def test_too_many_quick_replies_refused():
    with pytest.raises(ValueError):
        msg.text("x", [msg.say(str(i)) for i in range(14)])


def test_circular_bubble_shows_title_date_and_read_button():
    m = msg.circular(association_name="東町自治会", title="清掃", body="本文", when=NOW, tz="Asia/Tokyo",
                     read_data="a=read&c=1", full_data="a=full&c=1")
    from bot.dev.fake_line import message_text
    shown = message_text(m)
    assert m["altText"] == "【回覧】清掃"  # issue 10: the kind first
    assert "東町自治会 回覧板" in shown and "2026年11月22日" in shown and texts.READ in shown
    assert texts.FULL_TEXT not in shown  # short body, no attachment: no second button


def test_event_card_shows_event_deadline_and_answers():
    from bot.dev.fake_line import message_text
    answers = [msg.postback(texts.ANSWER_LABELS[v], f"a=ev_ans&e=1&v={v}") for v in ("yes", "no", "maybe")]
    m = msg.event(association_name="東町自治会", name="秋の清掃活動", when=dates.weekday(NOW, "Asia/Tokyo"),
                  place="東町公園", deadline="11月20日(金) 23:59", note="軍手をお持ちください。", per_person=False,
                  answers=answers, details=msg.postback(texts.EV_DETAILS, "a=ev_info&e=1"))
    shown = message_text(m)
    assert m["altText"] == "【出欠】秋の清掃活動"  # issue 10: the kind first
    assert "11月22日(日) 12:00" in shown and "11月20日(金) 23:59まで" in shown and "東町公園" in shown
    assert [i["action"]["label"] for i in m["quickReply"]["items"]] == ["参加", "不参加", "未定"]
    assert texts.EV_DETAILS in shown and texts.EV_PER_HOUSEHOLD in shown


def test_split_text_counts_utf16_and_keeps_characters_whole():
    from handlers.messages.builders import long_text, split_text
    from handlers.messages.limits import utf16_len

    family = "👨‍👩‍👧‍👦"  # one glyph of 7 code points, 11 UTF-16 units
    for body in ("😀" * 4501, family * 900, "あ" * 4999 + "😀", "行\n" * 3000, "e\u0301" * 3000):
        pieces = split_text(body)
        assert "".join(pieces) == body
        assert all(0 < utf16_len(p) <= 5000 for p in pieces)
        assert all(not p.startswith(("\u200d", "\u0301")) and not p.endswith("\u200d") for p in pieces)
    assert all(p.endswith("👦") for p in split_text(family * 900)[:-1])
    assert split_text("短い") == ["短い"]
    cut = long_text("😀" * 20000, 2)  # too long for 2 messages: the second ends in "…"
    assert len(cut) == 2 and cut[-1]["text"].endswith("…") and utf16_len(cut[-1]["text"]) <= 5000


# --- every builder has a case (found automatically), and builders take plain values ---------------
# Every public builder in handlers/messages/ is run by a validation case (found automatically: a new
# builder, or a new builder module, without a case fails), each case validates against LINE's OpenAPI
# spec and the documented limits, and builders take plain values (no session, no Ctx, no model).
# 
# The cases are CASES above plus EXTRA_CASES below (pickers, long texts).
PACKAGE = Path(handlers.messages.__file__).parent
# modules of handlers/messages/ that build no messages (what they hold, instead)
NOT_BUILDER_MODULES = {
    "codec": "postback data: pb, normalize, unpack",
    "dates": "date and time formats (strings)",
    "labels": "words for models' codes (strings)",
    "limits": "the checker itself",
    "menus": "rich-menu objects, not messages (validated in tests/test_richmenu_menus.py)",
    "menu_images": "the rich menus' images (tests/test_richmenu_menus.py)",
    "texts": "the words",
}
BLOCKS = [SimpleNamespace(id=i, name=f"{i}班{LONG}") for i in range(1, 21)]  # more 班 than 13 chips


def messages(m) -> list[dict]:
    return m if isinstance(m, list) else [m]


EXTRA_CASES = {
    "long_text": lambda: msg.long_text("😀" * 20000, MAX_MESSAGES),
    "paged": lambda: msg.text("班", pickers.paged(BLOCKS, 12, 1, lambda b: msg.postback(b.name, f"a=b&b={b.id}"),
                                                 lambda o: f"a=page&o={o}") + [msg.say(texts.CANCEL)]),
    # city registration: 地区 / 自治会 with [前へ] [次へ] (a middle page) and the caller's [地区を選び直す]
    "pages": lambda: msg.text("自治会", pickers.pages(BLOCKS, 10, 1, lambda b: msg.postback(b.name, f"a=s&s={b.id}"),
                                                   lambda o: f"a=page&o={o}") + [msg.postback(texts.REPICK_DISTRICT, "a=r")]),
    "block_toggles": lambda: msg.text("班", pickers.block_toggles(BLOCKS, {1, 3}, 0, lambda b, o: f"a=t&b={b.id}&o={o}",
                                                               lambda o: f"a=page&o={o}", "a=done")[0]),
}
# handlers/messages/drills.py (issue 14): the 【訓練】 mark on every kind of message, 困りごと, the responder's card
from handlers.messages import drills as drill_msgs  # noqa: E402


def _marked_drill() -> list[dict]:
    return drill_msgs.mark_drill([msg.text("あ" * 5000), cards.check_card(123456, "quake", "避" * 500),
                                  msg.card(LONG, "本文", [msg.postback(LONG, "a=1")])])


EXTRA_CASES.update({
    "mark_drill": _marked_drill,
    "need_recorded": lambda: drill_msgs.need_recorded(
        list(texts.SAFETY_NEEDS), drill_msgs.need_actions(2**31 - 1) + [msg.location(), msg.say(texts.CANCEL)]),
    "responder_card": lambda: drill_msgs.responder_card(2**31 - 1, "班" * 40, "世" * 60, texts.SAFETY_LABELS["rescue"],
                                                        list(texts.SAFETY_NEEDS), "住" * 200, (35.681236, 139.767125)),
    "responder_card_short": lambda: drill_msgs.responder_card(1, "1班", "渡辺", texts.SAFETY_SILENT, [], None, None),
})
ALL_CASES = {**CASES, **EXTRA_CASES}


def valid_any(out) -> None:
    ms = messages(out)
    assert 1 <= len(ms) <= MAX_MESSAGES
    validate_request("push", {"to": "U" + "0" * 32, "messages": ms})
    for m in ms:
        assert check_message(m) == []


@pytest.mark.parametrize("name", sorted(EXTRA_CASES))
def test_extra_cases_are_valid_line_json(name):
    valid_any(EXTRA_CASES[name]())


def test_pickers_fit_line():
    chips = pickers.paged(BLOCKS, 0, 1, lambda b: msg.say(b.name), lambda o: f"a=page&o={o}")
    assert len(chips) == 12 and chips[-1].label == texts.NEXT  # 11 班, [次へ]; room for the caller's one
    chips, chosen = pickers.block_toggles(BLOCKS, {1, 3}, 0, lambda b, o: "a=t", lambda o: "a=p", "a=done")
    assert len(chips) == 13 and chosen == texts.BLOCK_NAMES_SEPARATOR.join((BLOCKS[0].name, BLOCKS[2].name))


def test_pages_go_both_ways():
    items = [SimpleNamespace(id=i, name=f"{i}町会") for i in range(1, 31)]
    chip, page = (lambda b: msg.postback(b.name, f"a=s&s={b.id}")), (lambda o: f"a=page&o={o}")
    first, middle, last = (pickers.pages(items, o, 1, chip, page) for o in (0, 10, 999))  # pages of 10
    assert len(first) == 11 and first[-1].label == texts.NEXT and first[-1].data == "a=page&o=10"
    assert [c.label for c in (middle[0], middle[1], middle[-1])] == [texts.PREV, "11町会", texts.NEXT]
    assert last[0].data == "a=page&o=10" and [c.label for c in last[1:]] == [f"{i}町会" for i in range(21, 31)]
    assert len(pickers.pages(items[:13], 0, 0, chip, page)) == 13  # what fits needs no page


def builder_modules():
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        if info.name not in NOT_BUILDER_MODULES:
            yield importlib.import_module(f"handlers.messages.{info.name}")


def public_builders() -> dict[str, object]:
    return {f"{m.__name__.rsplit('.', 1)[1]}.{n}": f for m in builder_modules()
            for n, f in inspect.getmembers(m, inspect.isfunction)
            if not n.startswith("_") and f.__module__ == m.__name__}


def test_the_module_list_names_real_modules():
    names = {info.name for info in pkgutil.iter_modules([str(PACKAGE)])}
    assert set(NOT_BUILDER_MODULES) <= names


def test_every_builder_has_a_validation_case():
    """Runs every case with a profiler on: each public builder must have been called by one."""
    called: set = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        for case in ALL_CASES.values():
            case()
    finally:
        sys.setprofile(previous)
    missing = sorted(name for name, f in public_builders().items()
                     if getattr(inspect.unwrap(f), "__code__", None) not in called)
    assert not missing, f"builders no case runs (add one to CASES or EXTRA_CASES in tests/test_messages.py): {missing}"


def test_builders_take_plain_values():
    """No session, Ctx or model object in a builder's parameters: builders are pure."""
    import models

    banned = {"Session", "Ctx", *models.__all__}
    for name, f in public_builders().items():
        for p in inspect.signature(f).parameters.values():
            ann = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
            assert not (banned & set(ann.replace("[", " ").replace("]", " ").replace("|", " ").replace(",", " ")
                                     .split())), f"{name}({p.name}: {ann}) takes a {ann}"

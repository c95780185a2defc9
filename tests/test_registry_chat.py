"""「会長交代」 in chat: the chair records the new chair after the general meeting; the old chair
becomes the predecessor, the history names who did it, the board is told; nobody else can."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from handlers.messages import texts
from models import Association, AuditLog, RegistryChange, RegistryEntry
from models.registry import Actor, apply_changes

from chat import all_text
from registry_kit import CHAIR, KOBAYASHI, LEADER, SATO, clock  # noqa: F401 - clock is a fixture


@pytest.fixture
def known_chair(demo):
    """The registry already names 山田 太郎 as chair, with his phone and address."""
    with demo.session() as s:
        apply_changes(s, s.get(Association, 1), {"chair_name": "山田 太郎", "chair_phone": "078-111-2222",
                                                 "chair_postcode": "650-0001", "chair_address": "東町1-2-3",
                                                 "households": 120},
                      Actor("operator", texts.REGISTRY_ACTOR_OPERATOR, "cli"))
    return demo


def entry(db) -> RegistryEntry:
    with db.session() as s:
        e = s.scalar(select(RegistryEntry))
        s.expunge_all()
        return e


def chat_history(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(RegistryChange.field, RegistryChange.before, RegistryChange.after,
                                                   RegistryChange.actor_label)
                                            .where(RegistryChange.via == "chat").order_by(RegistryChange.id))]


def test_the_chair_records_the_new_chair(chat, known_chair, clock):
    out = chat.text(CHAIR, "会長交代")
    assert all_text(out).startswith(texts.CHAIR_ASK_NAME[:10])
    out = chat.text(CHAIR, "佐藤　花子")
    assert texts.CHAIR_ASK_KANA.format(name="佐藤 花子") in all_text(out)
    out = chat.text(CHAIR, "さとう はなこ")
    assert texts.CHAIR_ASK_PHONE.format(name="佐藤 花子") in all_text(out)
    out = chat.text(CHAIR, "でんわ")
    assert texts.CHAIR_BAD_PHONE in all_text(out)  # not a number: asked again
    out = chat.text(CHAIR, "０９０ー１１１１ー２２２２")
    assert texts.CHAIR_ASK_SINCE.format(name="佐藤 花子") in all_text(out)
    out = chat.tap(CHAIR, out, texts.CHAIR_TODAY)
    shown = all_text(out)
    assert texts.CHAIR_CONFIRM_TITLE in shown
    assert "新しい会長：佐藤 花子（さとう はなこ）" in shown and "電話番号：090-1111-2222" in shown
    assert "就任日：2027年4月20日" in shown and "前の会長：山田 太郎" in shown
    assert entry(known_chair).chair_name == "山田 太郎"  # nothing written before the confirm

    out = chat.tap(CHAIR, out, texts.CHAIR_YES)
    assert all_text(out) == texts.CHAIR_DONE
    e = entry(known_chair)
    assert (e.chair_name, e.chair_kana, e.chair_phone, e.chair_since) == (
        "佐藤 花子", "さとう はなこ", "090-1111-2222", dt.date(2027, 4, 20))
    assert (e.predecessor_name, e.predecessor_contact) == ("山田 太郎", "078-111-2222")
    assert (e.chair_postcode, e.chair_address, e.households) == (None, None, 120)  # the old chair's, gone
    by = "山田 太郎（会長）"
    assert chat_history(known_chair) == [
        ("chair_name", "山田 太郎", "佐藤 花子", by), ("chair_kana", None, "さとう はなこ", by),
        ("chair_postcode", "650-0001", None, by), ("chair_address", "東町1-2-3", None, by),
        ("chair_phone", "078-111-2222", "090-1111-2222", by), ("chair_since", None, "2027-04-20", by),
        ("predecessor_name", None, "山田 太郎", by), ("predecessor_contact", None, "078-111-2222", by)]

    pushed = chat.outbox()
    assert [r.recipients for r in pushed] == [[KOBAYASHI]]  # the board (防災担当), not the 班長, not himself
    assert pushed[0].messages[0]["text"] == texts.CHAIR_TOLD_OFFICERS.format(
        association="東町自治会", name="佐藤 花子", since="2027年4月20日", predecessor="山田 太郎")
    with known_chair.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "registry.chair_change")) == 1
    assert chat.text(CHAIR, "状況")  # the dialog is over: a command works as ever


def test_skipping_kana_and_phone_and_picking_a_date(chat, demo, clock):
    """No registry entry yet: the member who speaks is the predecessor, without a contact."""
    chat.text(CHAIR, "会長交代")
    chat.text(CHAIR, "鈴木 一郎")
    out = chat.text(CHAIR, "ふりがなです")
    out = chat.tap(CHAIR, out, texts.CHAIR_SKIP)  # phone: skip
    assert texts.CHAIR_ASK_SINCE.format(name="鈴木 一郎") in all_text(out)
    picker = next(i["action"] for i in out[-1]["quickReply"]["items"] if i["action"]["type"] == "datetimepicker")
    assert (picker["min"], picker["max"]) == ("2026-04-19", "2028-04-20")
    out = chat.tap(CHAIR, out, texts.CHAIR_PICK_DATE, "2027-04-01")
    assert "電話番号：なし" in all_text(out) and "就任日：2027年4月1日" in all_text(out)
    chat.tap(CHAIR, out, texts.CHAIR_YES)
    e = entry(demo)
    assert (e.chair_name, e.chair_kana, e.chair_phone, e.chair_since) == ("鈴木 一郎", "ふりがなです", None,
                                                                          dt.date(2027, 4, 1))
    assert (e.predecessor_name, e.predecessor_contact) == ("山田 太郎", None)


def test_a_date_out_of_range_or_typed_asks_again(chat, demo, clock):
    chat.text(CHAIR, "会長交代")
    chat.text(CHAIR, "鈴木 一郎")
    chat.text(CHAIR, "省略")
    out = chat.text(CHAIR, "省略")
    again = chat.text(CHAIR, "4月1日から")
    assert texts.CHAIR_ASK_SINCE.format(name="鈴木 一郎") in all_text(again)
    again = chat.postback(CHAIR, "a=chg_since", params={"date": "2030-01-01"})
    assert texts.CHAIR_ASK_SINCE.format(name="鈴木 一郎") in all_text(again)
    assert texts.CHAIR_CONFIRM_TITLE in all_text(chat.tap(CHAIR, out, texts.CHAIR_TODAY))


def test_no_at_the_confirm_writes_nothing(chat, known_chair, clock):
    chat.text(CHAIR, "会長交代")
    chat.text(CHAIR, "佐藤 花子")
    chat.text(CHAIR, "省略")
    out = chat.tap(CHAIR, chat.text(CHAIR, "省略"), texts.CHAIR_TODAY)
    assert all_text(chat.tap(CHAIR, out, texts.CHAIR_NO)) == texts.CHAIR_KEPT
    assert entry(known_chair).chair_name == "山田 太郎" and chat_history(known_chair) == []
    assert chat.outbox() == []


def test_cancel_ends_it(chat, known_chair, clock):
    chat.text(CHAIR, "会長交代")
    assert all_text(chat.text(CHAIR, "取消")) == texts.CANCELLED
    assert chat_history(known_chair) == []


@pytest.mark.parametrize("who", [KOBAYASHI, LEADER, SATO])
def test_only_the_chair(chat, known_chair, who, clock):
    assert all_text(chat.text(who, "会長交代")) == texts.CHAIR_CHANGE_CHAIR_ONLY
    # a forged confirm (no dialog of theirs, not the chair): refused, nothing written
    assert all_text(chat.postback(who, "a=chg_ok&v=1")) == texts.OFFICERS_ONLY
    assert all_text(chat.postback(who, "a=chg_since&v=today")) == texts.OFFICERS_ONLY
    assert chat_history(known_chair) == [] and chat.outbox() == []


def test_a_stale_confirm_of_the_chair_is_refused(chat, known_chair, clock):
    assert all_text(chat.postback(CHAIR, "a=chg_ok&v=1")) == texts.STALE_BUTTON
    assert chat_history(known_chair) == []


def test_through_callback(line, known_chair, fake, clock):
    line.text(CHAIR, "会長交代")
    line.text(CHAIR, "佐藤 花子")
    line.text(CHAIR, "省略")
    out = line.text(CHAIR, "省略")
    out = line.tap(CHAIR, out, texts.CHAIR_TODAY)
    assert texts.CHAIR_CONFIRM_TITLE in all_text(out)
    assert all_text(line.tap(CHAIR, out, texts.CHAIR_YES)) == texts.CHAIR_DONE
    assert entry(known_chair).chair_name == "佐藤 花子"
    assert {c[0] for c in chat_history(known_chair)} == {"chair_name", "chair_postcode", "chair_address", "chair_phone",
                                                        "predecessor_name", "predecessor_contact", "chair_since"}

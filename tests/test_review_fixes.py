"""Behaviour found in review: large associations, officers-only privacy, dialogs that must not swallow."""
import datetime as dt

import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Association, Block, Circular, Member, MemberStatus, SafetyLocation
from scheduler.reminders import send_due

from chat import all_text
from conftest import user_id

CHAIR = demo_user_id("山田 太郎")
JST = dt.timezone(dt.timedelta(hours=9))


def add_blocks(db, n):
    with db.session() as s:
        assoc = s.scalar(select(Association))
        for i in range(4, 4 + n):
            s.add(Block(association_id=assoc.id, name=f"{i}班", position=i))


def quick_labels(messages):
    return [i["action"]["label"] for i in messages[-1]["quickReply"]["items"]]


def test_registration_pages_through_many_blocks(chat, demo, db):
    add_blocks(db, 17)  # 20 班
    uid = user_id("far")
    q = chat.tap(uid, chat.follow(uid), texts.AGREE)
    first = quick_labels(q)
    assert len(first) == 13 and first[-1] == texts.NEXT
    q2 = chat.tap(uid, q, texts.NEXT)
    assert "20班" in quick_labels(q2)
    assert "20班" in all_text(chat.tap(uid, q2, "20班"))


def test_circular_block_picker_reaches_every_block(chat, demo, db, fake, k):
    add_blocks(db, 14)  # 17 班
    preview = chat.text(CHAIR, "回覧 遠くの班\n本文")
    fields = chat.tap(CHAIR, preview, texts.EDIT)
    target_q = chat.tap(CHAIR, fields, texts.FIELD_TARGET)
    picker = chat.tap(CHAIR, target_q, texts.TARGET_BLOCKS)
    assert len(picker[-1]["quickReply"]["items"]) <= 13
    page2 = chat.tap(CHAIR, picker, texts.NEXT)
    page2 = chat.tap(CHAIR, page2, "17班")
    assert "選択中：17班" in all_text(page2)
    preview = chat.tap(CHAIR, page2, texts.DONE)
    assert "送信先：17班" in all_text(preview)


def test_officers_only_circular_never_reaches_the_family(chat, demo, db, fake, k):
    spouse = user_id("chair-spouse")
    with db.session() as s:
        chair = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        s.add(Member(association_id=chair.association_id, line_user_id=spouse, household_id=chair.household_id,
                     block_id=chair.block_id, name="山田 花", status=MemberStatus.active))
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=JST), tick=False) as clock:
        preview = chat.text(CHAIR, "回覧 役員会\n会費の件（秘）")
        fields = chat.tap(CHAIR, preview, texts.EDIT)
        target_q = chat.tap(CHAIR, fields, texts.FIELD_TARGET)
        preview = chat.tap(CHAIR, target_q, texts.TARGET_OFFICERS)
        chat.tap(CHAIR, preview, texts.SEND)
        drain(db, k.line)
        clock.move_to(dt.datetime(2026, 11, 24, 9, tzinfo=JST))
        assert send_due(k) == 1
        drain(db, k.line)
    assert spouse not in {d.user_id for d in fake.delivered if d.via != "reply"}
    with db.session() as s:
        cid = s.scalar(select(Circular.id))
    for action in ("read", "full"):
        reply = chat.postback(spouse, f"a={action}&c={cid}")
        assert all_text(reply) == texts.READ_NOT_FOR_YOU


def test_cancel_deletes_the_draft_and_its_attachments(chat, demo, db):
    chat.text(CHAIR, "回覧")
    chat.text(CHAIR, "題")
    chat.image(CHAIR)
    chat.text(CHAIR, "取消")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Circular)) == 0


def test_location_during_another_dialog_still_reaches_the_safety_report(line, demo, db, fake, k):
    bosai = demo_user_id("小林 修")
    line.tap(bosai, line.text(bosai, "災害モード"), "地震")
    line.tap(bosai, line.text(bosai, "なし"), texts.DISASTER_START)
    line.text(CHAIR, "回覧")  # the chair is drafting a circular …
    assert texts.SAFETY_LOCATION_RECORDED in all_text(line.location(CHAIR, 35.68, 139.77))  # … and shares a location
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SafetyLocation)) == 1
    assert texts.ASK_BODY in all_text(line.text(CHAIR, "避難所のお知らせ"))  # the draft waited


def test_a_command_after_a_safety_answer_is_not_taken_as_the_comment(chat, demo, db, fake, k):
    bosai = demo_user_id("小林 修")
    chat.tap(bosai, chat.text(bosai, "災害モード"), "地震")
    chat.tap(bosai, chat.text(bosai, "なし"), texts.DISASTER_START)
    drain(db, k.line)
    card = next(d.message for d in fake.delivered if d.user_id == CHAIR and "安否確認" in d.message.get("altText", ""))
    chat.tap(CHAIR, [card], "無事")
    preview = chat.text(CHAIR, "回覧 避難所開設\n東町小学校に避難所を開設しました")
    assert texts.SEND in all_text(preview)

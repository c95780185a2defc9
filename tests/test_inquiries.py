"""問い合わせ: a resident writes to the officers from the menu (text or a photo), the officers of the
resident's 班 get it with [返信する], an answer from the chat or the dashboard reaches the resident
from "the association"; limits are said, cancel words cancel, forged taps change nothing, 退会
erases it."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from bot import outbox
from bot.dev.demo import demo_user_id
from handlers.messages import texts
from handlers.messages.codec import pb
from models import Block, Inquiry, InquiryAnswer
from models.inquiries import DAILY_LIMIT, MAX_TEXT
from scheduler.inquiries import fetch_photos

from admin_kit import CHAIR, post_form, sign_in
from chat import all_text

SATO = demo_user_id("佐藤 花子")  # 1班, a resident
ITO = demo_user_id("伊藤 美咲")  # 2班
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
T0 = dt.datetime(2026, 10, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def pushed(fake, before: int = 0) -> list[tuple[list[str], dict]]:
    """(recipients, body) of each push and multicast LINE accepted since `before`."""
    out = []
    for r in fake.sends()[before:]:
        if r.status == 200 and r.path.endswith(("/push", "/multicast")):
            to = r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]
            out.append((to, r.body))
    return out


def write(line, user, text="公民館の鍵はどこで借りられますか。"):
    asked = line.postback(user, pb("view", v="inquiry"))
    assert texts.INQ_ASK in all_text(asked)
    confirm = line.text(user, text)
    assert texts.INQ_CONFIRM_TITLE in all_text(confirm) and text in all_text(confirm)
    return line.tap(user, confirm, texts.INQ_SEND)


def count(db, model=Inquiry) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_officers_of_the_residents_block_get_it_and_the_answer_reaches_the_resident(line, demo, db, fake, k):
    before = len(fake.sends())
    assert texts.INQ_SENT in all_text(write(line, ITO))
    outbox.drain(db, k.line)
    (to, body), = [p for p in pushed(fake, before) if "【問い合わせ】" in str(p[1])]
    assert LEADER2 in to and CHAIR in to and ITO not in to and SATO not in to
    assert "2班 伊藤 美咲様" in str(body) and "公民館の鍵" in str(body)
    # the 班長 answers from the chat
    card = body["messages"][0]
    reply = line.tap(LEADER2, [card], texts.INQ_REPLY)
    assert texts.INQ_REPLY_ASK.format(name="伊藤 美咲") in all_text(reply)
    check = line.text(LEADER2, "公民館の事務室で借りられます。")
    line.tap(LEADER2, check, texts.INQ_SEND)
    before = len(fake.sends())
    outbox.drain(db, k.line)
    (to, body), = pushed(fake, before)
    assert to == [ITO] and body["messages"][0]["text"] == texts.INQ_ANSWER_TO_RESIDENT.format(text="公民館の事務室で借りられます。")
    assert "田中" not in str(body)  # the association answers, not a person
    with db.session() as s:
        q = s.scalar(select(Inquiry))
        assert q.status == "answered" and [a.text for a in q.answers] == ["公民館の事務室で借りられます。"]
    # another officer opening [返信する] later is told who answered
    again = line.tap(CHAIR, [card], texts.INQ_REPLY)
    assert texts.INQ_REPLIED_BEFORE.format(who="田中 実", at="10月5日 10:00") in all_text(again)


def test_a_photo_is_downloaded_by_the_scheduler_and_shown_only_to_the_officers_of_its_block(app, line, demo, db, fake, k):
    line.postback(ITO, pb("view", v="inquiry"))
    confirm = line.image(ITO, b"\x89PNG\r\n\x1a\n photo", "image/png")
    assert texts.INQ_PHOTO_ONLY in all_text(confirm)
    line.tap(ITO, confirm, texts.INQ_SEND)
    with db.session() as s:
        assert s.scalar(select(Inquiry.photo_status)) == "pending"
    assert fetch_photos(k) == 1 and fetch_photos(k) == 0  # once
    with db.session() as s:
        q = s.scalar(select(Inquiry))
        assert q.photo_status == "stored" and q.photo.startswith(b"\x89PNG")
    chair = app.test_client()
    sign_in(chair, line, CHAIR)
    page = chair.get("/admin/inquiries").get_data(as_text=True)
    assert f"/admin/inquiries/{q.id}/photo" in page and "2班 伊藤 美咲様" in page
    photo = chair.get(f"/admin/inquiries/{q.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.headers["X-Content-Type-Options"] == "nosniff"
    # the 班長 of 2班 sees it; a 班長 of another 班 does not
    leader = app.test_client()
    sign_in(leader, line, LEADER2)
    assert leader.get(f"/admin/inquiries/{q.id}/photo").status_code == 200
    with db.session() as s:
        s.get(Inquiry, q.id).block_id = s.scalar(select(Block.id).where(Block.name == "1班"))  # as if 1班's
    assert leader.get(f"/admin/inquiries/{q.id}/photo").status_code == 404
    assert "伊藤 美咲" not in leader.get("/admin/inquiries").get_data(as_text=True)


def test_the_dashboard_answers_and_closes(app, line, demo, db, fake, k):
    write(line, SATO)
    outbox.drain(db, k.line)
    with db.session() as s:
        qid = s.scalar(select(Inquiry.id))
    client = app.test_client()
    sign_in(client, line, CHAIR)
    before = len(fake.sends())
    resp = post_form(client, "/admin/inquiries", f"/admin/inquiries/{qid}/answer", {"text": "ありがとうございます。確認します。"})
    assert resp.status_code == 303
    outbox.drain(db, k.line)
    (to, body), = pushed(fake, before)
    assert to == [SATO] and "確認します" in body["messages"][0]["text"]
    assert post_form(client, "/admin/inquiries", f"/admin/inquiries/{qid}/close").status_code == 303
    with db.session() as s:
        assert s.get(Inquiry, qid).status == "closed"
    # without the form's token nothing happens
    assert client.post(f"/admin/inquiries/{qid}/answer", data={"text": "x"}).status_code == 400
    assert count(db, InquiryAnswer) == 1


def test_limits_are_said_and_nothing_is_cut(line, demo, db):
    line.postback(SATO, pb("view", v="inquiry"))
    out = line.text(SATO, "あ" * (MAX_TEXT + 1))
    assert texts.INQ_TOO_LONG.format(n=MAX_TEXT) in all_text(out) and count(db) == 0
    line.text(SATO, "取消")
    for i in range(DAILY_LIMIT):
        write(line, SATO, f"問い合わせ {i}")
    refused = line.postback(SATO, pb("view", v="inquiry"))
    assert texts.INQ_DAILY_LIMIT.format(n=DAILY_LIMIT) in all_text(refused) and count(db) == DAILY_LIMIT


@pytest.mark.parametrize("word", ["取消", "やめる", "キャンセル"])
def test_a_cancel_word_cancels_at_each_step(line, demo, db, word):
    line.postback(SATO, pb("view", v="inquiry"))
    assert texts.CANCELLED in all_text(line.text(SATO, word))
    line.text(SATO, "問い合わせ")  # the typed word starts it too
    confirm = line.text(SATO, "本文")
    assert texts.INQ_CONFIRM_TITLE in all_text(confirm)
    assert texts.CANCELLED in all_text(line.text(SATO, word))
    assert texts.STALE_BUTTON in all_text(line.tap(SATO, confirm, texts.INQ_SEND))
    assert count(db) == 0


def test_a_resident_cannot_answer_and_a_forged_id_changes_nothing(line, demo, db, fake, k):
    write(line, SATO)
    with db.session() as s:
        qid = s.scalar(select(Inquiry.id))
    assert texts.OFFICERS_ONLY in all_text(line.postback(ITO, pb("inq_reply", i=qid)))
    assert texts.STALE_BUTTON in all_text(line.postback(CHAIR, pb("inq_reply", i=qid + 99)))
    assert texts.STALE_BUTTON in all_text(line.postback(CHAIR, pb("inq_reply", i="1;DROP")))
    assert count(db, InquiryAnswer) == 0


def test_withdrawal_erases_the_residents_inquiries(line, demo, db):
    write(line, SATO)
    line.tap(SATO, line.text(SATO, "退会"), texts.WITHDRAW_YES)
    assert count(db) == 0

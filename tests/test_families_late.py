"""Issue 10: someone approved after a circular or an event was sent gets the ones still open —
unread circulars of the last 30 days, events before their deadline — right after approval,
through the outbox; not the old, closed, or already read ones."""
import datetime as dt

import time_machine

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts

from chat import all_text
from conftest import member, user_id

JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")
ITO = demo_user_id("伊藤 美咲")  # 2班


def send(line, who, form):
    preview = line.text(who, form)
    assert texts.SEND in all_text(preview), all_text(preview)
    line.tap(who, preview, texts.SEND)


def pushed_to(fake, uid):
    out = []
    for r in fake.sends():
        if r.path.endswith("/reply"):
            continue
        to = r.body.get("to")
        if to == uid or (isinstance(to, list) and uid in to):
            out += r.body["messages"]
    return out


def test_late_approval_delivers_what_is_still_open(line, demo, db, fake, k):
    with time_machine.travel(T0 - dt.timedelta(days=40), tick=False):
        send(line, CHAIR, "回覧 ふるい回覧のお知らせ\n四十日前の本文です。")
    with time_machine.travel(dt.datetime(2026, 11, 5, 10, 0, tzinfo=JST), tick=False):
        send(line, CHAIR, "出欠 しめきった行事\n日時 11/15 10:00\n場所 東町会館\n締切 11/10")
    with time_machine.travel(T0, tick=False) as clock:
        send(line, CHAIR, "回覧 あたらしい回覧のお知らせ\n今週の本文です。")
        send(line, CHAIR, "出欠 新年会の出欠\n日時 12/5 18:00\n場所 東町会館\n締切 12/1")
        drain(db, k.line)
        # a family member of 伊藤 美咲 joins by name; approved into her household, which has read nothing
        uid = user_id("ito-late")
        card = line.follow(uid)
        line.tap(uid, line.tap(uid, card, texts.AGREE), "2班")
        line.text(uid, "伊藤 美咲")
        line.text(uid, "伊藤 翔")
        drain(db, k.line)
        before = len(pushed_to(fake, uid))
        request = [m for m in pushed_to(fake, CHAIR) if "伊藤 翔" in all_text([m])]
        clock.shift(dt.timedelta(minutes=5))
        pick = line.tap(CHAIR, request, texts.APPROVE)
        line.tap(CHAIR, pick, "伊藤 美咲")
        assert member(db, uid).household.name == "伊藤 美咲"
        drain(db, k.line)
        got = all_text(pushed_to(fake, uid)[before:])
    assert texts.APPROVED_NOTICE in got and texts.LATE_APPROVED_OPEN in got
    assert "あたらしい回覧のお知らせ" in got and "新年会の出欠" in got
    assert "ふるい回覧のお知らせ" not in got and "しめきった行事" not in got


def test_a_read_circular_is_not_sent_again_and_a_new_household_gets_receipts(line, demo, db, fake, k):
    with time_machine.travel(T0, tick=False):
        send(line, CHAIR, "回覧 あたらしい回覧のお知らせ\n今週の本文です。")
        drain(db, k.line)
        circular = [m for m in pushed_to(fake, ITO) if "あたらしい回覧" in all_text([m])]
        line.tap(ITO, circular, texts.READ)  # 伊藤 美咲's household has read it
        uid = user_id("ito-late2")
        card = line.follow(uid)
        line.tap(uid, line.tap(uid, card, texts.AGREE), "2班")
        line.text(uid, "伊藤 美咲")
        line.text(uid, "伊藤 翔")
        drain(db, k.line)
        request = [m for m in pushed_to(fake, CHAIR) if "伊藤 翔" in all_text([m])]
        line.tap(CHAIR, line.tap(CHAIR, request, texts.APPROVE), "伊藤 美咲")
        drain(db, k.line)
        assert "あたらしい回覧" not in all_text(pushed_to(fake, uid))
        # someone approved into a new household gets the circular, and its 読みました works
        other = user_id("aoki")
        card = line.follow(other)
        line.tap(other, line.tap(other, card, texts.AGREE), "2班")
        line.text(other, "青木 次郎")
        drain(db, k.line)
        request = [m for m in pushed_to(fake, CHAIR) if "青木 次郎" in all_text([m])]
        line.tap(CHAIR, line.tap(CHAIR, request, texts.APPROVE), texts.NEW_HOUSEHOLD)
        drain(db, k.line)
        late = [m for m in pushed_to(fake, other) if "あたらしい回覧" in all_text([m])]
        assert late
        reply = line.tap(other, late, texts.READ)
        assert texts.READ_THANKS.format(title="あたらしい回覧のお知らせ") in all_text(reply)

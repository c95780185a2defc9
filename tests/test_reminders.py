"""Reminders: only unread households, once per plan step, never in quiet hours (clock moved)."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Reminder
from scheduler.reminders import send_due

from chat import all_text, button

JST = dt.timezone(dt.timedelta(hours=9))
CHAIR = demo_user_id("山田 太郎")
SATO = demo_user_id("佐藤 花子")
ITO = demo_user_id("伊藤 美咲")
SENT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)  # a Sunday morning


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=JST)


def send(line, plan_text=None, title="清掃のお知らせ"):
    preview = line.text(CHAIR, f"回覧 {title}\n本文です。")
    if plan_text:
        preview = line.text(CHAIR, plan_text)
    line.tap(CHAIR, preview, texts.SEND)
    return preview


def reminded(fake):
    return sorted(d.user_id for d in fake.delivered
                  if d.via == "multicast" and texts.REMINDER_TITLE in d.message.get("altText", ""))


@pytest.fixture
def clock():
    with time_machine.travel(SENT, tick=False) as t:
        yield t


def test_default_plan_two_days_later_at_nine_only_unread(line, demo, db, fake, k, clock):
    preview = send(line)
    assert "11月24日 9:00" in all_text(preview) and "最大9通" in all_text(preview)
    drain(db, k.line)
    flex = next(d.message for d in fake.delivered if d.message.get("altText") == texts.ALT_CIRCULAR.format(title="清掃のお知らせ"))
    line.tap(SATO, [flex], texts.READ)
    line.tap(ITO, [flex], texts.READ)
    status = all_text(line.text(CHAIR, "状況"))
    assert "リマインド予定：11月24日 9:00（いま未読7世帯・7通）" in status

    clock.move_to(at(24, 8, 59))
    assert send_due(k) == 0
    clock.move_to(at(24, 9, 0))
    assert send_due(k) == 1
    drain(db, k.line)
    got = reminded(fake)
    assert len(got) == 7 and SATO not in got and ITO not in got and CHAIR in got
    # the reminder leads back to the circular: its [読みました] marks the household read
    card = next(d.message for d in fake.delivered if d.user_id == CHAIR and texts.REMINDER_TITLE in d.message.get("altText", ""))
    assert "既読にしました" in all_text(line.tap(CHAIR, [card], texts.READ))

    clock.move_to(at(24, 9, 5))
    assert send_due(k) == 0  # never twice for the same step
    clock.move_to(at(30, 9, 0))
    assert send_due(k) == 0
    drain(db, k.line)
    assert len(reminded(fake)) == 7
    assert "リマインド済み：11月24日 9:00（7世帯・7通）" in all_text(line.text(CHAIR, "状況"))


def test_plan_changed_in_the_draft(line, demo, db, fake, k, clock):
    preview = send(line, "リマインド: 3日後と5日後")
    assert "11月25日 9:00・11月27日 9:00" in all_text(preview)
    with db.session() as s:
        due = [r.due_at.astimezone(JST) for r in s.scalars(select(Reminder).order_by(Reminder.step))]
    assert due == [at(25, 9), at(27, 9)]


def test_plan_turned_off(line, demo, db, fake, k, clock):
    preview = send(line, "リマインド: なし")
    assert texts.REMINDER_NONE in all_text(preview)
    with db.session() as s:
        assert s.scalars(select(Reminder)).all() == []


def test_quick_reply_chips_change_the_plan(line, demo, db, clock):
    preview = line.text(CHAIR, "回覧 題\n本文")
    chip = button(preview, "1日後")
    assert chip["type"] == "message"
    preview = line.text(CHAIR, chip["text"])
    assert "11月23日 9:00" in all_text(preview)


def test_reminder_hour_inside_quiet_hours_moves_to_eight(line, demo, db, fake, k, clock, app):
    app.extensions["kairan"].settings = k.settings.with_(reminder_hour=22)
    k.processor.settings = k.settings
    send(line)
    with db.session() as s:
        (r,) = s.scalars(select(Reminder)).all()
    assert r.due_at.astimezone(JST) == at(25, 8)


def test_late_scheduler_waits_for_morning(line, demo, db, fake, k, clock):
    send(line)
    clock.move_to(at(24, 21, 30))  # the scheduler was down all day and comes back at night
    assert send_due(k) == 0
    drain(db, k.line)
    assert reminded(fake) == []
    with db.session() as s:
        (r,) = s.scalars(select(Reminder)).all()
        assert r.status == "planned" and r.due_at.astimezone(JST) == at(25, 8)
    clock.move_to(at(25, 7, 59))
    assert send_due(k) == 0
    clock.move_to(at(25, 8, 0))
    assert send_due(k) == 1
    drain(db, k.line)
    assert len(reminded(fake)) == 9


def test_nobody_unread_means_no_reminder(line, demo, db, fake, k, clock):
    send(line)
    with db.session() as s:
        from models import Delivery
        for d in s.scalars(select(Delivery)):
            d.read_at = dt.datetime.now(dt.timezone.utc)
    clock.move_to(at(24, 9, 0))
    assert send_due(k) == 1
    drain(db, k.line)
    assert reminded(fake) == []
    with db.session() as s:
        assert s.scalar(select(Reminder.status)) == "skipped"

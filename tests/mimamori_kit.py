"""What the 見守り tests share (a helper module, not a test module): the demo people they play, the
travelled evening they start at (`clock`), enrolling from the chat, running the
scheduler's job at a given local time, and reading what each person received."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from handlers.messages.codec import pb
from models import AuditLog, Member, Role
from models.mimamori import MimamoriCheck, MimamoriEnrolment
from models.roles import grant
from scheduler.mimamori import tick

from chat import all_text
from conftest import user_id

JST = ZoneInfo("Asia/Tokyo")
CHAIR = demo_user_id("山田 太郎")
SATO = demo_user_id("佐藤 花子")  # 1班 (no 班長)
LEADER2 = demo_user_id("田中 実")  # 班長 (2班)
NAKAMURA = demo_user_id("中村 幸子")  # 2班, 要支援
ITO = demo_user_id("伊藤 美咲")  # 2班
KATO = demo_user_id("加藤 恵子")  # 3班: made 民生委員 by `welfare`
FAMILY = user_id("中村さんの娘")  # a LINE user outside the association
T0 = dt.datetime(2026, 12, 2, 19, 30, tzinfo=JST)  # a Wednesday evening: they enrol; checks start tomorrow
START: dict = {}  # "day": the first check day (the Thursday after T0), set by `clock`


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        START["day"] = T0.date() + dt.timedelta(days=1)
        yield t


@pytest.fixture
def welfare(demo):
    """加藤 恵子 is the 民生委員."""
    with demo.session() as s:
        grant(s, s.scalar(select(Member).where(Member.line_user_id == KATO)), Role.welfare)
    return KATO


def at(clock, day_offset: int, hour: int, minute: int = 0) -> None:
    """Travel to `hour:minute` Japan time, `day_offset` days after the first check day."""
    day = START["day"] + dt.timedelta(days=day_offset)
    clock.move_to(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST))


def run(k, db) -> int:
    """The scheduler's 見守り tick, then the outbox to the fake LINE."""
    n = tick(k)
    drain(db, k.line)
    return n


def enrol(chat, who=NAKAMURA, hour="9:00", days="毎日", ladder="班長と民生委員") -> str:
    """From 登録内容 → [見守り] → [申し込む] to the consent; returns the family code."""
    me = chat.postback(who, pb("view", v="me"))
    view = chat.tap(who, me, texts.VIEW_LABELS["mimamori"])
    q = chat.tap(who, view, texts.MM_START)
    q = chat.tap(who, q, hour)
    q = chat.tap(who, q, days)
    confirm = chat.tap(who, q, ladder)
    assert texts.MM_CONFIRM_TITLE in all_text(confirm)
    done = chat.tap(who, confirm, texts.MM_AGREE)
    text = all_text(done)
    assert texts.CMD_MIMAMORI_FAMILY in text
    return text.rsplit(" ", 1)[-1].strip()


def received(fake, user, after=0) -> list[dict]:
    return [d.message for d in fake.messages_for(user, after)]


def last_seq(fake) -> int:
    return max([d.seq for d in fake.delivered] or [0])


def check_row(db, who=NAKAMURA, offset=0):
    with db.session() as s:
        e = s.scalar(select(MimamoriEnrolment).join(Member, MimamoriEnrolment.member_id == Member.id)
                     .where(Member.line_user_id == who))
        day = START["day"] + dt.timedelta(days=offset)
        c = s.scalar(select(MimamoriCheck).where(MimamoriCheck.enrolment_id == e.id, MimamoriCheck.day == day))
        s.expunge_all()
        return c


def audit_actions(db) -> list[str]:
    with db.session() as s:
        return [a for a in s.scalars(select(AuditLog.action).where(AuditLog.action.like("mimamori.%"))
                                     .order_by(AuditLog.id))]

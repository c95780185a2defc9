"""What the disaster-mode tests share (a helper module, not a test module): the demo people they
play, the travelled night they run at (`clock`), starting disaster mode from the chat, and reading
safety checks and reports back."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Delivery, Household

CHAIR = demo_user_id("山田 太郎")
BOSAI = demo_user_id("小林 修")  # 防災担当 (3班)
LEADER2 = demo_user_id("田中 実")  # 班長 (2班)
SATO = demo_user_id("佐藤 花子")  # 1班
NAKAMURA = demo_user_id("中村 幸子")  # 2班, 要支援
ITO = demo_user_id("伊藤 美咲")  # 2班
T0 = dt.datetime(2026, 11, 22, 23, 40, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # at night: no quiet hours here


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def start(line, who=BOSAI, kind="地震", note="大きな揺れがありました。"):
    q = line.text(who, "災害モード")
    q = line.tap(who, q, kind)
    confirm = line.text(who, note)
    return confirm, line.tap(who, confirm, texts.DISASTER_START)


def check_of(fake, user):
    hits = [d.message for d in fake.delivered if d.user_id == user and texts.SAFETY_CHECK_TITLE.split("】")[0] in d.message.get("altText", "")]
    assert hits, f"no safety check for {user}"
    return hits[-1]


def report(db, name):
    with db.session() as s:
        r = s.scalar(select(Delivery).join(Household).where(Delivery.of_kind("safety"), Household.name == name))
        if r:
            _ = list(r.history), r.answered_by
        return r


def pushes(fake, after=0):
    return [q for q in fake.sends()[after:] if q.path.endswith(("/push", "/multicast"))]

"""What the drill, needs and responder tests share (a helper module, not a test module): starting a
drill from the chat (now or planned), answering the check, the live page's forms."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Delivery, Disaster, Household

from safety_kit import BOSAI, check_of

SUZUKI = demo_user_id("鈴木 一郎")  # 1班
KATO = demo_user_id("加藤 恵子")  # 3班
YAMAMOTO = demo_user_id("山本 節子")  # 3班, 要支援


def start_drill(line, who=BOSAI, kind="地震", when=None, note="なし"):
    """「訓練」 → kind → 今すぐ (or the picker's local 「2026-11-23T09:00」) → message → [訓練を行う]."""
    q = line.text(who, texts.CMD_DRILL)
    q = line.tap(who, q, kind)
    q = line.tap(who, q, texts.DRILL_NOW) if when is None else line.tap(who, q, texts.DRILL_PICK_TIME, value=when)
    confirm = line.text(who, note)
    return confirm, line.tap(who, confirm, texts.DRILL_SEND)


def the_disaster(db) -> Disaster:
    with db.session() as s:
        return s.scalars(select(Disaster).order_by(Disaster.id.desc()).limit(1)).first()


def delivery_id(db, household: str) -> int:
    with db.session() as s:
        return s.scalar(select(Delivery.id).join(Household).where(Delivery.of_kind("safety"), Household.name == household)
                        .order_by(Delivery.id.desc()).limit(1))


def household_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Household.id).where(Household.name == name))


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


__all__ = ["SUZUKI", "KATO", "YAMAMOTO", "start_drill", "the_disaster", "delivery_id", "household_id", "csrf",
           "check_of"]

"""Automatic start from JMA (気象庁防災情報XML): the telegrams seen, the rules, the starts.

- `JmaTelegram`: one row per Atom entry id (and per EventID + serial + telegram code): a telegram
  is processed once, whatever the feed repeats.
- `JmaRule`: per association (or per municipality, for the city tier: an association without its
  own rule follows its municipality's): the JMA municipality codes (市町村等, 7 digits as in the
  telegrams' Area/Code), the tsunami forecast areas of its coast, the threshold, and the mode
  (start at once, or ask the chair and disaster officers first and start after N minutes).
- `JmaStart`: what a telegram did to an association (asked / started / declined / cancelled), one
  per association and earthquake/event (a 震度速報 and its 震源・震度に関する情報 start once).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, created, intpk
from .roster import Association

INTENSITIES = ("1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")  # JMA's MaxInt values, in order
MODES = ("auto", "ask")


def intensity_rank(v: Optional[str]) -> int:
    return INTENSITIES.index(v) + 1 if v in INTENSITIES else 0


class JmaTelegram(Base):
    __tablename__ = "jma_telegrams"
    __table_args__ = (UniqueConstraint("entry_id"),)
    id: Mapped[intpk]
    entry_id: Mapped[str] = mapped_column(String(300))  # the Atom entry's id (or "file:<sha256>" when injected)
    code: Mapped[Optional[str]] = mapped_column(String(10))  # VXSE53 …
    event_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    serial: Mapped[Optional[str]] = mapped_column(String(10))
    info_type: Mapped[Optional[str]] = mapped_column(String(10))  # 発表 / 訂正 / 取消
    outcome: Mapped[str] = mapped_column(String(12))  # matched / no_match / refused / duplicate / unknown
    reason: Mapped[Optional[str]] = mapped_column(String(200))
    received_at: Mapped[created]


class JmaRule(Base):
    __tablename__ = "jma_rules"
    __table_args__ = (
        CheckConstraint("(association_id IS NULL) <> (municipality_id IS NULL)", name="jma_rule_owner"),
        UniqueConstraint("association_id"), UniqueConstraint("municipality_id"),
    )
    id: Mapped[intpk]
    association_id: Mapped[Optional[int]] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    city_codes: Mapped[str] = mapped_column(String(200), default="")  # "1310100,1310200"
    quake_areas: Mapped[str] = mapped_column(String(100), default="")  # 地震情報／細分区域 (震度速報): "350"
    tsunami_areas: Mapped[str] = mapped_column(String(200), default="")  # 津波予報区 codes: "300,301"
    min_intensity: Mapped[str] = mapped_column(String(2), default="5-")
    quake: Mapped[bool] = mapped_column(Boolean, default=True)
    tsunami: Mapped[bool] = mapped_column(Boolean, default=True)  # 津波警報以上
    special: Mapped[bool] = mapped_column(Boolean, default=True)  # any 特別警報 for the municipality
    mode: Mapped[str] = mapped_column(String(4), default="ask")
    ask_minutes: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[created]

    def codes(self) -> set[str]:
        return {c.strip() for c in self.city_codes.split(",") if c.strip()}

    def areas(self) -> set[str]:
        return {c.strip() for c in self.tsunami_areas.split(",") if c.strip()}

    def quake_area_set(self) -> set[str]:
        return {c.strip() for c in self.quake_areas.split(",") if c.strip()}


class JmaStart(Base):
    __tablename__ = "jma_starts"
    __table_args__ = (UniqueConstraint("association_id", "event_key"),)
    id: Mapped[intpk]
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    telegram_id: Mapped[int] = mapped_column(ForeignKey("jma_telegrams.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(80))  # "quake:<EventID>" …
    kind: Mapped[str] = mapped_column(String(10))  # the disaster kind: quake / flood / other
    message: Mapped[str] = mapped_column(Text)
    what: Mapped[str] = mapped_column(String(40), default="")  # 「震度5強」「津波警報」 … for the officers
    state: Mapped[str] = mapped_column(String(10))  # asked / started / declined / cancelled
    ask_until: Mapped[Optional[dt.datetime]]
    disaster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("disasters.id", ondelete="SET NULL"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[created]


def rule_for(session: Session, association: Association) -> Optional[JmaRule]:
    """The association's own rule, else its municipality's."""
    own = session.scalar(select(JmaRule).where(JmaRule.association_id == association.id))
    if own is not None:
        return own
    return session.scalar(select(JmaRule).where(JmaRule.municipality_id == association.municipality_id))


RULE_FIELDS = ("city_codes", "quake_areas", "tsunami_areas", "min_intensity", "quake", "tsunami", "special",
               "mode", "ask_minutes")
DEFAULTS = {"city_codes": "", "quake_areas": "", "tsunami_areas": "", "min_intensity": "5-", "quake": True,
            "tsunami": True, "special": True, "mode": "ask", "ask_minutes": 10}


def own_rule(session: Session, association: Association, create: bool = False) -> Optional[JmaRule]:
    """The association's own rule, to change: a municipality's rule is copied into one first; with
    `create`, an association without any rule gets one with the defaults."""
    rule = rule_for(session, association)
    if rule is not None and rule.association_id == association.id:
        return rule
    if rule is None and not create:
        return None
    values = {f: getattr(rule, f) for f in RULE_FIELDS} if rule is not None else dict(DEFAULTS)
    own = JmaRule(association_id=association.id, **values)
    session.add(own)
    return own

"""Declarative base, shared column types and the clock."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_SHIFT = [dt.timedelta(0)]  # the simulator's clock (bot/dev/simulator.py); zero in every other process


def utcnow() -> dt.datetime:
    """The one clock of the application (tests move it with time-machine; the LINE simulator
    may move it forward, see `advance_clock`)."""
    return dt.datetime.now(dt.timezone.utc) + _SHIFT[0]


def advance_clock(delta: dt.timedelta) -> dt.timedelta:
    """Move this process's clock forward (never back) by `delta`; returns the total shift. Only
    the simulator calls it, to show in minutes what takes hours (a 見守り ladder, a reminder)."""
    if delta < dt.timedelta(0):
        raise ValueError("the clock only moves forward")
    _SHIFT[0] += delta
    return _SHIFT[0]


def clock_shift() -> dt.timedelta:
    return _SHIFT[0]


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every database, hands out aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={getattr(self, 'id', None)!r}>"


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
str40 = Annotated[str, mapped_column(String(40))]


def association_fk() -> Any:
    return mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)

"""The association registry (自治会台帳, Kobe's fields) and its change history.

One `RegistryEntry` per association: the facts a city keeps about it (chair and their contact,
the circular and poster recipients, copies, households, 班/組, bulletin boards, 区分, whether it is
a マンション・団地, its area, active or dissolved, notes). The association's name is
`Association.name` (shown and changed as the registry's first field). Every personal field is
optional. Who may see an entry: that association's board (chair and officers) and the city staff
of its municipality — the pages check it; nothing here crosses an association's boundary.

Every change goes through `apply_changes` (the officers' page, the 「会長交代」 chat dialog, the
city's CSV import and the CLI): it compares, writes the changed fields and one `RegistryChange`
per field (who, when, how, field, before → after). History values are kept as canonical text
(`encode`): ints as digits, dates ISO, flags "1"/"0", the status code.

No Japanese here: the fields' labels and the words of flags are handlers/messages/texts.py's.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, association_fk, intpk, utcnow
from .roster import Association

ACTIVE, DISSOLVED = "active", "dissolved"
STATUSES = (ACTIVE, DISSOLVED)


@dataclass(frozen=True)
class Field:
    key: str
    kind: str  # "text" | "note" (long text) | "int" | "date" | "flag" (yes/no/unknown) | "status"
    size: int = 0  # the most characters a text may have (the column's size)
    personal: bool = False  # a person's name or contact: optional, shown to the board and the city only


# In the order of the page and the CSV's columns.
FIELDS: tuple[Field, ...] = (
    Field("name", "text", 100),  # Association.name
    Field("name_kana", "text", 100),
    Field("chair_name", "text", 100, True),
    Field("chair_kana", "text", 100, True),
    Field("chair_postcode", "text", 10, True),
    Field("chair_address", "text", 200, True),
    Field("chair_phone", "text", 40, True),
    Field("chair_since", "date"),
    Field("predecessor_name", "text", 100, True),
    Field("predecessor_contact", "text", 200, True),
    Field("circular_name", "text", 100, True),  # 回覧物受取担当者
    Field("circular_address", "text", 200, True),
    Field("circular_phone", "text", 40, True),
    Field("poster_name", "text", 100, True),  # ポスター受取担当者
    Field("poster_address", "text", 200, True),
    Field("poster_phone", "text", 40, True),
    Field("circular_copies", "int"),
    Field("poster_copies", "int"),
    Field("households", "int"),
    Field("group_count", "int"),  # 班/組の数
    Field("boards", "int"),  # 掲示板の数
    Field("federation", "flag"),  # 区分: 連合会に加入している
    Field("apartment", "flag"),  # マンション・団地
    Field("area", "text", 200),
    Field("status", "status"),
    Field("notes", "note", 2000),
)
BY_KEY = {f.key: f for f in FIELDS}
MAX_INT = 10**6  # copies, households, 班: more than any association has


class RegistryEntry(Base):
    __tablename__ = "registry_entries"
    id: Mapped[intpk]
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), unique=True)
    name_kana: Mapped[Optional[str]] = mapped_column(String(100))
    chair_name: Mapped[Optional[str]] = mapped_column(String(100))
    chair_kana: Mapped[Optional[str]] = mapped_column(String(100))
    chair_postcode: Mapped[Optional[str]] = mapped_column(String(10))
    chair_address: Mapped[Optional[str]] = mapped_column(String(200))
    chair_phone: Mapped[Optional[str]] = mapped_column(String(40))
    chair_since: Mapped[Optional[dt.date]] = mapped_column(Date)
    predecessor_name: Mapped[Optional[str]] = mapped_column(String(100))
    predecessor_contact: Mapped[Optional[str]] = mapped_column(String(200))
    circular_name: Mapped[Optional[str]] = mapped_column(String(100))
    circular_address: Mapped[Optional[str]] = mapped_column(String(200))
    circular_phone: Mapped[Optional[str]] = mapped_column(String(40))
    poster_name: Mapped[Optional[str]] = mapped_column(String(100))
    poster_address: Mapped[Optional[str]] = mapped_column(String(200))
    poster_phone: Mapped[Optional[str]] = mapped_column(String(40))
    circular_copies: Mapped[Optional[int]] = mapped_column(Integer)
    poster_copies: Mapped[Optional[int]] = mapped_column(Integer)
    households: Mapped[Optional[int]] = mapped_column(Integer)
    group_count: Mapped[Optional[int]] = mapped_column(Integer)
    boards: Mapped[Optional[int]] = mapped_column(Integer)
    federation: Mapped[Optional[bool]] = mapped_column(Boolean)
    apartment: Mapped[Optional[bool]] = mapped_column(Boolean)
    area: Mapped[Optional[str]] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE, server_default=ACTIVE)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegistryChange(Base):
    """One field of one entry changed: who (a member, a city staff member or the operator), when,
    how (web / chat / csv / cli), before → after (canonical text, None = empty)."""

    __tablename__ = "registry_changes"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    at: Mapped[dt.datetime]
    actor_kind: Mapped[str] = mapped_column(String(10))  # "member" | "staff" | "operator"
    actor_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city_staff.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(120))  # the name (and role) as it was then
    via: Mapped[str] = mapped_column(String(10))  # "web" | "chat" | "csv" | "cli"
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[Optional[str]] = mapped_column(Text)
    after: Mapped[Optional[str]] = mapped_column(Text)


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as the history keeps it."""

    kind: str  # "member" | "staff" | "operator"
    label: str
    via: str  # "web" | "chat" | "csv" | "cli"
    member_id: Optional[int] = None
    staff_id: Optional[int] = None


# --- values -----------------------------------------------------------------------------------


def encode(key: str, value: Any) -> Optional[str]:
    """A field's value as the history keeps it (None: empty)."""
    if value is None or value == "":
        return None
    kind = BY_KEY[key].kind
    if kind == "flag":
        return "1" if value else "0"
    if kind == "date":
        return value.isoformat()
    return str(value)


def decode(key: str, text: Optional[str]) -> Any:
    """What `encode` wrote, back as a value."""
    if text is None:
        return None
    kind = BY_KEY[key].kind
    if kind == "flag":
        return text == "1"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "int":
        return int(text)
    return text


def check(key: str, value: Any) -> Any:
    """The value as stored (empty text → None), or ValueError if it does not fit the field."""
    f = BY_KEY[key]
    if value is None or (isinstance(value, str) and not value.strip()):
        if key in ("name", "status"):
            raise ValueError(f"{key} may not be empty")
        return None
    if f.kind in ("text", "note"):
        value = str(value).strip()
        if len(value) > f.size:
            raise ValueError(f"{key}: longer than {f.size}")
        return value
    if f.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_INT:
            raise ValueError(f"{key}: not a count")
        return value
    if f.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValueError(f"{key}: not a date")
        return value
    if f.kind == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"{key}: not yes or no")
        return value
    if value not in STATUSES:
        raise ValueError(f"{key}: not a status")
    return value


# dashes a phone's keyboard or an IME types (minus sign, katakana prolonged sound mark, full-width
# hyphen-minus, hyphens, dashes, horizontal bar): in a phone number or a postcode they are a hyphen
DASHES = {cp: "-" for cp in (0x2212, 0x30FC, 0xFF0D, 0x2010, 0x2011, 0x2013, 0x2014, 0x2015)}
PHONE = re.compile(r"[0-9+()\- ]{2,40}")
POSTCODE = re.compile(r"(\d{3})-?(\d{4})")
PHONE_KEYS = frozenset({"chair_phone", "circular_phone", "poster_phone"})
POSTCODE_KEYS = frozenset({"chair_postcode"})


def normalize_phone(text: str) -> Optional[str]:
    """A phone number as typed (full-width digits, any dash) → 078-123-4567; None if it is none."""
    t = unicodedata.normalize("NFKC", text or "").translate(DASHES).strip()
    return t if PHONE.fullmatch(t) and any(ch.isdigit() for ch in t) else None


def normalize_postcode(text: str, mark: str = "") -> Optional[str]:
    """A postcode as typed (〒 = `mark` before it, full-width, any dash) → 650-0001; None if it is none."""
    t = unicodedata.normalize("NFKC", text or "").translate(DASHES).strip()
    m = POSTCODE.fullmatch(t[len(mark):].strip() if mark and t.startswith(mark) else t)
    return f"{m.group(1)}-{m.group(2)}" if m else None


# --- reading and writing ------------------------------------------------------------------------


def entry_of(session: Session, association_id: int) -> Optional[RegistryEntry]:
    return session.scalar(select(RegistryEntry).where(RegistryEntry.association_id == association_id))


def values(association: Association, entry: Optional[RegistryEntry]) -> dict[str, Any]:
    """Every field's current value ({key: value}; None = empty); no entry yet: all empty."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        if f.key == "name":
            out["name"] = association.name
        elif entry is None:
            out[f.key] = ACTIVE if f.key == "status" else None
        else:
            out[f.key] = getattr(entry, f.key)
    return out


def apply_changes(session: Session, association: Association, changes: dict[str, Any], actor: Actor,
                  now: Optional[dt.datetime] = None) -> list[RegistryChange]:
    """Write the fields of `changes` that differ from the entry, and one history row per field.

    Unknown fields and values that do not fit raise ValueError before anything is written.
    Returns the history rows written (none: nothing changed)."""
    now = now or utcnow()
    unknown = set(changes) - set(BY_KEY)
    if unknown:
        raise ValueError(f"no such registry fields: {sorted(unknown)}")
    checked = {k: check(k, v) for k, v in changes.items()}
    entry = entry_of(session, association.id)
    current = values(association, entry)
    written = []
    for f in FIELDS:
        if f.key not in checked or encode(f.key, checked[f.key]) == encode(f.key, current[f.key]):
            continue
        if entry is None:
            entry = RegistryEntry(association_id=association.id, status=ACTIVE)
            session.add(entry)
        if f.key == "name":
            association.name = checked["name"]
        else:
            setattr(entry, f.key, checked[f.key])
        row = RegistryChange(association_id=association.id, at=now, actor_kind=actor.kind,
                             actor_member_id=actor.member_id, actor_staff_id=actor.staff_id,
                             actor_label=actor.label[:120], via=actor.via, field=f.key,
                             before=encode(f.key, current[f.key]), after=encode(f.key, checked[f.key]))
        session.add(row)
        written.append(row)
    if written:
        entry.updated_at = now
        session.flush()
    return written


def history(session: Session, association_id: int, limit: int = 200) -> list[RegistryChange]:
    """The newest changes first."""
    return list(session.scalars(select(RegistryChange).where(RegistryChange.association_id == association_id)
                                .order_by(RegistryChange.at.desc(), RegistryChange.id.desc()).limit(limit)))


def forget_actor(session: Session, member_id: int, redacted: str) -> None:
    """退会: the history keeps what changed, not the name of the member who changed it."""
    session.execute(update(RegistryChange).where(RegistryChange.actor_member_id == member_id)
                    .values(actor_label=redacted, actor_member_id=None))

"""The association registry as text: one field's value as people type and read it, and the city's
CSV (every association of a municipality in one sheet, for Excel) with its import.

- `parse_value(key, text)` / `show(key, value)`: a field as typed on the page or in a CSV cell, and
  as shown (the words of texts.py: 連合会加入/未加入, 活動中/解散; dates 2026-04-01).
- `export(session, municipality_id)`: UTF-8 with BOM, CRLF; the header is 自治会ID then every
  field's label (texts.REGISTRY_FIELDS); one row per association of the municipality; every cell
  through bot/web/csv_safe.py (a value starting with = + - @ is not run as a formula).
- `read(data)` → `Sheet`: the whole file checked before anything is compared (any bad cell, any
  unknown column: RegistryCsvError, one line naming the line). Columns may be left out (those
  fields are not touched); an empty cell empties the field.
- `preview(session, municipality_id, sheet)` → the changes it would make (association, field,
  before → after), writing nothing; rows of another municipality's association are refused.
- `apply(session, municipality_id, sheet, actor)`: writes them through
  models.registry.apply_changes (the history, with the importer as actor).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.csv_safe import csv_cell, csv_uncell
from handlers.messages import texts
from models import Association
from models.registry import (
    BY_KEY,
    FIELDS,
    MAX_INT,
    PHONE_KEYS,
    POSTCODE_KEYS,
    STATUSES,
    Actor,
    apply_changes,
    entry_of,
    normalize_phone,
    normalize_postcode,
    values,
)

BOM = b"\xef\xbb\xbf"  # Excel reads a CSV as UTF-8 only with it
MAX_BYTES = 8 * 1024 * 1024
DATE = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class RegistryCsvError(ValueError):
    """A bad file or value: the message is one line, in Japanese, naming the line where it can."""


# --- one field ----------------------------------------------------------------------------------


def hint(key: str) -> str:
    f = BY_KEY[key]
    kind = "postcode" if key in POSTCODE_KEYS else "phone" if key in PHONE_KEYS else f.kind
    if kind in ("text", "note"):
        return texts.REGISTRY_HINTS["text"].format(size=f.size)
    return texts.REGISTRY_HINTS[kind]


def _bad(key: str) -> RegistryCsvError:
    if key == "name":
        return RegistryCsvError(texts.REGISTRY_NAME_NEEDED)
    return RegistryCsvError(texts.REGISTRY_BAD_VALUE.format(label=texts.REGISTRY_FIELDS[key], hint=hint(key)))


def parse_value(key: str, text: Optional[str]) -> Any:
    """What a person typed (page) or a cell holds (CSV), as the field's value; None = empty.
    RegistryCsvError names the field and what it takes."""
    f = BY_KEY[key]
    raw = (text or "").strip()
    if not raw:
        if key == "name":
            raise _bad(key)
        return None
    norm = unicodedata.normalize("NFKC", raw).strip()
    if f.kind in ("text", "note"):
        if key in POSTCODE_KEYS or key in PHONE_KEYS:
            value = (normalize_postcode(raw, texts.POSTCODE_MARK) if key in POSTCODE_KEYS
                     else normalize_phone(raw))
            if value is None:
                raise _bad(key)
            return value
        value = raw.replace("\r\n", "\n") if f.kind == "note" else " ".join(raw.split())
        if len(value) > f.size:
            raise _bad(key)
        return value
    if f.kind == "int":
        digits = norm.replace(",", "")
        if not digits.isascii() or not digits.isdigit() or int(digits) >= MAX_INT:
            raise _bad(key)
        return int(digits)
    if f.kind == "date":
        m = DATE.fullmatch(norm)
        if m is None or m.group(1) is None:
            raise _bad(key)
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise _bad(key) from None
    if f.kind == "flag":
        yes, no = texts.REGISTRY_FLAG_WORDS[key]
        if norm in (yes, "1"):
            return True
        if norm in (no, "0"):
            return False
        raise _bad(key)
    for code in STATUSES:
        if norm in (code, texts.REGISTRY_STATUS_WORDS[code]):
            return code
    raise _bad(key)


def show(key: str, value: Any) -> str:
    """A field's value as shown on the pages and written in the CSV ("" = empty)."""
    if value is None:
        return ""
    kind = BY_KEY[key].kind
    if kind == "flag":
        yes, no = texts.REGISTRY_FLAG_WORDS[key]
        return yes if value else no
    if kind == "status":
        return texts.REGISTRY_STATUS_WORDS.get(value, value)
    if kind == "date":
        return value.isoformat()
    return str(value)


def form_text(key: str, value: Any) -> str:
    """A value as a form's input holds it (flags and status: their codes, as the <select> options)."""
    if value is None:
        return ""
    kind = BY_KEY[key].kind
    if kind == "flag":
        return "1" if value else "0"
    return value if kind == "status" else show(key, value)


def parse_form(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The page's form: ({key: value} for every field, {key: error}); a missing key is an empty field."""
    changes, errors = {}, {}
    for f in FIELDS:
        try:
            changes[f.key] = parse_value(f.key, form.get(f.key, ""))
        except RegistryCsvError as e:
            errors[f.key] = str(e)
    return changes, errors


# --- the city's sheet ---------------------------------------------------------------------------


def associations_of(session: Session, municipality_id: int) -> list[Association]:
    return list(session.scalars(select(Association).where(Association.municipality_id == municipality_id)
                                .order_by(Association.id)))


def export(session: Session, municipality_id: int) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([texts.REGISTRY_CSV_ID] + [texts.REGISTRY_FIELDS[f.key] for f in FIELDS])
    for assoc in associations_of(session, municipality_id):
        vals = values(assoc, entry_of(session, assoc.id))
        w.writerow([str(assoc.id)] + [csv_cell(show(f.key, vals[f.key])) for f in FIELDS])
    return BOM + out.getvalue().encode("utf-8")


@dataclass
class Sheet:
    """A checked file: the fields it has columns for, and per association id the values and line."""

    keys: list[str]
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS as Excel saves it (cp932)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegistryCsvError(texts.REGISTRY_CSV_ENCODING)


def read(data: bytes) -> Sheet:
    if len(data) > MAX_BYTES:
        raise RegistryCsvError(texts.REGISTRY_CSV_TOO_LONG)
    table = [r for r in csv.reader(io.StringIO(decode(data), newline="")) if any(c.strip() for c in r)]
    if not table:
        raise RegistryCsvError(texts.REGISTRY_CSV_EMPTY)
    header = [unicodedata.normalize("NFKC", c).strip() for c in table[0]]
    by_label = {unicodedata.normalize("NFKC", texts.REGISTRY_FIELDS[f.key]): f.key for f in FIELDS}
    id_label = unicodedata.normalize("NFKC", texts.REGISTRY_CSV_ID)
    if id_label not in header:
        raise RegistryCsvError(texts.REGISTRY_CSV_NO_ID)
    columns: list[Optional[str]] = []
    for label in header:
        if label == id_label:
            columns.append(None)
        elif label in by_label:
            columns.append(by_label[label])
        else:
            raise RegistryCsvError(texts.REGISTRY_CSV_UNKNOWN_COLUMN.format(column=label))
    seen = set()
    for label in header:
        if label in seen:
            raise RegistryCsvError(texts.REGISTRY_CSV_DUPLICATE_COLUMN.format(column=label))
        seen.add(label)
    id_at = header.index(id_label)
    sheet = Sheet(keys=[k for k in columns if k is not None])
    for n, row in enumerate(table[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        raw_id = unicodedata.normalize("NFKC", row[id_at]).strip()
        if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 10:
            raise RegistryCsvError(texts.REGISTRY_CSV_BAD_ID.format(line=n, value=row[id_at][:20]))
        aid = int(raw_id)
        if aid in sheet.rows:
            raise RegistryCsvError(texts.REGISTRY_CSV_DUPLICATE_ID.format(line=n, value=aid))
        vals = {}
        for key, cell in zip(columns, row):
            if key is None:
                continue
            try:
                vals[key] = parse_value(key, csv_uncell(cell))
            except RegistryCsvError as e:
                raise RegistryCsvError(texts.REGISTRY_CSV_LINE.format(line=n, error=e)) from None
        sheet.rows[aid], sheet.lines[aid] = vals, n
    return sheet


@dataclass(frozen=True)
class Planned:
    association_id: int
    association: str  # its name now
    key: str
    label: str
    before: str
    after: str


def _in_municipality(session: Session, municipality_id: int, sheet: Sheet) -> dict[int, Association]:
    found = {a.id: a for a in session.scalars(select(Association).where(
        Association.id.in_(list(sheet.rows)), Association.municipality_id == municipality_id))}
    for aid in sheet.rows:
        if aid not in found:  # another municipality's association, or none: the whole file is refused
            raise RegistryCsvError(texts.REGISTRY_CSV_BAD_ID.format(line=sheet.lines[aid], value=aid))
    return found


def preview(session: Session, municipality_id: int, sheet: Sheet) -> list[Planned]:
    """Every field the sheet would change, association by association; nothing is written."""
    planned = []
    for aid, assoc in sorted(_in_municipality(session, municipality_id, sheet).items()):
        now = values(assoc, entry_of(session, aid))
        for f in FIELDS:
            if f.key in sheet.rows[aid] and show(f.key, sheet.rows[aid][f.key]) != show(f.key, now[f.key]):
                planned.append(Planned(aid, assoc.name, f.key, texts.REGISTRY_FIELDS[f.key],
                                       show(f.key, now[f.key]), show(f.key, sheet.rows[aid][f.key])))
    return planned


def digest(planned: list[Planned]) -> str:
    """A fingerprint of a preview: confirm applies only what was shown (else it shows it again)."""
    h = hashlib.sha256()
    for p in planned:
        h.update("\x1f".join((str(p.association_id), p.key, p.before, p.after)).encode() + b"\x1e")
    return h.hexdigest()


def apply(session: Session, municipality_id: int, sheet: Sheet, actor: Actor,
          now: Optional[dt.datetime] = None) -> tuple[int, int]:
    """Write what `preview` shows, with the history. Returns (fields changed, associations changed)."""
    fields = associations = 0
    for aid, assoc in sorted(_in_municipality(session, municipality_id, sheet).items()):
        written = apply_changes(session, assoc, sheet.rows[aid], actor, now)
        fields += len(written)
        associations += bool(written)
    return fields, associations

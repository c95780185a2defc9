"""JMA telegrams (気象庁防災情報XML) → what they say, for the trigger rules.

Parsing is defusedxml's ElementTree with DTDs forbidden (no entity expansion, no external
entities); the caller caps the size (MAX_BYTES) before parsing. Namespaces are ignored (the
element's local name counts), so a new schema version of a telegram still reads.

KINDS is the table of telegrams understood: code → (title in Control/Title, kind, parser, what it
means). A new telegram (the 2026 warning system's Level-4 危険警報 …) is a new row and, if its body
differs, a new parser function.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from defusedxml import ElementTree as SafeET

MAX_BYTES = 2 * 1024 * 1024  # a telegram is at most a few hundred KB; anything larger is refused


class TelegramError(ValueError):
    """Not a telegram we can read (malformed, too large, forbidden constructs)."""


@dataclass
class Telegram:
    code: str  # VXSE53 …
    title: str
    kind: str  # quake / tsunami / special
    info_type: str  # 発表 / 訂正 / 取消
    status: str  # 通常 / 訓練 / 試験
    event_id: str
    serial: str
    max_int: str = ""  # the largest intensity anywhere ("5+" …)
    cities: dict[str, str] = field(default_factory=dict)  # 7-digit 市町村 code → MaxInt ("?": 震度５弱以上未入電)
    areas: dict[str, str] = field(default_factory=dict)  # 地震情報／細分区域 code → MaxInt (VXSE51)
    tsunami: dict[str, str] = field(default_factory=dict)  # 津波予報区 code → 大津波警報 / 津波警報
    special: dict[str, str] = field(default_factory=dict)  # 7-digit 市町村等 code → 大雨特別警報 …

    @property
    def cancels(self) -> bool:
        return self.info_type == "取消"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el, name: str):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el, *path: str) -> str:
    for name in path:
        if el is None:
            return ""
        el = _child(el, name)
    return (el.text or "").strip() if el is not None else ""


def _all(el, name: str):
    return [c for c in el.iter() if _local(c.tag) == name]


UNCONFIRMED = "?"  # 「震度５弱以上未入電」: counts as possibly 5弱 or more


def _intensity(t: Telegram, body) -> None:
    for obs in _all(body, "Observation"):
        t.max_int = _text(obs, "MaxInt") or t.max_int
        for pref in (c for c in obs if _local(c.tag) == "Pref"):
            for area in (c for c in pref if _local(c.tag) == "Area"):
                if _text(area, "Code"):
                    t.areas[_text(area, "Code")] = _text(area, "MaxInt")
                for city in (c for c in area if _local(c.tag) == "City"):
                    code, mi = _text(city, "Code"), _text(city, "MaxInt")
                    if "未入電" in _text(city, "Condition") and not mi:
                        mi = UNCONFIRMED
                    if code:
                        t.cities[code] = mi


TSUNAMI_WARNINGS = {"51": "津波警報", "52": "大津波警報", "53": "大津波警報"}  # Category/Kind/Code; 62 注意報 is not
NORMAL = "通常"  # Control/Status of a real telegram (not 訓練 / 試験)


def tsunami_rank(name: str) -> int:
    return 2 if name.startswith("大津波") else 1


def _tsunami(t: Telegram, body) -> None:
    for fc in _all(body, "Forecast"):
        for item in (c for c in fc if _local(c.tag) == "Item"):
            code = _text(item, "Area", "Code")
            kind = _text(item, "Category", "Kind", "Code")
            if code and kind in TSUNAMI_WARNINGS:
                t.tsunami[code] = _text(item, "Category", "Kind", "Name") or TSUNAMI_WARNINGS[kind]


def _special(t: Telegram, body) -> None:
    for warning in _all(body, "Warning"):
        if "市町村" not in (warning.get("type") or ""):
            continue
        for item in (c for c in warning if _local(c.tag) == "Item"):
            code = _text(item, "Area", "Code")
            for kind in (c for c in item if _local(c.tag) == "Kind"):
                name, status = _text(kind, "Name"), _text(kind, "Status")
                if code and name.endswith("特別警報") and status in ("発表", "継続", ""):
                    t.special[code] = name


@dataclass(frozen=True)
class Kind:
    code: str
    title: str  # Control/Title
    kind: str  # quake / tsunami / special
    parse: Callable[[Telegram, object], None]
    means: str


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("VXSE51", "震度速報", "quake", _intensity, "震度3以上の地域（細分区域）: 最初の知らせ"),
    Kind("VXSE53", "震源・震度に関する情報", "quake", _intensity, "市町村ごとの震度（震度５弱以上未入電を含む）"),
    Kind("VTSE41", "津波警報・注意報・予報a", "tsunami", _tsunami, "津波予報区ごとの大津波警報・津波警報"),
    Kind("VPWW54", "気象特別警報・警報・注意報", "special", _special, "市町村ごとの特別警報（大雨・暴風・高潮・波浪・暴風雪・大雪）"),
)}
BY_TITLE = {k.title: k for k in KINDS.values()}
BY_TITLE["気象警報・注意報（Ｈ２７）"] = KINDS["VPWW54"]  # the title VPWW54 had before 2024


def parse(data: bytes, code: Optional[str] = None) -> Optional[Telegram]:
    """The telegram, or None when it is not one of KINDS (nothing to do). Raises TelegramError."""
    if len(data) > MAX_BYTES:
        raise TelegramError("too large")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception as e:  # noqa: BLE001 - ParseError, DTDForbidden, EntitiesForbidden …
        raise TelegramError(f"not readable XML ({type(e).__name__})") from None
    if _local(root.tag) != "Report":
        raise TelegramError("not a JMA Report")
    control, head, body = _child(root, "Control"), _child(root, "Head"), _child(root, "Body")
    if control is None or head is None:
        raise TelegramError("no Control or Head")
    title = _text(control, "Title")
    k = KINDS.get(code or "") or BY_TITLE.get(title)
    if k is None:
        return None
    t = Telegram(code=k.code, title=title, kind=k.kind, info_type=_text(head, "InfoType"),
                 status=_text(control, "Status"), event_id=_text(head, "EventID"), serial=_text(head, "Serial"))
    if not t.event_id and k.kind == "special":  # warnings carry no EventID: one per office and day
        t.event_id = f"{_text(control, 'EditorialOffice')}:{_text(head, 'ReportDateTime')[:10]}"
    if not t.event_id:
        raise TelegramError("no EventID")
    if body is not None and not t.cancels:
        k.parse(t, body)
    return t

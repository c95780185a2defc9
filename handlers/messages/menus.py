"""The rich menus, defined in code: layout, tappable areas, actions and labels (words in texts.py).

Resident and disaster areas send postbacks `pb("view", v=<name>)` with the label as displayText
(handlers/views answers them by reply); officer areas send the officers' command words as message
actions, as if typed; 現在地を送る opens LINE's location picker (a URI action). Which menu a member
gets is models/richmenus.key_for; the images are drawn by handlers/messages/menu_images.py.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from models.richmenus import DISASTER, DISASTER_OFFICER, KEYS, OFFICER, OFFICER_FULL, RESIDENT

from . import texts
from .codec import pb

WIDTH, FULL_HEIGHT, HALF_HEIGHT = 2500, 1686, 843  # LINE's sizes
MAX_AREAS, MAX_LABEL, MAX_CHAT_BAR = 20, 20, 14
LOCATION_URI = "https://line.me/R/nv/location/"  # LINE's location picker, from a rich menu
LAYOUT_VERSION = "1"  # bump when the drawing changes without a definition change (a new hash)


@dataclass(frozen=True)
class Button:
    label: str
    kind: str  # view / message / location
    value: str = ""  # the view's name, or the command word
    colour: str = "#0B5394"  # background: dark, for white text (high contrast)

    def action(self) -> dict:
        if self.kind == "view":
            return {"type": "postback", "label": self.label, "data": pb("view", v=self.value),
                    "displayText": self.label}
        if self.kind == "message":
            return {"type": "message", "label": self.label, "text": self.value}
        return {"type": "uri", "label": self.label, "uri": LOCATION_URI}


@dataclass(frozen=True)
class Menu:
    key: str
    rows: tuple[tuple[Button, ...], ...]  # each row shares the width equally
    height: int = FULL_HEIGHT
    selected: bool = True  # the menu is open when the chat opens

    def areas(self) -> list[tuple[Button, dict]]:
        """(button, bounds): the rows share the height, each row's buttons its width, to the pixel."""
        out = []
        n = len(self.rows)
        for r, row in enumerate(self.rows):
            y0, y1 = self.height * r // n, self.height * (r + 1) // n
            for c, b in enumerate(row):
                x0, x1 = WIDTH * c // len(row), WIDTH * (c + 1) // len(row)
                out.append((b, {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}))
        return out

    def body(self) -> dict:
        """The RichMenuRequest (POST /v2/bot/richmenu)."""
        return {"size": {"width": WIDTH, "height": self.height}, "selected": self.selected,
                "name": f"kairan {self.key}: {texts.MENU_NAMES[self.key]}", "chatBarText": texts.MENU_CHAT_BAR,
                "areas": [{"bounds": bounds, "action": b.action()} for b, bounds in self.areas()]}

    def content_hash(self, font_name: str = "") -> str:
        """What the menu is made of (object, layout, colours, font): equal → nothing to redeploy."""
        colours = [b.colour for row in self.rows for b in row]
        raw = json.dumps([self.body(), colours, font_name, LAYOUT_VERSION], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


BLUE, GREEN, ORANGE, RED, GREY, PURPLE = "#0B5394", "#1E6B30", "#9C4A00", "#B00020", "#3D3D3D", "#5B2C83"


def _view(label: str, name: str, colour: str = BLUE) -> Button:
    return Button(label, "view", name, colour)


def _cmd(label: str, word: str, colour: str = BLUE) -> Button:
    return Button(label, "message", word, colour)


_HELP_VIEW = _view(texts.MENU_HELP, "help", GREY)
_HELP_CMD = _cmd(texts.MENU_HELP, texts.CMD_HELP_WORD, GREY)
_SAFETY = _view(texts.MENU_SAFETY, "safety", RED)
_LOCATION = Button(texts.MENU_LOCATION, "location", colour=ORANGE)
_FAMILY = _view(texts.MENU_FAMILY, "family", GREEN)
_SHELTER = _view(texts.MENU_SHELTER, "shelter", BLUE)
_STATUS_VIEW = _view(texts.MENU_STATUS, "status", PURPLE)

_OFFICER_TOP = (_cmd(texts.MENU_SEND_CIRCULAR, texts.CMD_CIRCULAR), _cmd(texts.MENU_TAKE_ATTENDANCE, texts.CMD_EVENT, GREEN),
                _cmd(texts.MENU_STATUS, texts.CMD_STATUS, PURPLE))

MENUS: dict[str, Menu] = {
    RESIDENT: Menu(RESIDENT, (
        (_view(texts.MENU_CIRCULARS, "circulars"), _view(texts.MENU_EVENTS, "events", GREEN), _SAFETY),
        (_view(texts.MENU_REPORT, "report", RED), _view(texts.MENU_INQUIRY, "inquiry", ORANGE),
         _view(texts.MENU_ME, "me", PURPLE), _HELP_VIEW),
    )),
    OFFICER: Menu(OFFICER, (
        _OFFICER_TOP,
        (_cmd(texts.MENU_ADMIN, texts.CMD_ADMIN, ORANGE), _HELP_CMD),
    )),
    OFFICER_FULL: Menu(OFFICER_FULL, (
        _OFFICER_TOP,
        (_cmd(texts.MENU_DISASTER, texts.CMD_DISASTER, RED), _cmd(texts.MENU_ADMIN, texts.CMD_ADMIN, ORANGE), _HELP_CMD),
    )),
    DISASTER: Menu(DISASTER, (
        (_SAFETY, _LOCATION),
        (_FAMILY, _SHELTER),
    )),
    DISASTER_OFFICER: Menu(DISASTER_OFFICER, (
        (_SAFETY, _LOCATION, _FAMILY),
        (_SHELTER, _STATUS_VIEW),
    )),
}
assert set(MENUS) == set(KEYS)


def check_menu(body: dict) -> list[str]:
    """LINE's limits on a rich menu object that the OpenAPI schema does not state (empty = OK)."""
    out = []
    size = body.get("size") or {}
    w, h = size.get("width"), size.get("height")
    if not (isinstance(w, int) and isinstance(h, int) and 800 <= w <= 2500 and h >= 250 and w / h >= 1.45):
        out.append(f"size: width 800-2500, height ≥250, width/height ≥1.45 (got {w}×{h})")
    if len(body.get("chatBarText") or "") > MAX_CHAT_BAR or not body.get("chatBarText"):
        out.append(f"chatBarText: 1-{MAX_CHAT_BAR} characters")
    areas = body.get("areas") or []
    if not 1 <= len(areas) <= MAX_AREAS:
        out.append(f"areas: 1-{MAX_AREAS}")
    for i, a in enumerate(areas):
        b = a.get("bounds") or {}
        if not (isinstance(w, int) and isinstance(h, int) and b.get("x", -1) >= 0 and b.get("y", -1) >= 0
                and b.get("width", 0) > 0 and b.get("height", 0) > 0
                and b["x"] + b["width"] <= w and b["y"] + b["height"] <= h):
            out.append(f"areas[{i}].bounds: outside the menu ({b})")
        action = a.get("action") or {}
        if len(action.get("label") or "") > MAX_LABEL:
            out.append(f"areas[{i}].action.label: over {MAX_LABEL} characters")
        for field in ("data", "text", "displayText"):
            if len(action.get(field) or "") > 300:
                out.append(f"areas[{i}].action.{field}: over 300 characters")
    return out

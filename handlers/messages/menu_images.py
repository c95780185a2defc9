"""The rich menus' images, drawn with Pillow from the definitions (handlers/messages/menus.py):
LINE's size, one coloured tile per area with its label in large white type, PNG under 1 MB.

The Japanese font comes with the project's dependencies (the PyPI package noto-cjk-sans-jp-bold:
Noto Sans CJK JP Bold, SIL OFL); Debian's fonts-ipafont-gothic is used when that is missing.
"""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .menus import Menu

MAX_BYTES = 1_000_000  # LINE: a rich-menu image is at most 1 MB
FALLBACKS = ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf", "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")
FONT_FIX = ("no Japanese font for the rich-menu images: install the project's dependencies "
            "(.venv/bin/pip install -e . — it brings noto-cjk-sans-jp-bold) or apt-get install fonts-ipafont-gothic")
GAP = 12  # px of white between tiles


def find_font() -> Path | None:
    """The font file to draw with; None when there is none."""
    try:
        import noto_cjk_sans_jp_bold

        path = Path(str(noto_cjk_sans_jp_bold.FONT_PATH))
        if path.is_file():
            return path
    except ImportError:
        pass
    return next((Path(p) for p in FALLBACKS if Path(p).is_file()), None)


def _fit(draw: ImageDraw.ImageDraw, text: str, font_path: Path, width: int, height: int):
    size = min(190, height // 3)  # large type: about 1/9 of the menu's height
    while size > 40:
        font = ImageFont.truetype(str(font_path), size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= width * 0.86 and bottom - top <= height * 0.6:
            return font
        size -= 8
    return ImageFont.truetype(str(font_path), size)


def draw(menu: Menu, font_path: Path) -> bytes:
    """The menu's image as PNG bytes (LINE's size, under 1 MB)."""
    from .menus import WIDTH

    img = Image.new("RGB", (WIDTH, menu.height), "white")
    d = ImageDraw.Draw(img)
    for button, b in menu.areas():
        x0, y0 = b["x"] + GAP // 2, b["y"] + GAP // 2
        x1, y1 = b["x"] + b["width"] - GAP // 2 - 1, b["y"] + b["height"] - GAP // 2 - 1
        d.rounded_rectangle((x0, y0, x1, y1), radius=36, fill=button.colour)
        font = _fit(d, button.label, font_path, x1 - x0, y1 - y0)
        d.text(((x0 + x1) / 2, (y0 + y1) / 2), button.label, font=font, fill="white", anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    data = out.getvalue()
    if len(data) > MAX_BYTES:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
        data = out.getvalue()
    return data


def content_type(data: bytes) -> str:
    return "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"

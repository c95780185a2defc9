"""Cells of every CSV kairan writes for Excel: a cell that Excel would run as a formula
(=, +, -, @, tab, CR first) is written with a leading quote, as Excel itself does for text."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from handlers.messages import texts

CSV_FORMULA = tuple("=+-@\t\r")


def csv_cell(value) -> str:
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(CSV_FORMULA) else s


def csv_uncell(value: str) -> str:
    """What csv_cell wrote, read back (a roster exported and imported again keeps its names)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(CSV_FORMULA) else value


# --- the names of every download (CSV, GeoJSON): one style ---------------------------------------
# kairan-<what>-<YYYYMMDD>.<ext> in ASCII (every browser), and the same in Japanese as filename*
# (RFC 6266 / 5987: UTF-8, percent-encoded), e.g. kairan-出欠-秋祭り-20261203.csv
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+|\s+')


def download_name(what: str, day: dt.date, ext: str = "csv", ident: int | None = None) -> str:
    """The ASCII name: kairan-event-12-20261203.csv."""
    return "-".join(["kairan", what] + ([str(ident)] if ident is not None else []) + [day.strftime("%Y%m%d")]) + f".{ext}"


def download_headers(what: str, day: dt.date, ext: str = "csv", ident: int | None = None,
                     detail: str = "") -> dict[str, str]:
    """Content-Disposition of a download: the ASCII name, and its Japanese twin (texts.DOWNLOAD_NAMES;
    `detail` — an event's name, a city's — cleaned of what a file name may not hold, at most 40 characters)."""
    words = [texts.DOWNLOAD_NAMES[what]]
    detail = UNSAFE_IN_NAMES.sub("_", detail).strip("_.")[:40]
    if detail:
        words.append(detail)
    local = "-".join(["kairan", *words, day.strftime("%Y%m%d")]) + f".{ext}"
    return {"Content-Disposition": f'attachment; filename="{download_name(what, day, ext, ident)}"; '
                                   f"filename*=UTF-8''{quote(local)}"}

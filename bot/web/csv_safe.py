"""Cells of every CSV kairan writes for Excel: a cell that Excel would run as a formula
(=, +, -, @, tab, CR first) is written with a leading quote, as Excel itself does for text."""
from __future__ import annotations

CSV_FORMULA = tuple("=+-@\t\r")


def csv_cell(value) -> str:
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(CSV_FORMULA) else s


def csv_uncell(value: str) -> str:
    """What csv_cell wrote, read back (a roster exported and imported again keeps its names)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(CSV_FORMULA) else value

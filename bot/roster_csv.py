"""The roster (名簿) as a CSV file an officer keeps in Excel: `班,氏名,LINE,要支援`.

Parsing validates the whole file before anything is written; `apply` then matches rows to
households by (班, normalized name) in one transaction. Importing never deletes anything, so
re-importing a file, or importing what `export` wrote, changes nothing. (The dashboard's import,
bot/web/roster_import.py, shows `plan` first — the same matching, nothing written — and may then
remove the households the file does not name: `ImportResult.left`.)

A new household whose LINE is 無 gets paper (紙で受け取る) at once, and so does one whose LINE turns
無: nobody on LINE and no paper would be a 要確認世帯 from the start.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.csv_safe import csv_cell, csv_uncell
from models import Association, Block, Household, utcnow
from models.roster import new_join_code, normalize_name

HEADER = ["班", "氏名", "LINE", "要支援"]
YES, NO = "有", "無"
FLAGS = {YES: True, NO: False}
MAX_BLOCK, MAX_NAME = 40, 100  # the column sizes of blocks.name and households.name


class RosterError(ValueError):
    """A bad file: the message is one line, in Japanese, naming the line where it can."""


@dataclass(frozen=True)
class Row:
    line: int
    block: str
    name: str
    on_line: bool
    needs_support: bool


@dataclass
class ImportResult:
    new_blocks: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: int = 0  # households the file does not mention: kept as they are
    left: list[Household] = field(default_factory=list)  # those households (for the dashboard)

    @property
    def nothing_changed(self) -> bool:
        return not (self.new_blocks or self.added or self.changed)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS as Excel saves it (cp932)."""
    errors = []
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as e:
            errors.append(e)
    # report where the more plausible encoding (the one that read further) stumbled
    line = data[:max(e.start for e in errors)].count(b"\n") + 1
    raise RosterError(f"{line}行目: 文字コードを読めません"
                      "（UTF-8 か Shift_JIS で保存してください）")


def _flag(value: str, column: str, line: int) -> bool:
    if value not in FLAGS:
        raise RosterError(f"{line}行目: 「{column}」は「{YES}」か「{NO}」で書いてください（「{value}」とあります）")
    return FLAGS[value]


def parse(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        for i, cells in enumerate(reader):
            cells = [c.strip() for c in cells]
            while cells and not cells[-1]:  # Excel may keep empty trailing cells
                cells.pop()
            line = reader.line_num
            if i == 0:
                if cells != HEADER:
                    raise RosterError(f"1行目: 見出しは「{','.join(HEADER)}」にしてください"
                                      f"（「{','.join(cells)}」とあります）")
                continue
            if not cells:
                continue  # blank line
            if len(cells) > len(HEADER):
                raise RosterError(f"{line}行目: 列が多すぎます（{len(HEADER)}列: {','.join(HEADER)}）")
            block, name, on_line, support = cells + [""] * (len(HEADER) - len(cells))
            block, name = csv_uncell(block), csv_uncell(name)  # as export wrote formula-like names
            if not block:
                raise RosterError(f"{line}行目: 「班」が空です")
            if not normalize_name(name):
                raise RosterError(f"{line}行目: 「氏名」が空です")
            if len(block) > MAX_BLOCK or len(name) > MAX_NAME:
                raise RosterError(f"{line}行目: 「班」は{MAX_BLOCK}文字、「氏名」は{MAX_NAME}文字までです")
            rows.append(Row(line, block, name, _flag(on_line, "LINE", line), _flag(support, "要支援", line)))
    except csv.Error as e:
        raise RosterError(f"{reader.line_num}行目: CSV として読めません（{e}）") from None
    if reader.line_num == 0:
        raise RosterError(f"ファイルが空です（1行目は「{','.join(HEADER)}」）")
    return rows


def read_file(path: str | Path) -> list[Row]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise RosterError(f"ファイルを開けません（{e.strerror or e}）") from None
    return parse(decode(data))


def _describe(h: Household, block: Block) -> str:
    return f"{block.name} {h.name}"


def _pool(session: Session, association: Association) -> tuple[dict[str, Block], dict[tuple[int, str], deque]]:
    blocks = {normalize_name(b.name): b for b in session.scalars(
        select(Block).where(Block.association_id == association.id).order_by(Block.position, Block.id))}
    # Households by (block, name) in id order; same-name households of a 班 match in file order.
    pool: dict[tuple[int, str], deque[Household]] = defaultdict(deque)
    for h in session.scalars(select(Household).where(Household.association_id == association.id)
                             .order_by(Household.id)):
        pool[h.block_id, normalize_name(h.name)].append(h)
    return blocks, pool


def _changes(h: Household, row: Row) -> list[str]:
    return [f"{label} {_mark(old)}→{_mark(new)}" for label, old, new in (
        ("LINE", h.on_line, row.on_line), ("要支援", h.needs_support, row.needs_support)) if old != new]


def _left(pool: dict[tuple[int, str], deque]) -> list[Household]:
    return sorted((h for q in pool.values() for h in q), key=lambda h: (h.block.position, h.block_id, h.id))


def plan(session: Session, association: Association, rows: list[Row]) -> ImportResult:
    """What `apply` would do, read only: the same matching, nothing written (the preview)."""
    result = ImportResult()
    blocks, pool = _pool(session, association)
    new_blocks: set[str] = set()
    for row in rows:
        key = normalize_name(row.block)
        block = blocks.get(key)
        if block is None:
            if key not in new_blocks:
                new_blocks.add(key)
                result.new_blocks.append(row.block)
            result.added.append(f"{row.block} {row.name}")
            continue
        queue = pool.get((block.id, normalize_name(row.name)))
        h = queue.popleft() if queue else None
        if h is None:
            result.added.append(f"{block.name} {row.name}")
        elif changes := _changes(h, row):
            result.changed.append(f"{_describe(h, block)}（{'、'.join(changes)}）")
        else:
            result.unchanged += 1
    result.left = _left(pool)
    result.not_in_file = len(result.left)
    return result


def apply(session: Session, association: Association, rows: list[Row], actor_id: int | None = None) -> ImportResult:
    """Write the rows into the association (which must have an id). Call inside one transaction.
    `actor_id`: who set paper on the households that get it (None: the CLI)."""
    result = ImportResult()
    blocks, pool = _pool(session, association)
    next_position = max((b.position for b in blocks.values()), default=-1) + 1
    now = utcnow()

    for row in rows:
        block = blocks.get(normalize_name(row.block))
        if block is None:
            block = Block(association_id=association.id, name=row.block, position=next_position)
            session.add(block)
            session.flush()
            blocks[normalize_name(row.block)] = block
            next_position += 1
            result.new_blocks.append(block.name)
        queue = pool.get((block.id, normalize_name(row.name)))
        h = queue.popleft() if queue else None
        if h is None:
            h = Household(association_id=association.id, block_id=block.id, name=row.name, on_line=row.on_line,
                          needs_support=row.needs_support, join_code=new_join_code(session),
                          paper=not row.on_line, paper_by_id=None if row.on_line else actor_id,
                          paper_at=None if row.on_line else now)
            session.add(h)
            session.flush()  # the next new_join_code sees this code
            result.added.append(_describe(h, block))
            continue
        changes = _changes(h, row)
        if changes:
            if h.on_line and not row.on_line and not h.paper:
                h.paper, h.paper_by_id, h.paper_at = True, actor_id, now
            h.on_line, h.needs_support = row.on_line, row.needs_support
            result.changed.append(f"{_describe(h, block)}（{'、'.join(changes)}）")
        else:
            result.unchanged += 1
    result.left = _left(pool)
    result.not_in_file = len(result.left)
    return result


def _mark(flag: bool) -> str:
    return YES if flag else NO


def export(session: Session, association: Association | None) -> bytes:
    """The roster as UTF-8 CSV with a BOM (so Excel opens it), 班 by 班; header only if no association."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # CRLF line ends, as Excel writes them
    writer.writerow(HEADER)
    if association is not None:
        rows = session.execute(
            select(Block.name, Household.name, Household.on_line, Household.needs_support)
            .join(Household, Household.block_id == Block.id)
            .where(Household.association_id == association.id)
            .order_by(Block.position, Block.id, Household.id))
        # a name like =cmd|' /C calc'!A0 must stay text in Excel, as in the other CSVs
        writer.writerows((csv_cell(b), csv_cell(n), _mark(o), _mark(s)) for b, n, o, s in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

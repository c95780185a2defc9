"""One place for words: no Japanese string literal in the Python code of bot/, handlers/, models/ and
scheduler/ outside handlers/messages/texts.py, except the documented exceptions below.

Docstrings and comments do not count (nobody reads them in LINE or on a page). An f-string's literal
parts count like any other literal.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "models", "scheduler")
TEXTS = "handlers/messages/texts.py"
# hiragana, katakana, CJK ideographs (and extension A), CJK punctuation, full-width forms
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

# Files whose Japanese is not residents' or officers' chat and page words, with the reason.
ALLOWED_FILES = {
    "bot/cli.py": "the `kairan` console command: messages printed to the operator who runs it, not to residents",
    "bot/roster_csv.py": "the roster CSV's column names (班, 氏名, 要支援, 有/無) are the file format; its errors "
                         "are printed by `kairan roster import` to the operator",
    "bot/dev/demo.py": "sample data (the demo association's 班 and names), not words",
    "bot/dev/simulator.py": "the developer's LINE simulator: its own page labels, sample places and input errors",
    "bot/jma_cli.py": "`kairan jma`: options and errors printed to the operator who runs it (as bot/cli.py)",
    "handlers/jma/telegrams.py": "JMA's own vocabulary inside the telegrams (Control/Title, InfoType 取消, Kind names, "
                                 "「震度５弱以上未入電」): parsing patterns and the KINDS table, not words said to anyone",
}
ALLOWED_DIRS = {
    "models/migrations/": "frozen history: a migration's messages are for the operator who runs it",
}
# Literals (anywhere) that are parsing patterns, not words.
ALLOWED_LITERALS = {
    r"[\d\s\-ー－‐―]+": "registration code digits with any kind of dash (models/roster.py)",
    r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?": "parses a typed date, month and day (handlers/events/form.py)",
    r"(\d{1,2})\s*(?::\s*(\d{2})|時\s*(?:(\d{1,2})\s*分|(半))?)": "parses a typed time of day (handlers/events/form.py)",
    r")\s*[:：]?\s*(.*)$": "a form line's key and value (handlers/events/form.py)",
    r"[、。,.!?・…/]": "splits a typed safety reply (handlers/safety/report.py)",
    "ァ": "katakana → hiragana: the range's first letter (handlers/safety/report.py)",
    "ヶ": "katakana → hiragana: the range's last letter (handlers/safety/report.py)",
    r"[・、,，/]": "splits a list of 班 typed in the 出欠 form (handlers/framework/drafts.py)",
    "午後|PM": "an afternoon time typed in the 出欠 form (handlers/events/form.py)",
    r"[\s,、]+": "splits a list of JMA codes typed on the 自動開始 page (bot/web/jma_page.py)",
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                ids.add(id(body[0].value))
    return ids


def japanese_literals() -> dict[str, list[tuple[int, str]]]:
    """{path: [(line, literal)]} of every string literal with Japanese in it, docstrings left out."""
    found: dict[str, list[tuple[int, str]]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == TEXTS:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), rel)
            skip = _docstrings(tree)
            hits = [(n.lineno, n.value) for n in ast.walk(tree)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
                    and CJK.search(n.value)]
            if hits:
                found[rel] = sorted(hits)
    return found


def _allowed(rel: str, literal: str) -> bool:
    return (rel in ALLOWED_FILES or any(rel.startswith(d) for d in ALLOWED_DIRS)
            or literal in ALLOWED_LITERALS)


def test_every_japanese_word_is_in_texts():
    strays = [f"{rel}:{line}: {literal!r}" for rel, hits in japanese_literals().items()
              for line, literal in hits if not _allowed(rel, literal)]
    assert not strays, ("Japanese outside handlers/messages/texts.py (add a constant at the end of texts.py, or "
                        "document an exception in tests/test_words.py):\n" + "\n".join(strays))


def test_the_exceptions_are_still_needed():
    found = japanese_literals()
    literals = {literal for hits in found.values() for _, literal in hits}
    stale = [f"ALLOWED_FILES: {rel}" for rel in ALLOWED_FILES if rel not in found]
    stale += [f"ALLOWED_LITERALS: {lit!r}" for lit in ALLOWED_LITERALS if lit not in literals]
    assert not stale, "no Japanese left there: delete these entries from tests/test_words.py:\n" + "\n".join(stale)


def test_models_keep_codes_only():
    """Labels for models' codes (roles, targets) live in texts, not beside the model."""
    import models

    assert not hasattr(models, "ROLE_LABELS")
    from handlers.messages import texts
    from models import Role

    assert set(texts.ROLE_LABELS) == {r.value for r in Role}


def test_target_label_words_the_codes():
    from handlers.messages import texts
    from handlers.messages.labels import target_label
    from models import Target

    assert target_label(Target.all, []) == texts.TARGET_LABEL_ALL
    assert target_label(Target.officers, []) == texts.TARGET_LABEL_OFFICERS
    assert target_label(Target.blocks, ["1班", "3班"]) == "1班・3班"
    assert target_label(Target.blocks, []) == texts.TARGET_LABEL_NO_BLOCKS


def test_every_word_is_defined_once():
    """texts.py grows by blocks appended at its end: a name assigned twice silently replaces the
    first words (a merge that kept both sides of a block)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parent.parent / "handlers/messages/texts.py").read_text("utf-8"))
    names = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    assert sorted({n for n in names if names.count(n) > 1}) == []

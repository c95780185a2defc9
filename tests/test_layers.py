"""The shape of the code, guarded: imports point down (bot → scheduler → handlers → models), the
capabilities in handlers/ are independent of each other, no module imports itself back through a
cycle, and no module in handlers/ grows past 400 lines. The contracts are import-linter's
(pyproject.toml [tool.importlinter]); `lint-imports` runs them the same way."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "scheduler", "handlers", "models")
HANDLER_MODULE_MAX_LINES = 400
# the word list: every sentence in one place (data, not logic), by design longer than any module
LONG_ON_PURPOSE = {"handlers/messages/texts.py"}


def test_import_linter_contracts_are_kept():
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " 0 broken" in out.stdout and "KEPT" in out.stdout


def cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for m in sorted(graph.modules):
        if m not in index:
            visit(m)
    return found


def test_no_module_cycles():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    assert cycles(graph) == []


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "handlers").rglob("*.py")
                                         if str(p.relative_to(ROOT)) not in LONG_ON_PURPOSE))
def test_no_handler_module_is_over_400_lines(path):
    lines = (ROOT / path).read_text(encoding="utf-8").count("\n")
    assert lines <= HANDLER_MODULE_MAX_LINES, f"{path}: {lines} lines; split it by what it does"

"""The suite's own shape: no test module imports another (shared fixtures and helpers live in
conftest.py or in helper modules, whose names do not start with test_)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, wherever the import is (top level or inside a function),
    and every module it names in pytest_plugins."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value).split(".")[0])
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytest_plugins" for t in node.targets):
            found |= {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found


def test_no_test_module_imports_another():
    modules = {p.stem for p in TESTS.glob("test_*.py")}
    found = sorted(f"{path.name} imports {m}" for path in TESTS.glob("*.py")
                   for m in imported_modules(path.read_text("utf-8")) if m in modules and m != path.stem)
    assert not found, ("move what is shared to conftest.py or a helper module (a name without test_):\n"
                       + "\n".join(found))


def test_the_check_sees_every_way_of_importing():
    assert imported_modules("from test_safety import clock") == {"test_safety"}
    assert imported_modules("import test_admin as a\ndef f():\n    from test_x import y") == {"test_admin", "test_x"}
    assert imported_modules("import importlib\nimportlib.import_module('test_quota')") == {"importlib", "test_quota"}
    assert imported_modules("pytest_plugins = ['served', 'test_webhook']") == {"served", "test_webhook"}
    assert imported_modules("from . import helpers\nfrom chat import tap") == {"chat"}


def test_the_two_halves_of_the_clock_runs_take_every_test_file_once():
    """.ci/run runs each travelled clock on one half of the test files (swapping daily): together
    the halves are every test file, and neither is most of the suite."""
    from conftest import test_file_half

    files = sorted(p.name for p in Path(__file__).resolve().parent.glob("test_*.py"))
    halves = {0: [f for f in files if test_file_half(f) == 0], 1: [f for f in files if test_file_half(f) == 1]}
    assert sorted(halves[0] + halves[1]) == files
    assert all(0.35 * len(files) <= len(h) <= 0.65 * len(files) for h in halves.values()), halves

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


def test_the_three_parts_of_the_clock_runs_take_every_test_file_once_and_weigh_alike():
    """.ci/run runs each travelled clock on one third of the test files (turning daily): together
    the parts are every test file, once, and each holds about a third of the tests."""
    from conftest import file_parts, part_of

    here = Path(__file__).resolve().parent
    counts = {p.name: max(1, p.read_text("utf-8").count("\ndef test_")) for p in here.glob("test_*.py")}
    parts = file_parts(counts, 3)
    assert sorted(parts) == sorted(counts) and set(parts.values()) == {0, 1, 2}
    weight = [sum(c for f, c in counts.items() if parts[f] == i) for i in range(3)]
    assert max(weight) - min(weight) <= max(counts.values()), weight  # within one file of each other
    assert file_parts(dict(reversed(list(counts.items()))), 3) == parts  # the order read does not matter
    assert (part_of("2/3"), part_of("3/3"), part_of("x"), part_of("")) == ((2, 3), None, None, None)

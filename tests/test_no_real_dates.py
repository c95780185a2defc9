"""No test depends on the day it runs: a test that writes a date must run at a travelled clock.

The test sources are read with `ast`. A string that looks like a date (「12/5」「12月5日」
「2026年12月1日」「2026-12-05」) or a `datetime(2026, …)` / `date(2026, …)` call counts as a literal
date. It is allowed only where the clock is set:
- inside a function (or its decorators, e.g. parametrize) that calls `time_machine.travel`, or that
  takes a fixture which does (a fixture of the same module or of conftest.py, or one the module
  imports by name from a helper module of tests/, e.g. `from safety_kit import clock`);
- anywhere in a module that has an autouse fixture calling `time_machine.travel`;
- in a module-level constant or helper function used only where the clock is set (as above).
Literals that are not dates to the bot are listed in ALLOWED, each with the reason.
"""
from __future__ import annotations

import ast
import datetime as dt
import os
import re
import textwrap
from pathlib import Path

import pytest
import time_machine

from conftest import CLOCK_ENV, JST, real_now, session_clock

TESTS = Path(__file__).resolve().parent
DATE_TEXT = re.compile(
    r"(?<![\d/.])(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?![\d/]|世帯)"  # 12/5, 1/10 (not 「既読 1/12世帯」)
    r"|\d{1,2}月\d{1,2}日"  # 12月5日
    r"|\d{4}年\d{1,2}月"  # 2026年12月
    r"|(?<!\d)(?:19|20)\d{2}-(?:0[1-9]|1[0-2])(?!\d)")  # 2026-12-05, 2026-12
DATE_CALLS = {"datetime", "date"}

# (module, literal) → why the bot never reads it as a date, whatever today is
ALLOWED = {
    # read counts per 班 (「1班 1/4」) on status pages: a fraction of households, not a day
    ("test_admin.py", "1班 1/4"): "read count",
    ("test_admin.py", "2班 0/4"): "read count",
    ("test_admin.py", "3班 0/4"): "read count",
    ("test_circulars.py", "・1班 1/4"): "read count",
    ("test_circulars.py", "・2班 1/4"): "read count",
    # the body of a circular: free text, shown as written; circulars parse no dates
    ("test_admin.py", "11月30日に公園の清掃をします。"): "circular body",
    ("admin_kit.py", "11月30日に公園の清掃をします。"): "circular body",  # send_circular's default body
    ("test_circulars.py", "11月30日9時から公園の清掃をします。"): "circular body",
    ("test_circulars.py", "9月15日に公民館で敬老会を開きます。"): "circular body",
    # the privacy policy's version id, carried in the consent button: a label, compared as a string
    ("test_registration.py", "2026-11"): "policy version",
    ("test_webhook.py", "a=consent&v=1&p=2026-11"): "policy version",
    ("test_webhook_input.py", "a=consent&v=1&p=2026-11"): "policy version",
    # postbacks of the simulator's own echo tests: the params are passed through, never interpreted
    ("test_simulator.py", "2026-11-22T10:00"): "echoed picker params",
    # KAIRAN_TEST_PART's 「i/n」: the part of the test files a clock run takes (conftest.part_of)
    ("test_suite_shape.py", "2/3"): "test part",
    ("test_suite_shape.py", "3/3"): "test part",
}
# This module's own quotations: the allowlist above and the samples below (source code handed to
# the scanner), not dates.
QUOTED = {(Path(__file__).name, name) for name in (
    "ALLOWED", "test_flags_a_month_day_sent_at_the_real_clock", "test_flags_kanji_dates_iso_dates_and_datetime_calls",
    "test_a_travelling_test_a_travelling_fixture_or_an_autouse_clock_is_fine",
    "test_a_parametrized_date_outside_a_clock_is_flagged_and_counts_are_not_dates")}


def is_date_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and node.args):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    first = node.args[0]
    return (name in DATE_CALLS and isinstance(first, ast.Constant) and type(first.value) is int
            and 1900 <= first.value <= 2100)


def is_travel(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "travel"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "time_machine")


def travels(node: ast.AST) -> bool:
    return any(is_travel(n) for n in ast.walk(node))


def fixture_info(fn: ast.FunctionDef) -> tuple[bool, bool]:
    """(is a fixture, is autouse)."""
    for d in fn.decorator_list:
        call = d if isinstance(d, ast.Call) else None
        target = call.func if call else d
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name == "fixture":
            auto = bool(call) and any(k.arg == "autouse" and getattr(k.value, "value", False) for k in call.keywords)
            return True, auto
    return False, False


def travelling_fixtures(tree: ast.Module) -> tuple[set[str], bool]:
    """Names of the module's fixtures that travel, and whether one of them is autouse."""
    names, auto = set(), False
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef):
            is_fixture, is_auto = fixture_info(fn)
            if is_fixture and travels(fn):
                names.add(fn.name)
                auto = auto or is_auto
    return names, auto


def docstrings(tree: ast.AST) -> set[int]:
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def literals(top: ast.AST, skip: set[int], covered):
    """(line, column, literal as found: a string's value or a call's source) outside clocked functions."""
    todo = [top]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and covered(n):
            continue
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip \
                and DATE_TEXT.search(n.value):
            yield n.lineno, n.col_offset, n.value
        elif is_date_call(n):
            yield n.lineno, n.col_offset, ast.unparse(n)
        todo.extend(ast.iter_child_nodes(n))


def problems(source: str, module: str, shared_fixtures: frozenset[str] = frozenset()) -> list[str]:
    """Every literal date of `source` that is not at a travelled clock, as 'module:line: literal'.

    A module-level constant or helper holding a date is at a travelled clock when everything that
    uses it is (a test that travels or takes a travelling fixture, or a helper used only there)."""
    tree = ast.parse(source)
    local, autouse = travelling_fixtures(tree)
    if autouse:
        return []
    fixtures = local | shared_fixtures
    skip = docstrings(tree)

    def covered(fn: ast.AST) -> bool:
        args = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
        return travels(fn) or any(a in fixtures for a in args) or (module, fn.name) in QUOTED

    def users(name: str) -> list[ast.AST]:
        return [n for n in tree.body if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n))
                and not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)
                and not (isinstance(n, ast.Assign) and any(getattr(t, "id", None) == name for t in n.targets))]

    def clocked(node: ast.AST, seen: frozenset = frozenset()) -> bool:
        """Whether everything `node` (a top-level statement) holds runs at a travelled clock."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if covered(node):
                return True
            if node.name.startswith("test_") or node.name in seen:
                return False
            names = [node.name]
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names = [t.id for t in node.targets]
        else:
            return False
        used = [u for name in names for u in users(name)]
        return bool(used) and all(clocked(u, seen | set(names)) for u in used)

    found: dict[tuple[int, int, str], None] = {}
    for top in tree.body:
        if clocked(top) or isinstance(top, ast.Assign) and any(
                (module, getattr(t, "id", None)) in QUOTED for t in top.targets):
            continue
        for line, col, value in literals(top, skip, covered):
            if (module, value) not in ALLOWED:
                found[(line, col, f"{module}:{line}: {value}")] = None
    return [p for *_, p in sorted(found)]


def shared() -> frozenset[str]:
    return frozenset(travelling_fixtures(ast.parse((TESTS / "conftest.py").read_text("utf-8")))[0])


def imported(source: str) -> frozenset[str]:
    """The travelling fixtures a module imports by name from a helper module of tests/."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and (TESTS / f"{node.module}.py").is_file():
            travelling = travelling_fixtures(ast.parse((TESTS / f"{node.module}.py").read_text("utf-8")))[0]
            names |= {a.asname or a.name for a in node.names if a.name in travelling}
    return frozenset(names)


def test_every_literal_date_in_the_tests_runs_at_a_travelled_clock():
    fixtures = shared()
    found = [p for path in sorted(TESTS.glob("*.py"))
             for p in problems(path.read_text("utf-8"), path.name, fixtures | imported(path.read_text("utf-8")))]
    assert not found, ("literal dates at the real clock: wrap the test in time_machine.travel(..., tick=False) "
                       "(or give it a fixture that travels):\n" + "\n".join(found))


def test_every_allowed_literal_is_still_used():
    """An allowlist entry that no longer matches anything would hide the next real date."""
    texts = {p.name: p.read_text("utf-8") for p in TESTS.glob("*.py")}
    stale = [k for k in ALLOWED if k[0] not in texts or repr(k[1])[1:-1] not in texts[k[0]]]
    assert not stale, stale


# --- the check finds what it should, and only that ------------------------------------------
def scan(code: str) -> list[str]:
    return [p.split(": ", 1)[1] for p in problems(textwrap.dedent(code), "sample.py")]


def test_flags_a_month_day_sent_at_the_real_clock():
    assert scan('''
        def test_x(line):
            line.text(CHAIR, "出欠 清掃\\n日時 12/5 9:00\\n締切 12/1")
    ''') == ["出欠 清掃\n日時 12/5 9:00\n締切 12/1"]


def test_flags_kanji_dates_iso_dates_and_datetime_calls():
    assert scan('''
        import datetime as dt
        NOW = dt.datetime(2026, 11, 22, 10)
        def test_x():
            assert "12月5日(土)" in page and "2026-12-05" in csv and "2026年12月1日" in top
    ''') == ["dt.datetime(2026, 11, 22, 10)", "12月5日(土)", "2026-12-05", "2026年12月1日"]


def test_a_travelling_test_a_travelling_fixture_or_an_autouse_clock_is_fine():
    assert scan('''
        def test_x(line):
            with time_machine.travel(NOW, tick=False):
                line.text(CHAIR, "締切 12/1")
        @pytest.fixture
        def clock():
            with time_machine.travel(NOW, tick=False) as t:
                yield t
        @pytest.mark.parametrize("text", ["12/5 10:00"])
        def test_y(clock, text):
            assert "12月5日" in parse(text)
    ''') == []
    assert scan('''
        @pytest.fixture(autouse=True)
        def clock():
            with time_machine.travel(NOW, tick=False) as t:
                yield t
        NOW = dt.datetime(2026, 11, 22, 10)
        def test_x(line):
            line.text(CHAIR, "締切 12/1")
    ''') == []


def test_a_parametrized_date_outside_a_clock_is_flagged_and_counts_are_not_dates():
    assert scan('''
        @pytest.mark.parametrize("text", ["12/5 10:00"])
        def test_y(text):
            assert "既読 1/12世帯" and "12/40" and "10/123" and "1.5/2" and "v2026" and "12:00"
    ''') == ["12/5 10:00"]


# --- KAIRAN_TEST_CLOCK ------------------------------------------------------------------------
@pytest.fixture
def report_day():
    """The named moments are computed from the real date given to them, whatever the clock says."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, tzinfo=JST), tick=False) as t:
        yield t


def test_awkward_moments_are_the_next_ones_after_the_real_date(report_day):
    on_report_day = dt.datetime(2026, 12, 2, 10, tzinfo=JST)
    assert session_clock("nye", on_report_day) == dt.datetime(2026, 12, 31, 23, 50, tzinfo=JST)
    assert session_clock("feb28", on_report_day) == dt.datetime(2027, 2, 28, 23, 50, tzinfo=JST)
    after_nye = dt.datetime(2027, 1, 1, 0, 5, tzinfo=JST)
    assert session_clock("NYE", after_nye) == dt.datetime(2027, 12, 31, 23, 50, tzinfo=JST)
    assert session_clock("2026-12-02T10:00:00+09:00") == on_report_day
    assert session_clock("2026-12-02T10:00") == on_report_day  # no zone: Japan


def test_the_run_is_at_the_clock_it_says():
    now = dt.datetime.now(dt.timezone.utc)
    value = os.environ.get(CLOCK_ENV, "").strip()
    if not value:
        assert abs(now - real_now()) < dt.timedelta(seconds=5)
        return
    start = session_clock(value)  # the same moment pytest_configure travelled to (named: the same next one)
    assert start <= now < start + dt.timedelta(hours=1), (value, now)  # ticking from there


def test_a_travelling_fixture_counts_where_a_module_imports_it_from_a_helper():
    assert imported("from safety_kit import BOSAI, clock, start") == {"clock"}  # clock travels, start does not
    assert imported("from safety_kit import clock as night") == {"night"}
    assert imported("from chat import button\nfrom conftest import user_id") == frozenset()

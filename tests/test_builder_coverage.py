"""Every public builder in handlers/messages/ is run by a validation case (found automatically: a new
builder, or a new builder module, without a case fails), each case validates against LINE's OpenAPI
spec and the documented limits, and builders take plain values (no session, no Ctx, no model).

The cases are tests/test_messages.py's CASES plus the ones below (pickers, long texts).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import handlers.messages
import test_messages  # its CASES (imported as a module, so its tests are not collected twice)
from handlers.messages import builders as msg
from handlers.messages import pickers, texts
from handlers.messages.limits import MAX_MESSAGES, check_message
from line_spec import validate_request

PACKAGE = Path(handlers.messages.__file__).parent
# modules of handlers/messages/ that build no messages (what they hold, instead)
NOT_BUILDER_MODULES = {
    "codec": "postback data: pb, normalize, unpack",
    "dates": "date and time formats (strings)",
    "labels": "words for models' codes (strings)",
    "limits": "the checker itself",
    "texts": "the words",
}
LONG = "長" * 60  # longer than any label may be
BLOCKS = [SimpleNamespace(id=i, name=f"{i}班{LONG}") for i in range(1, 21)]  # more 班 than 13 chips


def messages(m) -> list[dict]:
    return m if isinstance(m, list) else [m]


EXTRA_CASES = {
    "long_text": lambda: msg.long_text("😀" * 20000, MAX_MESSAGES),
    "paged": lambda: msg.text("班", pickers.paged(BLOCKS, 12, 1, lambda b: msg.postback(b.name, f"a=b&b={b.id}"),
                                                 lambda o: f"a=page&o={o}") + [msg.say(texts.CANCEL)]),
    "block_toggles": lambda: msg.text("班", pickers.block_toggles(BLOCKS, {1, 3}, 0, lambda b, o: f"a=t&b={b.id}&o={o}",
                                                               lambda o: f"a=page&o={o}", "a=done")[0]),
}
CASES = {**test_messages.CASES, **EXTRA_CASES}


@pytest.fixture(autouse=True)
def clock():
    with test_messages.time_machine.travel(test_messages.NOW, tick=False) as t:
        yield t


def valid(out) -> None:
    ms = messages(out)
    assert 1 <= len(ms) <= MAX_MESSAGES
    validate_request("push", {"to": "U" + "0" * 32, "messages": ms})
    for m in ms:
        assert check_message(m) == []


@pytest.mark.parametrize("name", sorted(EXTRA_CASES))
def test_extra_cases_are_valid_line_json(name):
    valid(EXTRA_CASES[name]())


def test_pickers_fit_line():
    chips = pickers.paged(BLOCKS, 0, 1, lambda b: msg.say(b.name), lambda o: f"a=page&o={o}")
    assert len(chips) == 12 and chips[-1].label == texts.NEXT  # 11 班, [次へ]; room for the caller's one
    chips, chosen = pickers.block_toggles(BLOCKS, {1, 3}, 0, lambda b, o: "a=t", lambda o: "a=p", "a=done")
    assert len(chips) == 13 and chosen == texts.BLOCK_NAMES_SEPARATOR.join((BLOCKS[0].name, BLOCKS[2].name))


def builder_modules():
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        if info.name not in NOT_BUILDER_MODULES:
            yield importlib.import_module(f"handlers.messages.{info.name}")


def public_builders() -> dict[str, object]:
    return {f"{m.__name__.rsplit('.', 1)[1]}.{n}": f for m in builder_modules()
            for n, f in inspect.getmembers(m, inspect.isfunction)
            if not n.startswith("_") and f.__module__ == m.__name__}


def test_the_module_list_names_real_modules():
    names = {info.name for info in pkgutil.iter_modules([str(PACKAGE)])}
    assert set(NOT_BUILDER_MODULES) <= names


def test_every_builder_has_a_validation_case():
    """Runs every case with a profiler on: each public builder must have been called by one."""
    called: set = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        for case in CASES.values():
            case()
    finally:
        sys.setprofile(previous)
    missing = sorted(name for name, f in public_builders().items()
                     if getattr(inspect.unwrap(f), "__code__", None) not in called)
    assert not missing, f"builders no case runs (add one to tests/test_builder_coverage.py EXTRA_CASES): {missing}"


def test_builders_take_plain_values():
    """No session, Ctx or model object in a builder's parameters: builders are pure."""
    import models

    banned = {"Session", "Ctx", *models.__all__}
    for name, f in public_builders().items():
        for p in inspect.signature(f).parameters.values():
            ann = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
            assert not (banned & set(ann.replace("[", " ").replace("]", " ").replace("|", " ").replace(",", " ")
                                     .split())), f"{name}({p.name}: {ann}) takes a {ann}"

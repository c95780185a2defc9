"""Declared dialogs: each module's docstring carries the picture its table draws, and the rules of
handlers/framework/dialog.py itself (stale buttons, undeclared moves, timeouts) hold."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Optional

import pytest
import time_machine

import handlers.chat  # noqa: F401 (registers every route)
from handlers.events import answers
from handlers.framework.dialog import END, Button, Dialog, Go, Step
from handlers.framework.router import Router
from handlers.messages import texts
from handlers.safety import report

T0 = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def clock():
    """The dialog's times are given; the clock is frozen anyway, so no case depends on today."""
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.mark.parametrize("module", [answers, report], ids=lambda m: m.__name__)
def test_docstring_carries_the_dialogs_picture(module):
    assert module.DIALOG.mermaid() in module.__doc__


# --- the rules, on a small dialog and an in-memory Ctx ------------------------------------------
@dataclass
class State:
    flow: str
    step: str
    data: dict
    updated_at: dt.datetime


@dataclass
class FakeCtx:
    """What Dialog and Router use of Ctx, the dialog state kept in memory."""

    now: dt.datetime = T0
    event: Any = None
    data: dict = field(default_factory=dict)
    text: str = ""
    member: Any = None
    association: Any = "the association"  # the router runs only registration without one
    replies: list = field(default_factory=list)
    dialog: Optional[State] = None

    def reply(self, *messages):
        self.replies += messages

    def start_dialog(self, flow, step, **data):
        self.dialog = State(flow, step, dict(data), self.now)

    def goto(self, step, **data):
        self.dialog.step, self.dialog.data = step, {**self.dialog.data, **data}
        self.dialog.updated_at = self.now

    def end_dialog(self):
        self.dialog = None


def text_event(body: str):
    return SimpleNamespace(type="message", message=SimpleNamespace(type="text", text=body))


def tap_event(data: str):
    return SimpleNamespace(type="postback", postback=SimpleNamespace(data=data))


def small(router: Router, **kw) -> Dialog:
    """ask → (a word) → done; [go] opens it, [next] only while it is open, [bad] moves nowhere declared."""
    return Dialog("t", steps=[
        Step("ask", take=lambda ctx: Go("done", word=ctx.text) if ctx.text else None, to=("done",)),
        Step("done", take=lambda ctx: END, to=(END,)),
    ], buttons=[
        Button("go", take=lambda ctx: "ask", to=("ask",), opens=True),
        Button("next", take=lambda ctx: "done", to=("done",)),
        Button("bad", take=lambda ctx: "ask", to=("done",), opens=True),
    ], router=router, **kw)


def test_a_button_of_a_closed_dialog_is_stale():
    router = Router()
    small(router)
    ctx = FakeCtx(event=tap_event("a=next"))
    router.dispatch(ctx)
    assert ctx.dialog is None
    assert [m["text"] for m in ctx.replies] == [texts.STALE_BUTTON]


def test_a_button_of_an_open_dialog_moves_it():
    router = Router()
    small(router)
    ctx = FakeCtx(event=tap_event("a=go"))
    router.dispatch(ctx)
    assert (ctx.dialog.flow, ctx.dialog.step) == ("t", "ask")
    ctx.event = tap_event("a=next")
    router.dispatch(ctx)
    assert ctx.dialog.step == "done" and ctx.replies == []


def test_a_move_not_declared_raises():
    router = Router()
    small(router)
    with pytest.raises(RuntimeError, match="may go to"):
        router.dispatch(FakeCtx(event=tap_event("a=bad")))


def test_a_table_naming_a_missing_step_is_refused():
    with pytest.raises(ValueError, match="no step"):
        Dialog("u", steps=[Step("a", take=lambda ctx: None, to=("nowhere",))], router=Router())


def test_a_step_keeps_the_data_it_is_given():
    router = Router()
    small(router)
    ctx = FakeCtx(event=tap_event("a=go"))
    router.dispatch(ctx)
    ctx.event = text_event("りんご")
    router.dispatch(ctx)
    assert (ctx.dialog.step, ctx.dialog.data) == ("done", {"word": "りんご"})


def test_timeout_ends_the_dialog():
    router = Router()
    small(router, timeout=dt.timedelta(minutes=10))
    heard = []
    router.message("text")(lambda ctx: heard.append(ctx.text))
    ctx = FakeCtx(event=tap_event("a=go"))
    router.dispatch(ctx)
    ctx.now = T0 + dt.timedelta(minutes=11)
    ctx.event = text_event("りんご")
    router.dispatch(ctx)
    assert ctx.dialog is None  # ended, and the text handled as if no dialog were open
    assert heard == ["りんご"]


def test_within_the_timeout_the_dialog_takes_the_text():
    router = Router()
    small(router, timeout=dt.timedelta(minutes=10))
    router.message("text")(lambda ctx: pytest.fail("the dialog should have taken it"))
    ctx = FakeCtx(event=tap_event("a=go"))
    router.dispatch(ctx)
    ctx.now = T0 + dt.timedelta(minutes=9)
    ctx.event = text_event("りんご")
    router.dispatch(ctx)
    assert ctx.dialog.step == "done"

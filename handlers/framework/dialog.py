"""Dialog: a multi-step chat flow declared as a table, its state kept in the database.

In the spirit of python-telegram-bot's ConversationHandler, but persisted (gunicorn runs several
workers, and a resident may answer tomorrow): the user's place in the flow is one `dialog_states`
row (flow, step, data), read and written through Ctx in the event's own transaction.

    REGISTER = Dialog("register", entries=("block",), steps=[
        Step("block", take=on_block_text, ask=ask_block, to=("name",), buttons_only=True),
        Step("name", take=on_name, ask=ask_name, to=(END,)),
    ], buttons=[Button("reg_block", take=on_block, to=("name",))])

- A **Step** is where the dialog waits. `take(ctx)` gets every message the user sends there
  (text, image, location…) and returns where to go: a step's name, `Go(step, **data)` to keep
  something for later steps, `END`, or None to stay. Entering a step runs its `ask` (the question).
  `to` declares where a step may go: the dialog's picture is drawn from it (`mermaid()`), and going
  anywhere else is a programming error, raised at once (the tests walk every flow).
- A **Button** is a postback that moves the dialog (a tap on a quick reply or a card). A button of
  a dialog that is not open (or not at one of the button's steps, `at`) is answered as stale —
  unless `opens`, a button that starts the dialog (e.g. [同意する]), or `free`, a button that
  carries the id of what it acts on and checks it itself (a draft's [送信]); `at` then only
  places it in the picture.
- `buttons_only`: the step waits for a tap; a typed command runs as a command (the dialog waits),
  and an active mode (disaster mode) may take a text it recognises. A step that takes typed
  content (a title, a name) keeps its text.
- `pick`: the step's question offers quick-reply buttons. A typed text that names one of them
  (its label, NFKC, with or without 「です」; or just the number in it: 「3」 for 「3班」) is taken as
  that tap (Router.tap: the same route, the same role check). Anything else goes to `take`; if
  `take` neither moves nor answers, the user hears 「下のボタンから選んでください」 and the question,
  with the same buttons. (DraftFlow's steps of buttons, `typed=False`, do the same.)
- `timeout`: a dialog left longer than this is ended when the user next writes, and the message is
  handled as if no dialog were open (a cancel word still cancels it). `needs_quota` on a Button: it
  decides on this month's quota, so the shared figure is refreshed before its transaction. `on_cancel`: tidy-up when the user cancels (「取消」…, at any
  step; the router handles the cancel words).

Each dialog module's docstring carries its `mermaid()` picture; tests/test_dialogs.py checks that
the picture in the docstring is the one the table draws.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union

from handlers.messages import builders as msg, texts
from handlers.messages.codec import normalize
from models import Role

from .ctx import Ctx
from .router import Router, router as default_router

END = "[*]"


@dataclass(frozen=True)
class Go:
    """Go to `step`, keeping `data` in the dialog's state for later steps."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)

    def __init__(self, step: str, **data: Any) -> None:
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "data", data)


Next = Union[str, Go, None]
Take = Callable[[Ctx], Next]


@dataclass(frozen=True)
class Step:
    name: str
    take: Take
    ask: Optional[Callable[[Ctx], None]] = None
    to: tuple[str, ...] = ()
    buttons_only: bool = False
    takes_location: bool = False  # it asks for a location: one sent here is its (not a safety report)
    pick: bool = False  # it asks with buttons: a typed text naming one (「2班です」「3」) taps it (see below)


@dataclass(frozen=True)
class Button:
    action: str
    take: Take
    to: tuple[str, ...] = ()
    at: tuple[str, ...] = ()  # the steps at which it is valid; () = any step of the dialog
    opens: bool = False  # it starts the dialog: valid when the dialog is not open
    free: bool = False  # valid whatever the dialog's state: it carries what it acts on, and checks it
    roles: Optional[frozenset[Role]] = None
    needs_quota: bool = False  # it decides on this month's quota (a [送信]): see Router.postback


class Dialog:
    every: list["Dialog"] = []  # each dialog declared, for the tests that check the pictures

    def __init__(self, name: str, steps: Iterable[Step], *, entries: Iterable[str] = (),
                 buttons: Iterable[Button] = (), on_cancel: Optional[Callable[[Ctx], None]] = None,
                 timeout: Optional[dt.timedelta] = None, router: Router = default_router) -> None:
        self.name = name
        self.module = sys._getframe(1).f_globals.get("__name__", "")  # where the table is declared
        Dialog.every.append(self)
        self.steps = {s.name: s for s in steps}
        self.entries = tuple(entries) or (next(iter(self.steps)),)
        self.buttons = list(buttons)
        self.timeout = timeout
        self.router = router
        for target in self._targets():
            if target != END and target not in self.steps:
                raise ValueError(f"dialog {name}: no step {target!r}")
        for step in self.steps.values():
            router.dialog(name, step.name, takes_text=not step.buttons_only, timeout=timeout,
                          takes_location=step.takes_location)(self._taker(step))
        for b in self.buttons:
            router.postback(b.action, roles=b.roles, needs_quota=b.needs_quota)(self._button(b))
        if on_cancel is not None:
            router.on_cancel(name)(on_cancel)

    # -- moving -------------------------------------------------------------------------
    def start(self, ctx: Ctx, step: Optional[str] = None, **data: Any) -> None:
        """Open the dialog at `step` (an entry) with `data`, and ask its question."""
        step = step or self.entries[0]
        if step not in self.entries:
            raise ValueError(f"dialog {self.name}: {step!r} is not an entry")
        ctx.start_dialog(self.name, step, **data)
        self.ask(ctx, step)

    def go(self, ctx: Ctx, nxt: Next) -> None:
        """Apply where a function outside the table's steps and buttons (a command) says to go:
        only to an entry of the dialog, or END."""
        self._move(ctx, self.entries + (END,), nxt)

    def is_open(self, ctx: Ctx, *at: str) -> bool:
        d = ctx.dialog
        return d is not None and d.flow == self.name and (not at or d.step in at)

    def data(self, ctx: Ctx) -> dict[str, Any]:
        return dict(ctx.dialog.data) if self.is_open(ctx) else {}

    def ask(self, ctx: Ctx, step: str) -> None:
        """Ask `step`'s question (for a flow that moves the dialog itself, e.g. DraftFlow.open)."""
        ask = self.steps[step].ask
        if ask is not None:
            ask(ctx)

    def _move(self, ctx: Ctx, allowed: tuple[str, ...], nxt: Next, fresh: bool = False) -> None:
        if nxt is None:
            return
        go = nxt if isinstance(nxt, Go) else Go(nxt)
        if go.step not in allowed:
            raise RuntimeError(f"dialog {self.name}: may go to {allowed}, not {go.step!r}")
        if go.step == END:
            if self.is_open(ctx):
                ctx.end_dialog()
            return
        if self.is_open(ctx) and not fresh:
            ctx.goto(go.step, **go.data)
        else:  # (re)opened: nothing of an earlier run carries over
            ctx.start_dialog(self.name, go.step, **go.data)
        self.ask(ctx, go.step)

    def _question(self, ctx: Ctx, step: Step) -> list[dict]:
        """The messages the step's question replies (asked aside: nothing is sent)."""
        before = len(ctx.replies)
        self.ask(ctx, step.name)
        asked = ctx.replies[before:]
        del ctx.replies[before:]
        return asked

    def _picked(self, ctx: Ctx, step: Step) -> None:
        asked = self._question(ctx, step)
        data = typed_choice(ctx.text, asked)
        if data is not None and self.router.tap(ctx, data):
            return
        before = len(ctx.replies)
        nxt = step.take(ctx)
        if nxt is None and len(ctx.replies) == before:
            ctx.reply(*choose_below(asked))
        self._move(ctx, step.to, nxt)

    def _taker(self, step: Step) -> Callable[[Ctx], None]:
        def take(ctx: Ctx) -> None:
            if step.pick and ctx.event.type == "message" and ctx.event.message.type == "text" and ctx.text:
                return self._picked(ctx, step)
            self._move(ctx, step.to, step.take(ctx))
        take.__name__ = f"{self.name}_{step.name}"
        return take

    def _button(self, b: Button) -> Callable[[Ctx], None]:
        def tap(ctx: Ctx) -> None:
            if not (b.opens or b.free) and not self.is_open(ctx, *b.at):
                ctx.reply(msg.text(texts.STALE_BUTTON))
                return
            self._move(ctx, b.to, b.take(ctx), fresh=b.opens)
        tap.__name__ = f"{self.name}_{b.action}"
        return tap

    # -- the picture ----------------------------------------------------------------------
    def _targets(self) -> Iterable[str]:
        for s in self.steps.values():
            yield from s.to
        for b in self.buttons:
            yield from b.to
            yield from b.at

    def mermaid(self) -> str:
        """The flow as a mermaid state diagram (taps labelled with their postback action)."""
        lines = ["stateDiagram-v2"]
        lines += [f"    [*] --> {e}" for e in self.entries]
        for s in self.steps.values():
            lines += [f"    {s.name} --> {t}" for t in s.to]
        for b in self.buttons:
            sources = b.at or (("[*]",) if b.opens else tuple(self.steps))
            lines += [f"    {src} --> {t}: {b.action}" for src in sources for t in b.to]
        return "\n".join(dict.fromkeys(lines))


# -- a typed text at a step that asks with buttons ------------------------------------------------
def _plain(text: str) -> str:
    t = normalize(text)
    changed = True
    while changed:  # 「2班です。」: the polite endings, one after another
        changed = False
        for end in texts.TYPED_ENDINGS:
            if t.endswith(end) and len(t) > len(end):
                t, changed = t[:-len(end)], True
    return t


def typed_choice(text: str, messages: list[dict]) -> Optional[str]:
    """The postback data of the quick reply the text names: by its label, else by the one number
    in it (「3」 → 「3班」, when only one label carries that number)."""
    chips = [item.get("action", {}) for m in messages for item in (m.get("quickReply") or {}).get("items", [])]
    chips = [a for a in chips if a.get("type") == "postback" and a.get("label")]
    t = _plain(text)
    if not t:
        return None
    for a in chips:
        if _plain(a["label"]) == t or normalize(a["label"]) == t:
            return a["data"]
    if t.isdigit():
        hits = [a for a in chips if re.findall(r"\d+", normalize(a["label"])) == [str(int(t))]]
        if len(hits) == 1:
            return hits[0]["data"]
    return None


def choose_below(asked: list[dict]) -> list[dict]:
    """「下のボタンから選んでください」 before the question, with its own quick reply (a card: after it)."""
    last = next((m for m in reversed(asked) if m.get("quickReply")), None)
    if last is None:
        return [msg.text(texts.CHOOSE_BELOW)] + asked[:4]
    question = last.get("text") if last.get("type") == "text" else None
    again = msg.text(texts.CHOOSE_BELOW + ("\n" + question if question else ""))
    again["quickReply"] = copy.deepcopy(last["quickReply"])
    return [again]

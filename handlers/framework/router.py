"""One small router: handlers register by decorator; the router picks one per event.

    @router.postback("read")                    # postback data "a=read&c=12"
    @router.command("状況", roles=OFFICER_ROLES)  # typed officer shortcut
    @router.dialog("circular", "title")         # a step of a multi-step dialog
    @router.follow() / @router.unfollow() / @router.message("location")

Order for a text message: cancel word in a dialog → the dialog's step → a command →
an active mode (disaster mode hears every resident) → registration (if not yet a member) → help.
A mode also hears what an open dialog would not use: messages to a dialog left more than
DIALOG_FRESH ago (the dialog waits), and, at a step that waits for a button, a text the mode
recognises (「無事」); a step that takes typed content (a title, a body) keeps its text.
Roles are checked here, from the database, at the moment of the tap: a resident pressing an
officer's button gets a polite refusal, nothing else.

City staff (ctx.staff, models/tenancy.py) are no member: a command word may also have a staff
route (`@router.command(word, staff=True)`), run for whoever ctx.staff is set for; the member's
route of the same word runs as well if the member may (a chair who is also city staff gets both).
Without an association (`ctx.association` None: someone on a city channel who has not picked
theirs yet) only the routes declared with `serve_unscoped` run (registration: follow, the
registration dialog and its picker, 退会); anything else is refused (an officer's button) or
answered with the help (the consent card, or the picker's question again); no mode hears them.
Every other handler may count on `ctx.association`.
"""
from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from handlers.messages import texts
from handlers.messages.builders import text as build_text
from handlers.messages.codec import normalize, unpack
from models import MemberStatus, Role

from .ctx import Ctx

log = logging.getLogger(__name__)
Handler = Callable[["Ctx"], None]
# (ctx, situation) -> handled; situation "free" (nothing else wants the message) or "button_step"
Interceptor = Callable[["Ctx", str], bool]
DIALOG_FRESH = dt.timedelta(minutes=30)  # a dialog untouched longer is not what the user is doing


@dataclass
class Route:
    fn: Handler
    roles: frozenset[Role] | None = None
    takes_text: bool = True  # a dialog step whose typed text is content (a title, a name)
    timeout: Optional[dt.timedelta] = None  # a dialog step left longer than this: the dialog has ended
    unscoped: bool = False  # runs without an association too (registration on a city channel)
    takes_location: bool = False  # a dialog step that asks for a location itself (a 通報's place)


class Router:
    def __init__(self) -> None:
        self.postbacks: dict[str, Route] = {}
        self.commands: dict[str, Route] = {}
        self.staff_commands: dict[str, Route] = {}  # run when ctx.staff is set (the handler checks it too)
        self.dialogs: dict[tuple[str, str], Route] = {}
        self.messages: dict[str, Route] = {}
        self.events: dict[str, Route] = {}
        self.cleanups: dict[str, Handler] = {}
        self.interceptors: list[Interceptor] = []
        self.quota_actions: set[str] = set()  # postbacks that decide on the quota ([送信])
        self.observers: list[Handler] = []  # see every message and tap first, answer nothing (見守り)

    # -- registration -------------------------------------------------------------------
    def _add(self, table: dict, key: Any, roles: Iterable[Role] | None = None, takes_text: bool = True,
             timeout: Optional[dt.timedelta] = None):
        def deco(fn: Handler) -> Handler:
            if key in table:
                raise ValueError(f"route {key!r} registered twice")
            table[key] = Route(fn, frozenset(roles) if roles else None, takes_text, timeout)
            return fn
        return deco

    def postback(self, action: str, roles: Iterable[Role] | None = None, needs_quota: bool = False):
        """needs_quota: the handler decides on this month's quota (a [送信]); the figure shared in
        the database is refreshed from LINE before its transaction opens (bot/inbox.py), so the
        handler reads it without calling LINE while it holds the transaction."""
        if needs_quota:
            self.quota_actions.add(action)
        return self._add(self.postbacks, action, roles)

    def needs_quota(self, raw: dict) -> bool:
        """Whether this stored webhook event (LINE's JSON) is a postback that needs a fresh quota."""
        if raw.get("type") != "postback":
            return False
        data = (raw.get("postback") or {}).get("data") or ""
        return unpack(data).get("a", "") in self.quota_actions

    def command(self, word: str, roles: Iterable[Role] | None = None, staff: bool = False):
        """A typed command; staff=True: the city staff's route of the word (not role-checked)."""
        return self._add(self.staff_commands if staff else self.commands, word, None if staff else roles)

    def dialog(self, flow: str, step: str, takes_text: bool = True, timeout: Optional[dt.timedelta] = None,
               takes_location: bool = False):
        """A dialog step; it receives every message (text, image, file, location) in that step.
        (Flows declare their steps as a table: handlers/framework/dialog.py.)

        A command typed alone (「状況」) always runs as a command, the dialog waiting meanwhile;
        with takes_text=False (a step that waits for a button) so does a command with arguments.
        With a timeout, a dialog left longer ends when the user next writes, and the message is
        handled as if no dialog were open. takes_location: a location sent at this step is the
        step's (it asked for one), not a safety report.
        """
        deco = self._add(self.dialogs, (flow, step), takes_text=takes_text, timeout=timeout)
        if takes_location:
            def marked(fn: Handler) -> Handler:
                out = deco(fn)
                self.dialogs[(flow, step)].takes_location = True
                return out
            return marked
        return deco

    def message(self, kind: str):
        """Non-text messages outside dialogs: "location", "image", "file"; "text" = fallback."""
        return self._add(self.messages, kind)

    def on_cancel(self, flow: str):
        """Tidy-up when a dialog of `flow` is cancelled with 「取消」 (e.g. delete its draft)."""
        def deco(fn: Handler) -> Handler:
            self.cleanups[flow] = fn
            return fn
        return deco

    def intercept(self):
        """A mode that hears messages before the fallback (disaster mode); fn(ctx, situation) → handled.

        "free": no command and no (fresh) dialog wants the message; "button_step": a fresh dialog
        waits for a button and got a text — take it only if it is clearly meant for the mode.
        """
        def deco(fn: Interceptor) -> Interceptor:
            self.interceptors.append(fn)
            return fn
        return deco

    def observe(self):
        """fn(ctx) sees every message and postback of a known association before it is routed, and
        answers nothing (見守り counts any of them as a sign of life: handlers/mimamori)."""
        def deco(fn: Handler) -> Handler:
            self.observers.append(fn)
            return fn
        return deco

    def serve_unscoped(self, *, postbacks: Iterable[str] = (), commands: Iterable[str] = (),
                       flows: Iterable[str] = (), messages: Iterable[str] = (), events: Iterable[str] = ()) -> None:
        """Declare routes that run for someone no association is known for yet (a newcomer on a
        city channel): they must not count on `ctx.association`. Registered routes only."""
        routes = [self.postbacks[a] for a in postbacks] + [self.commands[w] for w in commands] \
            + [self.messages[k] for k in messages] + [self.events[e] for e in events]
        for flow in flows:
            steps = [r for (f, _), r in self.dialogs.items() if f == flow]
            if not steps:
                raise KeyError(flow)
            routes += steps
        for route in routes:
            route.unscoped = True

    @staticmethod
    def _open(ctx: Ctx, route: Optional[Route]) -> bool:
        """Whether the route may run: always with an association, else only if declared unscoped."""
        return route is not None and (ctx.association is not None or route.unscoped)

    def _intercepted(self, ctx: Ctx, situation: str) -> bool:
        if ctx.association is None:
            return False  # modes are an association's
        return any(fn(ctx, situation) for fn in self.interceptors)

    def fallback(self, ctx: Ctx) -> None:
        """A message nothing else took: an active mode, then the kind's own handler or help."""
        kind = ctx.event.message.type
        if kind != "location" and self._intercepted(ctx, "free"):
            return
        route = self.messages.get(kind)
        if not self._open(ctx, route):
            route = self.messages.get("text")
        if self._open(ctx, route):
            route.fn(ctx)

    def help(self, ctx: Ctx) -> None:
        """What a text nobody wants is answered with, modes aside: the "text" message handler
        (registration: the consent card, the wait for approval, or help). For a dialog that finds
        the message was not meant for it (a comment typed long after)."""
        route = self.messages.get("text")
        if self._open(ctx, route):
            route.fn(ctx)

    def follow(self):
        return self._add(self.events, "follow")

    def unfollow(self):
        return self._add(self.events, "unfollow")

    # -- dispatch -----------------------------------------------------------------------
    def _allowed(self, ctx: Ctx, route: Route) -> bool:
        if route.roles is None:
            return True
        m = ctx.member
        return m is not None and m.status == MemberStatus.active and m.role in route.roles

    def _run(self, ctx: Ctx, route: Route) -> None:
        if not self._open(ctx, route):
            log.info("refused without an association: %s", route.fn.__name__)
            if route.roles is not None:
                ctx.reply(text_message(texts.OFFICERS_ONLY))
            else:
                self.help(ctx)
            return
        if not self._allowed(ctx, route):
            log.info("refused: user lacks role for %s", route.fn.__name__)
            ctx.reply(text_message(texts.OFFICERS_ONLY))
            return
        route.fn(ctx)

    def tap(self, ctx: Ctx, data: str) -> bool:
        """Run the postback `data` as if its button were tapped (a typed answer that names a
        button: 「参加します」, 「2班です」); roles are checked as for a tap. False: no such route."""
        ctx.data = unpack(data)
        route = self.postbacks.get(ctx.data.get("a", ""))
        if route is None:
            return False
        self._run(ctx, route)
        return True

    def match_command(self, text: str) -> Optional[str]:
        first = unicodedata.normalize("NFKC", text).split(maxsplit=1)
        if not first:
            return None
        head = first[0]
        return head if head in self.commands or head in self.staff_commands else None

    def _run_command(self, ctx: Ctx, word: str) -> None:
        staff = self.staff_commands.get(word) if ctx.staff is not None else None
        route = self.commands.get(word)
        if staff is not None:
            staff.fn(ctx)
            if route is None or not self._allowed(ctx, route):
                return
        if route is None:  # a staff word typed by someone who is not city staff
            ctx.reply(text_message(texts.OFFICERS_ONLY))
            return
        self._run(ctx, route)

    def dispatch(self, ctx: Ctx) -> None:
        etype = ctx.event.type
        if etype in ("message", "postback") and ctx.association is not None:
            for fn in self.observers:
                fn(ctx)
        if etype in ("follow", "unfollow"):
            route = self.events.get(etype)
            if self._open(ctx, route):
                route.fn(ctx)
            return
        if etype == "postback":
            ctx.data = unpack(ctx.event.postback.data)
            route = self.postbacks.get(ctx.data.get("a", ""))
            if route is None:
                log.debug("unknown postback action")
                ctx.reply(text_message(texts.STALE_BUTTON))
                return
            self._run(ctx, route)
            return
        if etype != "message":
            return
        kind = ctx.event.message.type
        if kind == "text":
            ctx.text = (ctx.event.message.text or "").strip()
        dialog = ctx.dialog
        if dialog is not None and ctx.association is None and not self._open(
                ctx, self.dialogs.get((dialog.flow, dialog.step))):
            dialog = None  # a dialog of an association not known here: it waits, untouched
        if dialog is not None:
            timeout = getattr(self.dialogs.get((dialog.flow, dialog.step)), "timeout", None)
            cancel = kind == "text" and normalize(ctx.text) in texts.CANCEL_WORDS
            if timeout is not None and ctx.now - dialog.updated_at > timeout and not cancel:
                ctx.end_dialog()  # left too long: this message is about something else
                dialog = None
        if dialog is not None:
            if kind == "text" and normalize(ctx.text) in texts.CANCEL_WORDS:
                cleanup = self.cleanups.get(dialog.flow)
                if cleanup is not None:
                    cleanup(ctx)
                ctx.end_dialog()
                ctx.reply(text_message(texts.CANCELLED))
                return
            route = self.dialogs.get((dialog.flow, dialog.step))
            if kind == "location" and self._open(ctx, self.messages.get("location")) and dialog.flow != "safety" \
                    and not (route is not None and route.takes_location):
                # a location is a safety report whatever dialog is open; the dialog waits
                self.messages["location"].fn(ctx)
                return
            command = self.match_command(ctx.text) if kind == "text" else None
            exact = command is not None and normalize(ctx.text) == command
            if route is not None and ((route.takes_text and not exact) or command is None):
                if ctx.now - dialog.updated_at > DIALOG_FRESH:
                    if self._intercepted(ctx, "free"):
                        return  # long left: the dialog waits, the message is about what is going on now
                elif kind == "text" and not route.takes_text and self._intercepted(ctx, "button_step"):
                    return
                route.fn(ctx)
                return
            if route is not None:
                self._run_command(ctx, command)
                return
            log.warning("dialog step %s/%s has no handler; dropping state", dialog.flow, dialog.step)
            ctx.end_dialog()
        if kind == "text":
            word = self.match_command(ctx.text)
            if word is not None:
                self._run_command(ctx, word)
                return
        self.fallback(ctx)


def text_message(text: str, quick: list[tuple[str, Any]] | None = None) -> dict:
    """Shortcut used by the router itself; builders proper live in handlers/messages/builders.py."""
    return build_text(text, quick)


router = Router()

"""DraftFlow: draft → preview → confirm → send, written once — 回覧 (circulars), 出欠 (events) and
the disaster-mode start (without a version: its draft is the dialog's own data).

A capability declares its draft's **Fields** (the steps: `ask` gives the question and its
buttons, `take` a typed or tapped value, `filled`, `required`, `buttons_only`, `typed` whether
typed text there is an answer, `media` a photo or PDF sent at the step, `label` its name in
[修正]), where its drafts live (`ModelDrafts`: a table with a `version`; `DialogDrafts`: the
dialog's data), its preview (the resident's message, the summary) and its send. The flow builds
a Dialog (its steps, then "preview") and writes the rest once:

- the next question: filled steps are skipped, in the one-shot form the optional ones too; a
  required step left empty is asked before the preview; after [修正] an answer goes back to it;
- whom (`target_field()`): a block leader's 班 is fixed when the draft is made — the step is
  skipped, not offered in [修正], and its buttons refuse them; 「一部の班」 opens the 班 picker;
- reminders: one vocabulary (sending.REMINDER_DAYS; 「リマインド: 3日後」 typed at the preview);
- at [送信]: the draft is still the author's, the preview the latest (version), a block leader
  sends to their own 班 only, the month's quota (with [それでも送信]); then the capability's
  send, the paper lists to the block leaders, one audit entry.

A take returns None (taken: the version goes up, on to the next question), KEEP (it answered
itself; stay), a text (said before the question again) or (text, buttons or None): a question
of its own.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.pickers import block_toggles
from models import Block, Target

from .ctx import Ctx
from .dialog import END, Button, Dialog, Go, Step, choose_below, typed_choice
from .drafts import KEEP, TARGET, DialogDrafts, Field, ModelDrafts, Reminders, Sent, leads, target_field
from .router import Router, router as default_router
from .sending import REMINDER_DAYS, notify_paper, outside_own_block, parse_reminder, quota, within_quota

MEDIA_TYPES = ("image", "file")  # what a step with `media` takes (LINE message types)

__all__ = ["DraftFlow", "DialogDrafts", "Field", "KEEP", "ModelDrafts", "Reminders", "Sent", "target_field"]
PREVIEW = "preview"


class DraftFlow:
    def __init__(self, name: str, prefix: str, drafts: Any, fields: Iterable[Field], *,
                 resident: Callable[[Ctx, Any], dict], summary: Callable[[Ctx, Any, Any], str],
                 send: Callable[[Ctx, Any, Any], Optional[Sent]], audit: str, roles: Any = None,
                 audience: Optional[Callable[[Ctx, Any], Any]] = None, reminders: Optional[Reminders] = None,
                 paper: Optional[Callable[[Any, str, str], tuple[str, str]]] = None,
                 ready: Optional[Callable[[Ctx, Any], Optional[tuple[str, str]]]] = None,
                 cancelled: str = texts.CANCELLED, confirm_title: str = texts.CONFIRM_QUESTION,
                 send_label: str = texts.SEND, intro: bool = True, preview_step: str = PREVIEW,
                 router: Router = default_router) -> None:
        self.name, self.prefix, self.drafts, self.preview_step = name, prefix, drafts, preview_step
        self.fields = {f.name: f for f in fields}
        self.order = tuple(self.fields)
        self.resident, self.summary, self.send, self.audit = resident, summary, send, audit
        self.audience, self.reminders, self.paper, self.ready = audience, reminders, paper, ready
        self.cancelled, self.confirm_title, self.send_label, self.intro = cancelled, confirm_title, send_label, intro
        self.editable = tuple(f.name for f in self.fields.values() if f.label)
        required = tuple(f.name for f in self.fields.values() if f.required)
        free = drafts.versioned

        def after(step: Optional[str]) -> tuple[str, ...]:
            later = self.order[self.order.index(step) + 1:] if step else self.order
            return tuple(dict.fromkeys(later + required + (self.preview_step,)))

        steps = [Step(f.name, take=self._typed(f), ask=self._asker(f.name), to=after(f.name),
                      buttons_only=f.buttons_only) for f in self.fields.values()]
        steps.append(Step(self.preview_step, take=self._preview_text, ask=self._show_preview,
                          to=(self.preview_step,) + required, buttons_only=True))
        act = self.action
        buttons = [Button(act("set"), self._tap_set, to=after(None), at=self.order, free=free, roles=roles)]
        if TARGET in self.fields:
            buttons += [Button(act("block"), self._tap_block, at=(TARGET,), free=free, roles=roles),
                        Button(act("block_page"), self._tap_page, at=(TARGET,), free=free, roles=roles),
                        Button(act("blocks_done"), self._tap_blocks_done, to=after(TARGET), at=(TARGET,),
                               free=free, roles=roles)]
        if self.editable:
            buttons += [Button(act("edit"), self._tap_edit, at=(self.preview_step,), free=free, roles=roles),
                        Button(act("field"), self._tap_field, to=self.editable, at=(self.preview_step,), free=free,
                               roles=roles)]
        buttons += [Button(act("cancel"), self._tap_cancel, to=(END,), at=(self.preview_step,) if free else (),
                           free=free, roles=roles),
                    # a [送信] with an audience decides on the quota: the figure is refreshed before it
                    Button(act("send"), self._tap_send, to=(END,) + required, at=(self.preview_step,), free=free,
                           roles=roles, needs_quota=audience is not None)]
        self.dialog = Dialog(name, steps, buttons=buttons, on_cancel=self._on_cancel_word, router=router)

    def action(self, what: str) -> str:
        return f"{self.prefix}_{what}"

    def set_data(self, d: Any, step: str) -> str:
        """A picker's postback data for `step` (the picked value comes in its params)."""
        return pb(self.action("set"), **self.drafts.ref(d), f=step)

    def mermaid(self) -> str:
        """The draft's picture: its questions in order, the preview, [修正] back to a step, the
        preview's way out (taps labelled with their postback action). Filled steps (and, in the
        one-shot form, optional ones) are skipped; an edited answer returns to the preview; the
        Dialog table (`self.dialog`) holds every transition this allows."""
        p, act = self.preview_step, self.action
        lines = ["stateDiagram-v2", f"    [*] --> {self.order[0]}"]
        chain = self.order + (p,)
        lines += [f"    {a} --> {b}" for a, b in zip(chain, chain[1:])]
        if TARGET in self.fields:
            lines.append(f"    {TARGET} --> {TARGET}: {act('block')}")
        if self.reminders is not None:
            lines.append(f"    {p} --> {p}: reminder")
        lines += [f"    {p} --> {s}: {act('field')}" for s in self.editable]
        lines += [f"    {p} --> [*]: {act('send')}", f"    {p} --> [*]: {act('cancel')}"]
        return "\n".join(lines)

    # -- opening ----------------------------------------------------------------------------
    def new(self, ctx: Ctx, **values: Any) -> Any:
        """A new draft; a block leader's is for their own 班, fixed now."""
        d = self.drafts.new(ctx, self.name, **values)
        if TARGET in self.fields and leads(ctx):
            d.target, d.target_block_ids = Target.blocks, [ctx.member.led_block_id]
        return d

    def open(self, ctx: Ctx, d: Any, oneshot: bool = False, problems: Optional[dict] = None) -> None:
        """Start the dialog on draft `d`: at the first step with a problem (saying it), else at the
        first question still to ask, else the preview."""
        ctx.start_dialog(self.name, self.order[0], **self.drafts.state(d), oneshot=oneshot, edit=False)
        first = next((s for s in self.order if problems and s in problems), None)
        if first:
            return self._problem(ctx, d, first, problems[first], goto=True)
        self._enter(ctx, self._next(ctx, d, None))

    def _enter(self, ctx: Ctx, step: str) -> None:
        ctx.goto(step)
        self.dialog.ask(ctx, step)

    # -- questions --------------------------------------------------------------------------
    def _filled(self, ctx: Ctx, d: Any, step: str) -> bool:
        return (step == TARGET and leads(ctx)) or self.fields[step].filled(d)

    def _next(self, ctx: Ctx, d: Any, done: Optional[str]) -> str:
        flags = ctx.dialog.data if self.dialog.is_open(ctx) else {}
        if not flags.get("edit"):
            for step in self.order[self.order.index(done) + 1 if done else 0:]:
                if not (self._filled(ctx, d, step) or (flags.get("oneshot") and not self.fields[step].required)):
                    return step
        return next((s for s in self.order if self.fields[s].required and not self._filled(ctx, d, s)), self.preview_step)

    def _buttons(self, d: Any, step: str, actions: list) -> list:
        """("set", label, value) in a question's buttons is a tap that answers the step."""
        return [msg.postback(a[1], pb(self.action("set"), **self.drafts.ref(d), f=step, v=a[2]))
                if isinstance(a, tuple) else a for a in actions]

    def question(self, ctx: Ctx, d: Any, step: str, problem: Optional[str] = None) -> dict:
        text, actions = self.fields[step].ask(ctx, d)
        return msg.text(f"{problem}\n{text}" if problem else text,
                        self._buttons(d, step, actions) + [msg.say(texts.CANCEL)])

    def _asker(self, step: str) -> Callable[[Ctx], None]:
        def ask(ctx: Ctx) -> None:
            d = self.drafts.find(ctx, self.name)
            if d is not None:
                ctx.reply(self.question(ctx, d, step))
        return ask

    def _problem(self, ctx: Ctx, d: Any, step: str, problem: Any, goto: bool = False, **flags: Any) -> None:
        if goto:
            ctx.goto(step, **flags)
        if isinstance(problem, tuple):  # a question of its own, with its buttons (or none)
            text, actions = problem
            ctx.reply(msg.text(text, None if actions is None else self._buttons(d, step, actions) + [msg.say(texts.CANCEL)]))
        else:
            ctx.reply(self.question(ctx, d, step, problem))

    def _took(self, ctx: Ctx, d: Any, step: str, got: Any) -> Any:
        if got is KEEP:
            return None
        if got is not None:
            self._problem(ctx, d, step, got)
            return None
        if self.drafts.versioned:
            d.version += 1
        return Go(self._next(ctx, d, step), **self.drafts.state(d))

    def take_value(self, ctx: Ctx, d: Any, step: str, value: str) -> Any:
        if not value.strip():
            empty = self.fields[step].empty
            ctx.reply(msg.text(empty) if empty else self.question(ctx, d, step))
            return None
        return self._took(ctx, d, step, self.fields[step].take(ctx, d, value.strip()))

    def _typed(self, f: Field) -> Callable[[Ctx], Any]:
        def take(ctx: Ctx) -> Any:
            d = self.drafts.find(ctx, self.name)
            if d is None:
                ctx.reply(msg.text(texts.STALE_DRAFT))
                ctx.end_dialog()
                return None
            if ctx.event.message.type != "text":
                if f.media is None:
                    ctx.reply(self.question(ctx, d, f.name))
                    return None
                if ctx.event.message.type not in MEDIA_TYPES:  # a sticker, a video: not an attachment
                    ctx.reply(msg.text(f.empty) if f.empty else self.question(ctx, d, f.name))
                    return None
                return self._took(ctx, d, f.name, f.media(ctx, d))
            if not f.typed:  # a step of buttons: a typed label taps it, else 「下のボタンから選んでください」
                question = self.question(ctx, d, f.name)
                data = typed_choice(ctx.text, [question])
                if data is not None and self.dialog.router.tap(ctx, data):
                    return None
                ctx.reply(*choose_below([question]))
                return None
            return self.take_value(ctx, d, f.name, ctx.text)
        return take

    # -- buttons of the questions -------------------------------------------------------------
    def _own(self, ctx: Ctx) -> Any:
        d = self.drafts.find(ctx, self.name)
        if d is None:
            ctx.reply(msg.text(texts.STALE_DRAFT))
        return d

    def _tap_set(self, ctx: Ctx) -> Any:
        """A button or picker of a step: f = the step, v = the value (pickers: params)."""
        d, step = self._own(ctx), ctx.data.get("f")
        if d is None or step not in self.fields:
            return None
        params = getattr(getattr(ctx.event, "postback", None), "params", None) or {}  # (a typed label: none)
        value = ctx.data.get("v") or params.get("datetime") or params.get("date") or ""
        if step == TARGET:
            if leads(ctx):  # their 班 was fixed with the draft
                return None
            if value == Target.blocks.value:
                d.target, d.target_block_ids = Target.blocks, []
                return self._picker(ctx, d)
        return self.take_value(ctx, d, step, value)

    def _picker(self, ctx: Ctx, d: Any, offset: int = 0) -> None:
        ref = self.drafts.ref(d)
        actions, names = block_toggles(ctx.association.blocks, set(d.target_block_ids or []), offset,
                                       toggle=lambda b, o: pb(self.action("block"), **ref, b=b.id, o=o),
                                       page=lambda o: pb(self.action("block_page"), **ref, o=o),
                                       done=pb(self.action("blocks_done"), **ref))
        ctx.reply(msg.text(texts.ASK_BLOCKS.format(chosen=names or texts.EV_NONE), actions))

    def _tap_page(self, ctx: Ctx) -> None:
        d = self._own(ctx)
        if d is not None and not leads(ctx):
            self._picker(ctx, d, ctx.num("o"))

    def _tap_block(self, ctx: Ctx) -> None:
        d = self._own(ctx)
        block = ctx.session.get(Block, ctx.num("b"))
        if d is None or leads(ctx):
            return
        if block is None or block.association_id != ctx.association.id:  # a stale or forged 班
            ctx.reply(msg.text(texts.STALE_BUTTON))
            return
        chosen = list(d.target_block_ids or [])
        chosen.remove(block.id) if block.id in chosen else chosen.append(block.id)
        d.target_block_ids = chosen
        self._picker(ctx, d, ctx.num("o"))

    def _tap_blocks_done(self, ctx: Ctx) -> Any:
        d = self._own(ctx)
        if d is None or leads(ctx):
            return None
        if not d.target_block_ids:
            return self._picker(ctx, d)
        return self._took(ctx, d, TARGET, None)

    # -- preview, edit, cancel, send ----------------------------------------------------------
    def _show_preview(self, ctx: Ctx) -> None:
        d = self.drafts.find(ctx, self.name)
        if d is None:
            return
        ctx.start_dialog(self.name, self.preview_step, **self.drafts.state(d))  # [修正] and the one-shot form are over
        ctx.reply(*self.preview(ctx, d))

    def preview(self, ctx: Ctx, d: Any) -> list[dict]:
        aud = self.audience(ctx, d) if self.audience else None
        summary, note, quick = self.summary(ctx, d, aud), None, None
        if aud is not None:
            limit, used = quota(ctx)
            if limit is not None and used is not None:
                summary += "\n" + texts.PREVIEW_QUOTA.format(remaining=max(0, limit - used))
        r = self.reminders
        if r is not None:
            times, pushes = r.times(ctx, d), len(aud.recipients) if aud is not None else 0
            summary += "\n\n" + (r.plan.format(when=texts.BLOCK_NAMES_SEPARATOR.join(r.when(t, ctx.settings.timezone) for t in times),
                                               pushes=pushes * len(times)) if times else texts.REMINDER_NONE)
            quick = [msg.say(r.choice.format(n=n), r.set.format(n=n)) for n in REMINDER_DAYS]
            quick.append(msg.say(texts.EV_REMINDER_OFF, texts.EV_REMINDER_SET_OFF))
            note = r.hint
        ref = self.drafts.ref(d)
        version = {"v": d.version} if self.drafts.versioned else {}
        buttons = [msg.postback(self.send_label, pb(self.action("send"), **ref, **version))]
        if self.editable:
            buttons.append(msg.postback(texts.EDIT, pb(self.action("edit"), **ref)))
        buttons.append(msg.postback(texts.CANCEL, pb(self.action("cancel"), **ref)))
        return ([msg.text(texts.PREVIEW_INTRO)] if self.intro else []) + [
            self.resident(ctx, d), msg.card(self.confirm_title, summary, buttons, note=note, quick=quick)]

    def _preview_text(self, ctx: Ctx) -> Any:
        d = self.drafts.find(ctx, self.name)
        if d is None:
            ctx.reply(msg.text(texts.STALE_DRAFT))
            ctx.end_dialog()
            return None
        plan = parse_reminder(ctx.text) if self.reminders is not None and ctx.event.message.type == "text" else None
        if plan is not None:
            d.reminder_plan, d.version = plan, d.version + 1
        return Go(self._next(ctx, d, self.order[-1]), **self.drafts.state(d))

    def _tap_edit(self, ctx: Ctx) -> None:
        d = self._own(ctx)
        if d is not None:
            ctx.reply(msg.text(texts.EDIT_WHICH, [
                msg.postback(self.fields[s].label, pb(self.action("field"), **self.drafts.ref(d), f=s))
                for s in self.editable if not (s == TARGET and leads(ctx))]))

    def _tap_field(self, ctx: Ctx) -> Any:
        d = self._own(ctx)
        if d is None:
            return None
        f = ctx.data.get("f")
        step = f if f in self.editable and not (f == TARGET and leads(ctx)) else self.editable[0]
        return Go(step, edit=True, **self.drafts.state(d))

    def _on_cancel_word(self, ctx: Ctx) -> None:
        """「取消」 in the middle of drafting: the draft (and its attachments) goes too."""
        d = self.drafts.find(ctx, self.name) if ctx.member is not None else None
        if d is not None:
            self.drafts.drop(ctx, d)

    def _tap_cancel(self, ctx: Ctx) -> Any:
        d = self._own(ctx)
        if d is None:
            return None
        self.drafts.drop(ctx, d)
        ctx.reply(msg.text(self.cancelled))
        return END

    def _tap_send(self, ctx: Ctx) -> Any:
        d = self._own(ctx)
        if d is None:
            return None
        if self.drafts.versioned and str(d.version) != ctx.data.get("v"):
            ctx.reply(msg.text(texts.STALE_PREVIEW))
            return None
        if TARGET in self.fields and outside_own_block(ctx.member, d.target, d.target_block_ids):
            ctx.reply(msg.text(texts.OFFICERS_ONLY))
            return None
        not_ready = self.ready(ctx, d) if self.ready else None
        if not_ready:  # e.g. a draft left for days: its deadline has passed
            step, problem = not_ready
            if not self.dialog.is_open(ctx):
                ctx.start_dialog(self.name, step, **self.drafts.state(d))
            return self._problem(ctx, d, step, problem, goto=True, edit=True)
        aud = self.audience(ctx, d) if self.audience else None
        ref = self.drafts.ref(d)
        if aud is not None and ctx.data.get("force") != "1" and not within_quota(
                ctx, len(aud.recipients), pb(self.action("send"), **ref, v=d.version, force=1),
                pb(self.action("cancel"), **ref)):
            return None
        sent = self.send(ctx, d, aud)
        if sent is None:  # refused; the capability said why
            return END
        if self.paper is not None and aud is not None:
            purpose = self.paper(d, "", "")[1]
            notify_paper(ctx, aud.paper_households, lambda block, names: self.paper(d, block, names)[0], purpose)
        ctx.audit(self.audit, sent.target, **sent.detail)
        ctx.reply(msg.text(sent.reply))
        return END

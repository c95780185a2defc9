"""What a DraftFlow (handlers/framework/draft.py) is made of: a draft's Fields (its steps), where
drafts live (ModelDrafts: a table's row with a version; DialogDrafts: the dialog's data), the
reminder vocabulary of a preview, what a send reports (Sent), and the one step every audience
shares: whom (`target_field`), with the block leaders' rule."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Optional

from handlers.messages import texts
from handlers.messages.codec import normalize
from models import Role, Target
from models.roster import normalize_name

from .ctx import Ctx

TARGET = "target"
KEEP = object()  # a take that answered itself: the dialog stays where it is


@dataclass(frozen=True)
class Field:
    name: str
    ask: Callable[[Ctx, Any], tuple[str, list]]  # the question and its buttons ([取消] is added)
    take: Callable[[Ctx, Any, str], Any]  # a value (typed, tapped or a form line) → None, KEEP or a problem
    filled: Callable[[Any], bool] = lambda d: False
    required: bool = False
    buttons_only: bool = False  # the step waits for a tap (the router lets commands through)
    typed: bool = True  # typed text is an answer (else the question comes again)
    media: Optional[Callable[[Ctx, Any], Any]] = None  # an image or file sent at this step
    label: str = ""  # its button in [修正]; "" = not editable
    empty: Optional[str] = None  # said (alone) to an empty answer; None: the question again


@dataclass(frozen=True)
class Reminders:
    choice: str  # a quick reply's label, 「{n}日後」
    set: str  # what it types, 「リマインド: {n}日後」
    hint: str
    plan: str  # 「リマインド：{when}に…（最大{pushes}通）」
    times: Callable[[Ctx, Any], list]
    when: Callable[[dt.datetime, str], str]


@dataclass(frozen=True)
class Sent:
    reply: str
    target: str  # the audit entry's target, 「circular:12」
    detail: dict = field(default_factory=dict)


class ModelDrafts:
    """Drafts kept as rows of `model` (state `draft`, a `version` bumped at every change); buttons
    carry the id as `key`, the dialog as `id_key`."""

    versioned = True

    def __init__(self, model: Any, draft_state: Any, key: str, id_key: str) -> None:
        self.model, self.draft_state, self.key, self.id_key = model, draft_state, key, id_key

    def _id(self, ctx: Ctx, flow: str) -> int:
        d = ctx.dialog
        raw = d.data.get(self.id_key) if d is not None and d.flow == flow else 0
        return ctx.num(self.key) or (int(raw) if str(raw or "").isdigit() else 0)

    def new(self, ctx: Ctx, flow: str, **values: Any) -> Any:
        prev_id = self._id(ctx, flow)
        prev = ctx.session.get(self.model, prev_id) if prev_id else None
        if prev is not None and prev.state == self.draft_state:  # 「回覧」 again: the old draft goes
            ctx.session.delete(prev)
        d = self.model(association_id=ctx.association.id, author_id=ctx.member.id, **values)
        ctx.session.add(d)
        ctx.session.flush()
        return d

    def find(self, ctx: Ctx, flow: str) -> Any:
        did = self._id(ctx, flow)
        d = ctx.session.get(self.model, did) if did else None
        if d is None or d.association_id != ctx.association.id or d.author_id != ctx.member.id \
                or d.state != self.draft_state:
            return None
        return d

    def ref(self, d: Any) -> dict:
        return {self.key: d.id}

    def state(self, d: Any) -> dict:
        return {self.id_key: d.id}

    def drop(self, ctx: Ctx, d: Any) -> None:
        ctx.session.delete(d)


class DialogDrafts:
    """Drafts kept in the dialog's own data (no row, no version): its buttons are valid only
    while the dialog is open at their step."""

    versioned = False

    def __init__(self, *names: str) -> None:
        self.names = names

    def new(self, ctx: Ctx, flow: str, **values: Any) -> Any:
        return SimpleNamespace(**{n: values.get(n) for n in self.names})

    def find(self, ctx: Ctx, flow: str) -> Any:
        d = ctx.dialog
        if d is None or d.flow != flow:
            return None
        return SimpleNamespace(**{n: d.data.get(n) for n in self.names})

    def ref(self, d: Any) -> dict:
        return {}

    def state(self, d: Any) -> dict:
        return dict(vars(d))

    def drop(self, ctx: Ctx, d: Any) -> None:
        pass


def target_field(label: str = texts.FIELD_TARGET, ask_text: str = texts.ASK_TARGET) -> Field:
    """Whom: everyone, some 班 (the picker), officers only; typed 「1班・2班」 in a form line."""
    def ask(ctx: Ctx, d: Any) -> tuple[str, list]:
        return ask_text, [("set", texts.TARGET_ALL, Target.all.value), ("set", texts.TARGET_BLOCKS, Target.blocks.value),
                          ("set", texts.TARGET_OFFICERS, Target.officers.value)]

    def take(ctx: Ctx, d: Any, v: str) -> Any:
        if leads(ctx):  # their own 班, fixed with the draft
            return None
        words = normalize(v)
        if words in (Target.all.value, normalize(texts.TARGET_ALL)):
            d.target, d.target_block_ids = Target.all, []
        elif words in (Target.officers.value, normalize(texts.TARGET_OFFICERS), normalize(texts.TARGET_OFFICERS_SHORT)):
            d.target, d.target_block_ids = Target.officers, []
        else:  # 「1班・2班」
            blocks = {normalize_name(b.name): b.id for b in ctx.association.blocks}
            names = [w for w in re.split(r"[・、,，/]", unicodedata.normalize("NFKC", v)) if w.strip()]
            ids = [blocks.get(normalize_name(w)) for w in names]
            if not ids or None in ids:
                return texts.EV_BAD_TARGET
            d.target, d.target_block_ids = Target.blocks, ids
        return None

    return Field(TARGET, ask, take, buttons_only=True, typed=False, label=label)


def leads(ctx: Ctx) -> bool:
    return ctx.member is not None and ctx.member.role == Role.block_leader

"""Every dialog is a declared table (handlers/framework/dialog.py), and its module's docstring carries
the picture that table draws: a change of a flow that forgets its picture fails here."""
import importlib

import pytest

import handlers.chat  # noqa: F401 - declares every dialog
from handlers.framework.dialog import END, Dialog

EVERY = {d.name: d for d in Dialog.every}
# the dialogs a DraftFlow builds (回覧, 出欠, 災害モード) carry the flow's own picture, checked in
# tests/test_flows.py; these are the dialogs declared directly
DIALOGS = {name: d for name, d in EVERY.items() if not d.module.startswith("handlers.framework.")}


def test_the_flows_named_in_the_issue_are_dialog_tables():
    assert {"register", "withdraw", "ev_answer", "safety"} <= set(DIALOGS)
    assert {"circular", "event", "disaster"} <= set(EVERY) - set(DIALOGS)  # on DraftFlow


@pytest.mark.parametrize("name", sorted(DIALOGS))
def test_the_docstring_carries_the_tables_picture(name):
    dialog = DIALOGS[name]
    doc = importlib.import_module(dialog.module).__doc__ or ""
    assert "```mermaid\n" + dialog.mermaid() + "\n```" in doc, (
        f"{dialog.module}: paste this into the docstring:\n```mermaid\n{dialog.mermaid()}\n```")


@pytest.mark.parametrize("name", sorted(DIALOGS))
def test_every_step_can_be_reached_and_left(name):
    dialog = DIALOGS[name]
    reached = set(dialog.entries)
    for step in dialog.steps.values():
        reached.update(step.to)
    for button in dialog.buttons:
        reached.update(button.to)
    assert set(dialog.steps) <= reached, f"{name}: steps nothing leads to: {set(dialog.steps) - reached}"
    for step in dialog.steps.values():
        assert step.to, f"{name}/{step.name}: a step nothing leaves (not even {END})"

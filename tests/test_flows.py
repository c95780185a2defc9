"""DraftFlow (handlers/framework/draft.py): each flow's picture is in its module's docstring, every
step and every drawn transition is one the flow's Dialog table allows and reaches, and the rules
written once hold in every flow (block leaders, reminders)."""
import re

import pytest
from sqlalchemy import select

import handlers.chat  # noqa: F401  (registers every flow)
from bot.dev.demo import demo_user_id
from handlers import circulars
from handlers.events import drafting
from handlers.framework.dialog import END
from handlers.framework.sending import REMINDER_DAYS
from handlers.messages import texts
from handlers.safety import start
from models import Block, Circular, Event, Member, Target

from conftest import actions, all_text

FLOWS = {"circulars": circulars, "drafting": drafting, "start": start}
LEADER2 = demo_user_id("田中 実")


def edges(dialog):
    """(source, target) pairs of the Dialog table; a button without `to` stays where it is."""
    for s in dialog.steps.values():
        yield from ((s.name, t) for t in s.to)
    for b in dialog.buttons:
        sources = b.at or (("[*]",) if b.opens else tuple(dialog.steps))
        yield from ((src, t) for src in sources for t in (b.to or (src,)))


@pytest.mark.parametrize("name", FLOWS)
def test_docstring_carries_the_flows_picture(name):
    module = FLOWS[name]
    drawn = re.search(r"```mermaid\n(.*?)\n```", module.__doc__, re.S)
    assert drawn is not None, f"{name}: no mermaid picture in the docstring"
    assert drawn[1] == module.FLOW.mermaid()


@pytest.mark.parametrize("name", FLOWS)
def test_every_step_is_reachable(name):
    dialog = FLOWS[name].FLOW.dialog
    reached, todo = set(dialog.entries), list(dialog.entries)
    graph = list(edges(dialog))
    while todo:
        here = todo.pop()
        for src, dst in graph:
            if src == here and dst != END and dst not in reached:
                reached.add(dst)
                todo.append(dst)
    assert reached == set(dialog.steps)
    assert any(dst == END for _, dst in graph)  # and the flow can end


@pytest.mark.parametrize("name", FLOWS)
def test_every_drawn_transition_is_declared(name):
    flow = FLOWS[name].FLOW
    allowed = set(edges(flow.dialog)) | {("[*]", e) for e in flow.dialog.entries}
    drawn = re.findall(r"^    (\S+) --> (\S+?)(?::|$)", flow.mermaid(), re.M)
    assert drawn
    for src, dst in drawn:
        assert (src, dst) in allowed, f"{name}: {src} --> {dst} is drawn but not declared"


def test_one_reminder_vocabulary(line, demo, db):
    """Both previews offer the same choices of days (回覧: after the send; 出欠: before the deadline)."""
    preview = line.text(demo_user_id("山田 太郎"), "回覧 清掃のお知らせ\n公園の清掃をします。")
    chips = [a["label"] for a in actions(preview) if a.get("type") == "message"]
    assert chips == [texts.REMINDER_CHOICE.format(n=n) for n in REMINDER_DAYS] + [texts.EV_REMINDER_OFF]
    assert drafting.FLOW.reminders.choice == texts.EV_REMINDER_CHOICE


def test_a_block_leaders_draft_is_for_their_own_block_from_the_start(line, demo, db):
    line.text(LEADER2, "出欠 夏祭り")
    line.text(LEADER2, "回覧")  # typed alone: a command, whatever the dialog
    with db.session() as s:
        leader = s.scalar(select(Member).where(Member.line_user_id == LEADER2))
        for model in (Circular, Event):
            d = s.scalars(select(model).where(model.author_id == leader.id)).one()
            assert (d.target, d.target_block_ids) == (Target.blocks, [leader.led_block_id])


@pytest.mark.parametrize("prefix, key, command", [("circ", "c", "回覧"), ("ev", "e", "出欠 夏祭り")])
def test_the_block_toggle_refuses_block_leaders_in_both_flows(line, demo, db, prefix, key, command):
    line.text(LEADER2, command)
    model = Circular if prefix == "circ" else Event
    with db.session() as s:
        leader = s.scalar(select(Member).where(Member.line_user_id == LEADER2))
        draft = s.scalars(select(model).where(model.author_id == leader.id)).one()
        other = s.scalars(select(Block).where(Block.association_id == leader.association_id,
                                              Block.id != leader.led_block_id)).first()
    for data in (f"a={prefix}_block&{key}={draft.id}&b={other.id}&o=0", f"a={prefix}_set&{key}={draft.id}&f=target&v=all",
                 f"a={prefix}_blocks_done&{key}={draft.id}"):
        line.postback(LEADER2, data)
    with db.session() as s:
        d = s.get(model, draft.id)
        assert (d.target, d.target_block_ids) == (Target.blocks, [leader.led_block_id])


def test_a_stale_disaster_confirm_is_refused(line, demo, db):
    """The disaster start has no version: its [開始] counts only while the dialog is at confirm."""
    assert all_text(line.postback(demo_user_id("山田 太郎"), "a=dm_send")) == texts.STALE_BUTTON

"""登録内容, 使い方 and 状況 (pull views `me`, `help`, `status`), the typed 「使い方」, and what the
view route says to forged values, to a resident forging an officer's view and to a newcomer."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from handlers.messages.codec import pb
from models import Member, MemberStatus

from chat import all_text, button
from views_kit import (  # noqa: F401 - clock is a fixture
    BOSAI, CHAIR, JIRO, LEADER, NEWCOMER, SATO, SUZUKI, clock, family_member, quick_labels, replies_only, view)


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


def test_me_shows_my_block_household_and_only_my_households_members(line, demo, db, fake):
    family_member(db)
    with replies_only(db, fake):
        out = view(line, SATO, "me")
    said = all_text(out)
    assert texts.VIEW_ME_NAME.format(name="佐藤 花子") in said
    assert texts.VIEW_ME_BLOCK.format(block="1班") in said
    assert texts.VIEW_ME_HOUSEHOLD.format(household="佐藤 花子") in said
    assert texts.VIEW_ME_FAMILY.format(names="佐藤 次郎さん") in said
    for stranger in ("鈴木 一郎", "山田 太郎", "高橋 和子"):  # the same 班, other households
        assert stranger not in said
    assert texts.VIEW_ME_ROLE.split("：")[0] not in said  # a resident has no role line
    # how to withdraw: the 退会 word, as a button
    confirm = line.tap(SATO, out, texts.CMD_WITHDRAW)
    assert texts.WITHDRAW_CONFIRM in all_text(confirm)
    assert all_text(view(line, SUZUKI, "me")).count(texts.VIEW_ME_FAMILY_NONE) == 1


def test_me_for_a_block_leader_names_the_role_and_block(line, demo, db, fake):
    said = all_text(view(line, LEADER, "me"))
    assert texts.VIEW_ME_ROLE.format(role=texts.ROLE_IN_BLOCK.format(block="2班", role="班長")) in said


def test_a_withdrawn_family_member_is_not_listed(line, demo, db, fake):
    family_member(db)
    line.tap(JIRO, line.text(JIRO, texts.CMD_WITHDRAW), texts.WITHDRAW_YES)
    with db.session() as s:
        assert s.scalar(select(Member.status).where(Member.name.is_(None), Member.status == MemberStatus.withdrawn))
    said = all_text(view(line, SATO, "me"))
    assert "佐藤 次郎" not in said and texts.VIEW_ME_FAMILY_NONE in said


def test_help_for_a_resident_and_the_typed_word(line, demo, db, fake):
    with replies_only(db, fake):
        tapped = view(line, SATO, "help")
        typed = line.text(SATO, texts.CMD_HELP)
    assert all_text(tapped) == all_text(typed) == texts.VIEW_HELP_RESIDENT
    assert texts.VIEW_HELP_OFFICER not in all_text(tapped)
    assert quick_labels(tapped[-1]) == [texts.VIEW_LABELS[v] for v in ("circulars", "events", "me")]
    assert all_text(line.tap(SATO, tapped, texts.VIEW_LABELS["me"])).startswith(texts.VIEW_ME_TITLE)


@pytest.mark.parametrize("who,has,lacks", [
    (CHAIR, [texts.CMD_CIRCULAR, texts.CMD_DISASTER, texts.CMD_CHAIR_CHANGE], []),
    (BOSAI, [texts.CMD_DISASTER, texts.CMD_JMA_RULE], [texts.CMD_CHAIR_CHANGE]),
    (LEADER, [texts.CMD_CIRCULAR, texts.CMD_STATUS, texts.CMD_ADMIN], [texts.CMD_DISASTER, texts.CMD_JMA_RULE,
                                                                       texts.CMD_CHAIR_CHANGE]),
])
def test_help_for_officers_lists_the_shortcuts_their_role_may_use(line, demo, db, fake, who, has, lacks):
    out = line.text(who, texts.CMD_HELP)
    said = all_text(out)
    assert texts.VIEW_HELP_OFFICER in said
    for word in has:
        assert texts.VIEW_HELP_SHORTCUT.format(word=word, what=texts.VIEW_SHORTCUTS[word]) in said
        assert word in quick_labels(out[-1])
    for word in lacks:
        assert f"「{word}」" not in said and word not in quick_labels(out[-1])


def test_status_is_the_officers_status_and_a_resident_forging_it_is_refused(line, demo, db, fake):
    with replies_only(db, fake):
        assert all_text(view(line, SATO, "status")) == texts.OFFICERS_ONLY
        tapped = view(line, CHAIR, "status")
    assert all_text(tapped) == all_text(line.text(CHAIR, texts.CMD_STATUS))
    assert texts.STATUS_NONE in all_text(tapped)


@pytest.mark.parametrize("v", ["", "nope", "inquiries", "reports", "status ", "STATUS", "circulars&v=status",
                               "../status"])
def test_unknown_or_forged_view_is_a_stale_button(line, demo, db, fake, v):
    with replies_only(db, fake):
        assert all_text(line.postback(SATO, pb("view", v=v))) == texts.STALE_BUTTON
        assert all_text(line.postback(CHAIR, pb("view", v=v))) == texts.STALE_BUTTON
    assert all_text(line.postback(SATO, "a=view")) == texts.STALE_BUTTON


@pytest.mark.parametrize("v", ["circulars", "events", "safety", "me", "help", "family", "shelter", "status",
                               "inquiry", "report"])
def test_a_newcomer_gets_the_registration_answer(line, demo, db, fake, v):
    out = view(line, NEWCOMER, v)
    assert button(out, texts.AGREE)["data"].startswith("a=consent&v=1")
    with db.session() as s:
        assert s.scalar(select(Member).where(Member.line_user_id == NEWCOMER)) is None  # nothing written


def test_a_newcomer_typing_the_help_word_registers_and_keeps_the_question(line, demo, db, fake):
    assert button(line.text(NEWCOMER, texts.CMD_HELP), texts.AGREE)
    blocks = line.tap(NEWCOMER, line.text(NEWCOMER, "こんにちは"), texts.AGREE)
    name_q = line.tap(NEWCOMER, blocks, "2班")
    assert all_text(view(line, NEWCOMER, "circulars")) == all_text(name_q)  # the same question, not a restart
    assert all_text(line.text(NEWCOMER, texts.CMD_HELP)) == all_text(name_q)


def test_a_member_waiting_for_approval_hears_so(line, demo, db, fake):
    with db.session() as s:
        s.scalar(select(Member).where(Member.line_user_id == SATO)).status = MemberStatus.pending
    for v in ("circulars", "me", "status"):
        assert all_text(view(line, SATO, v)) == texts.WAITING_APPROVAL

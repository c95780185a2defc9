"""Issue 10: the README says how to run on another port, how approval and a second family member
work, what the one-shot forms skip and how the first chair's LINE user id is found, and links a
short guide for officers in Japanese whose every chat word is one the bot knows."""
from __future__ import annotations

import re
from pathlib import Path

from handlers.messages import texts

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
GUIDE = (ROOT / "docs" / "officer-guide.md").read_text("utf-8")
COMMANDS = {v for k, v in vars(texts).items() if k.startswith("CMD_") and isinstance(v, str)}


def test_the_readme_answers_the_operators_questions():
    for needed in ("make run PORT=8080", "kairan serve --port", "kairan members recent", "kairan roles grant",
                   "How the first chair's LINE user id is found", "How approval works", "second family member",
                   "What the one-shot forms skip", "fonts-noto-cjk", "fonts-ipafont-gothic",
                   "(docs/officer-guide.md)"):
        assert needed in README, needed


def test_the_guide_is_japanese_and_its_words_are_the_bots():
    assert GUIDE.startswith("# 役員・班長のための使い方ガイド")
    typed = set(re.findall(r"「([^「」]+)」と送", GUIDE))  # 「回覧」と送ります …
    assert {"回覧", "出欠", "状況", "集計", "災害モード", "安否状況", "災害モード終了", "管理画面", "承認待ち", "使い方"} <= typed
    assert typed - {"取消", "やめる"} <= COMMANDS, typed - COMMANDS
    assert {"取消", "やめる"} <= set(texts.CANCEL_WORDS)
    for label in (texts.SEND, texts.AGREE, texts.FULL_TEXT, texts.ADMIN_LOGIN_BUTTON):
        assert f"［{label}］" in GUIDE, label  # the buttons as they are labelled
    # the one-shot examples are forms the bot reads: each line of the event form has a known key
    event_form = GUIDE.split("```")[3].strip().splitlines()
    assert event_form[0].startswith(texts.CMD_EVENT + " ")
    assert all(line.split()[0] in texts.EV_FORM_KEYS for line in event_form[1:])


def test_the_guides_page_and_button_names_are_the_dashboards():
    """The guide names the dashboard's menu entries and sections as they are labelled."""
    for label in (texts.NAV_DRILLS, texts.NAV_MIMAMORI, texts.SAFETY_ASSIGN_TITLE, texts.RESPONDER_PLACE):
        assert label in GUIDE, label
    assert texts.SAFETY_ASSIGN_BUTTON.format(name="田中 実") in GUIDE

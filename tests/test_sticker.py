"""Issue 10: residents send stickers. The bot thanks an active member in one line and says where
things are — not the help text that suggests 退会; someone not registered gets the consent card as
for a text. The simulator sends a sticker message event of LINE's shape (its API accepts it, the
page has a [スタンプ] button), validated against LINE's webhook spec at the end of each test."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.dev.demo import demo_user_id
from handlers.messages import texts

from browser import exact
from chat import all_text, texts_of
from conftest import user_id
from served import HANAKO

SATO = demo_user_id("佐藤 花子")


def sticker(chat, user: str, package: str = "446", sticker_id: str = "1988") -> list[dict]:
    e = chat.base(user, "message")
    e["message"] = {"id": "st" + user[-8:], "type": "sticker", "packageId": package, "stickerId": sticker_id,
                    "stickerResourceType": "STATIC", "keywords": ["OK"], "quoteToken": "q" * 20}
    return chat._answer(user, e)


def test_a_members_sticker_is_thanked_without_the_help_text(chat, demo):
    reply = sticker(chat, SATO)
    assert all_text(reply) == texts.STICKER_THANKS
    assert "退会" not in all_text(reply) and texts.HELP_MEMBER not in all_text(reply)


def test_a_strangers_sticker_gets_the_consent_card(chat, demo):
    reply = sticker(chat, user_id("passer-by"))
    assert texts.AGREE in all_text(reply) and texts.STICKER_THANKS not in all_text(reply)


def test_the_simulator_api_sends_a_sticker_event(sim):
    out = sim.send(HANAKO, "sticker", packageId="446", stickerId="1989")
    m = out["event"]["message"]
    assert (m["type"], m["packageId"], m["stickerId"], m["stickerResourceType"]) == ("sticker", "446", "1989", "STATIC")
    assert m["quoteToken"] and m["keywords"] == ["ありがとう", "Thanks"]
    items = sim.new(HANAKO)
    mine = [i for i in items if i["from"] == "user" and i["kind"] == "sticker"]
    assert mine and mine[-1]["emoji"] == "🙇"
    assert texts.STICKER_THANKS in texts_of([i for i in items if i["from"] == "bot"])
    for bad in ({}, {"packageId": "446"}, {"packageId": "x", "stickerId": "1"}, {"packageId": "1", "stickerId": "1" * 30}):
        assert sim.post("/simulator/api/send", {"user_id": HANAKO, "kind": "sticker", **bad}).status_code == 400


@pytest.mark.usefixtures("browser_clock")
def test_the_sticker_button_in_the_simulator_page(chrome, sim):
    page = chrome.page
    page.goto(f"{sim.url}/simulator?open={HANAKO}")
    pane = page.locator(f'section.pane[data-user-id="{HANAKO}"]')
    pane.locator("button.sticker-tool").click()
    page.locator(".sticker-choice").first.click()
    expect(pane.locator(".row.me .sticker"), "the sticker as her own message").to_have_count(1)
    expect(pane.locator(".chat").first, "the bot's thanks").to_contain_text(texts.STICKER_THANKS, use_inner_text=True)
    assert exact(pane, ".row.me .sticker-word", "OK").count() == 1
    assert chrome.errors() == []


def test_the_simulator_serves_a_japanese_font_for_a_bare_linux(sim):
    resp = sim.get("/simulator/font")
    assert resp.status_code == 200 and resp.headers["Content-Type"] in ("font/otf", "font/ttf")
    assert resp.content[:4] in (b"OTTO", b"\x00\x01\x00\x00") and len(resp.content) > 1_000_000  # a whole CJK font
    css = sim.get("/static/simulator.css").text
    assert 'src: url("../simulator/font")' in css and '"Kairan JP", sans-serif' in css  # last, before the default

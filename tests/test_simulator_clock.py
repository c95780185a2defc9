"""The simulator's clock (issue 17's "Done when", issue 14's drills): [＋1時間] [＋3時間] [＋1日] move the
bot's clock forward in the served simulator, and the timed jobs (reminders, re-asks, planned drills,
見守り) run at once on it — so a 見守り ladder that takes hours is shown in a few taps, through the
same webhook, outbox and fake LINE as everything else. Never backwards; only in simulator mode."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from handlers.messages.codec import pb
from models.base import clock_shift

from chat import all_text

JST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 12, 2, 19, 30, tzinfo=JST)  # a Wednesday evening: she enrols
NAKAMURA = demo_user_id("中村 幸子")  # 2班, 要支援
LEADER2 = demo_user_id("田中 実")  # 2班の班長
FAMILY = "U" + "f" * 32  # her daughter, outside the association


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as t:
        yield t


def move(sim, minutes: int) -> dict:
    resp = sim.post("/simulator/api/clock", {"minutes": minutes})
    assert resp.status_code == 200, resp.text
    return resp.json()


def newest(sim, user: str, title: str) -> list[dict]:
    hits = [i for i in sim.bot(user) if title in all_text([i])]
    assert hits, (user, title)
    return hits[-1:]


def test_the_clock_only_moves_forward_and_within_a_week(sim, frozen):
    assert sim.get("/simulator/api/clock").json() == {"now": "2026-12-02T19:30+09:00", "shifted_minutes": 0}
    for bad in (0, -60, 7 * 24 * 60 + 1, "60", 1.5, True, None):
        assert sim.post("/simulator/api/clock", {"minutes": bad}).status_code == 400, bad
    assert sim.http.post(sim.url + "/simulator/api/clock", json={"minutes": 60}).status_code == 403  # no header
    assert move(sim, 90)["now"] == "2026-12-02T21:00+09:00"
    assert sim.get("/simulator/api/clock").json() == {"now": "2026-12-02T21:00+09:00", "shifted_minutes": 90}
    page = sim.get("/simulator").text
    assert 'data-minutes="60"' in page and 'data-minutes="1440"' in page


def test_mimamori_done_when_in_the_simulator(sim, frozen):
    """An enrolled resident taps 元気です one day and stays silent the next; the escalation reaches
    her family member and then the 班長, who reports 連絡がとれました."""
    sim.postback(NAKAMURA, pb("view", v="me"))
    sim.tap(NAKAMURA, sim.new(NAKAMURA), texts.VIEW_LABELS["mimamori"])
    sim.tap(NAKAMURA, sim.new(NAKAMURA), texts.MM_START)
    sim.tap(NAKAMURA, sim.new(NAKAMURA), "9:00")
    sim.tap(NAKAMURA, sim.new(NAKAMURA), "毎日")
    sim.tap(NAKAMURA, sim.new(NAKAMURA), "班長と民生委員")
    sim.tap(NAKAMURA, sim.new(NAKAMURA), texts.MM_AGREE)
    code = re.search(r"見守り家族 (\d{8})", all_text(sim.new(NAKAMURA))).group(1)
    sim.text(FAMILY, f"見守り家族 {code}")
    assert texts.MM_FAMILY_JOINED.format(name="中村 幸子") in all_text(sim.new(FAMILY))

    moved = move(sim, 13 * 60 + 30)  # Thursday 9:00: the check
    assert moved["now"] == "2026-12-03T09:00+09:00" and moved["ran"]["mimamori.tick"] == 1
    sim.tap(NAKAMURA, newest(sim, NAKAMURA, texts.MM_CHECK), texts.MM_FINE)
    assert texts.MM_THANKS in all_text(sim.new(NAKAMURA))

    move(sim, 24 * 60)  # Friday 9:00: the check again; she does not answer
    assert newest(sim, NAKAMURA, texts.MM_CHECK)
    move(sim, 3 * 60)  # 12:00: her own reminder
    assert newest(sim, NAKAMURA, texts.MM_REMINDER)
    assert not sim.bot(FAMILY)
    move(sim, 2 * 60)  # 14:00: her daughter
    alert = newest(sim, FAMILY, "中村 幸子さん（2班）")
    assert not [i for i in sim.bot(LEADER2) if texts.MM_ALERT_TITLE in all_text([i])]
    assert alert
    move(sim, 30)  # 14:30: no answer from the daughter: the 班長
    leader = newest(sim, LEADER2, texts.MM_ALERT_TITLE)
    sim.tap(LEADER2, leader, texts.MM_CONTACT)
    assert texts.MM_CONTACT_NOTED in all_text(sim.new(LEADER2))
    sim.dispatch()
    assert "田中 実" in all_text(sim.bot(FAMILY))  # the daughter hears who made contact
    assert move(sim, 2 * 60)["ran"]["mimamori.tick"] == 0  # the ladder stopped
    assert clock_shift() == dt.timedelta(minutes=13 * 60 + 30 + 24 * 60 + 3 * 60 + 2 * 60 + 30 + 2 * 60)

"""Isolation in the chat: a member of association A who sends a postback carrying association B's
ids (circular, event, receipt, household, member, 班, draft, disaster) gets a polite refusal, sees
nothing of B, and nothing of B changes; so do typed words that name something of B.

Every action registered on the router has a case (`CASES`); test_every_postback_action_has_a_case
fails when a new action has none. Each case runs for a resident of A and for each officer of A whose
role the action is for (the router refuses the others: OFFICERS_ONLY). After each tap: B's rows are
as before (every table with an association id), no row of A points at a row of B, no outbox row
reaches anyone of B, no name or title of B is in the reply; and where the answer is a refusal, A's
rows are as before too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import pytest

import handlers.chat  # noqa: F401 - registers every capability on the router
from handlers.framework.router import router
from handlers.messages import texts
from handlers.messages.codec import pb
from handlers.safety.common import STARTERS
from models import OFFICER_ROLES, ChannelRef, Household, Role

from chat import all_text
from isolation_kit import (  # noqa: F401 - clock is a fixture
    T0, World, build, changed, clock, cross_links, foreign_pushes, last_outbox_id, leaked_words, snapshot, user_of)

NEWCOMER = user_of("a", "newcomer")  # a LINE user on A's channel who is no member yet
ACTOR_ROLES = {"resident": Role.member, "chair": Role.chair, "leader": Role.block_leader,
               "bosai": Role.disaster_officer, "newcomer": None}
# answers that refuse: after them, A's rows are as before too (the quota figure aside: the harness
# refreshes it before a [送信], as bot/inbox.py does)
REFUSALS = {texts.CIRCULAR_GONE, texts.EV_GONE, texts.STALE_BUTTON, texts.STALE_DRAFT, texts.ALREADY_HANDLED,
            texts.SAFETY_CLOSED, texts.DISASTER_NONE, texts.OFFICERS_ONLY, texts.UNLINK_ALREADY,
            texts.EV_PROXY_NONE, texts.JOIN_CODE_UNKNOWN, texts.EV_BAD_TARGET, texts.NOTICE_NOT_FOR_YOU,
            texts.CITY_STAFF_ONLY, texts.RPT_NOT_FOUND, texts.MM_NOT_YOURS}
NO_REPLY = ""  # expect: nothing answered


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


@dataclass(frozen=True)
class Case:
    name: str
    action: str
    data: Callable[[World], dict]  # the postback's fields but "a", built from the world's ids
    expect: Optional[str]  # the (first) reply's text for an actor the router lets through; None: any answer
    officers: tuple[str, ...] = ()  # A's officers who tap it too (besides the resident)
    actor: str = "resident"
    before: Optional[Callable[[World], list[str]]] = None  # postbacks the actor sends first
    xfail: Optional[str] = None


def _consent(w: World) -> list[str]:
    return [pb("consent", v=1, p="x")]


BOARD = ("chair", "leader")  # OFFICER_ROLES: a board member and a block leader (their own 班 only)
STARTING = ("chair", "bosai")  # the disaster mode's starters

CASES = [
    # 回覧: residents
    Case("read", "read", lambda w: {"c": w.b.circular}, texts.CIRCULAR_GONE, ("chair",)),
    Case("full", "full", lambda w: {"c": w.b.circular}, texts.CIRCULAR_GONE, ("chair",)),
    # 回覧: B's draft in every button of the drafting flow
    *[Case(f"circ_{what}", f"circ_{what}", (lambda extra: lambda w: {"c": w.b.circular_draft, **extra(w)})(extra),
           texts.STALE_DRAFT, BOARD)
      for what, extra in (("set", lambda w: {"f": "title", "v": "x"}), ("block", lambda w: {"b": w.b.blocks[0]}),
                          ("block_page", lambda w: {"o": 0}), ("blocks_done", lambda w: {}),
                          ("cancel", lambda w: {}), ("edit", lambda w: {}), ("field", lambda w: {"f": "title"}),
                          ("send", lambda w: {"v": 1}))],
    # A's own draft with B's 班: not taken, and said so
    Case("circ_block own draft, B's block", "circ_block", lambda w: {"c": w.a.circular_draft, "b": w.b.blocks[0]},
         texts.STALE_BUTTON, ("chair",)),
    # 出欠: residents and proxies
    Case("ev_info", "ev_info", lambda w: {"e": w.b.event}, texts.EV_GONE, ("chair",)),
    Case("ev_ans", "ev_ans", lambda w: {"e": w.b.event, "v": "yes"}, texts.EV_GONE, ("chair",)),
    Case("ev_cnt", "ev_cnt", lambda w: {"d": w.b.event_receipts["resident"], "n": 2}, texts.STALE_BUTTON, ("chair",)),
    Case("ev_cnt proxy", "ev_cnt", lambda w: {"d": w.b.event_receipts["paper"], "n": 2, "p": 1}, texts.STALE_BUTTON,
         ("chair",)),
    Case("ev_note", "ev_note", lambda w: {"d": w.b.event_receipts["resident"]}, texts.STALE_BUTTON, ("chair",)),
    Case("ev_note proxy", "ev_note", lambda w: {"d": w.b.event_receipts["paper"], "p": 1}, texts.STALE_BUTTON,
         ("chair",)),
    Case("ev_pans", "ev_pans", lambda w: {"d": w.b.event_receipts["paper"], "v": "yes"}, texts.STALE_BUTTON, BOARD),
    Case("ev_pick", "ev_pick", lambda w: {"d": w.b.event_receipts["paper"]}, texts.STALE_BUTTON, BOARD),
    Case("ev_proxy", "ev_proxy", lambda w: {"e": w.b.event, "b": w.b.blocks[1]}, texts.EV_GONE, BOARD),
    Case("ev_proxy own event, B's block", "ev_proxy", lambda w: {"e": w.a.event, "b": w.b.blocks[1]},
         texts.EV_PROXY_NONE, ("chair",)),
    # 出欠: B's draft in every button of the drafting flow
    *[Case(f"ev_{what}", f"ev_{what}", (lambda extra: lambda w: {"e": w.b.event_draft, **extra(w)})(extra),
           texts.STALE_DRAFT, BOARD)
      for what, extra in (("set", lambda w: {"f": "name", "v": "x"}), ("block", lambda w: {"b": w.b.blocks[0]}),
                          ("block_page", lambda w: {"o": 0}), ("blocks_done", lambda w: {}),
                          ("cancel", lambda w: {}), ("edit", lambda w: {}), ("field", lambda w: {"f": "name"}),
                          ("send", lambda w: {"v": 1}))],
    Case("ev_block own draft, B's block", "ev_block", lambda w: {"e": w.a.event_draft, "b": w.b.blocks[0]},
         texts.STALE_BUTTON, ("chair",)),
    # registration: B's applicant, household, member, 班
    Case("approve", "approve", lambda w: {"m": w.b.members["pending"]}, texts.ALREADY_HANDLED, BOARD),
    Case("approve_to", "approve_to", lambda w: {"m": w.b.members["pending"], "h": w.b.households["paper"]},
         texts.ALREADY_HANDLED, BOARD),
    Case("approve_to own applicant, B's household", "approve_to",
         lambda w: {"m": w.a.members["pending"], "h": w.b.households["paper"]}, texts.STALE_BUTTON, ("chair",)),
    Case("reject", "reject", lambda w: {"m": w.b.members["pending"]}, texts.ALREADY_HANDLED, BOARD),
    Case("unlink", "unlink", lambda w: {"m": w.b.members["resident2"], "h": w.b.households["resident2"], "o": 1},
         texts.STALE_BUTTON, BOARD),
    Case("unlink B's member from an own household", "unlink",
         lambda w: {"m": w.b.members["resident2"], "h": w.a.households["resident2"], "o": 1},
         texts.UNLINK_ALREADY, ("chair",)),
    Case("consent", "consent", lambda w: {"v": 1, "p": "x", "m": w.b.members["pending"], "b": w.b.blocks[0]},
         None, actor="newcomer"),
    Case("reg_block", "reg_block", lambda w: {"b": w.b.blocks[0]}, texts.STALE_BUTTON, actor="newcomer",
         before=_consent),
    Case("reg_blocks", "reg_blocks", lambda w: {"o": 0, "b": w.b.blocks[0]}, None, actor="newcomer",
         before=_consent),
    # the city channel's picker (地区 → 自治会): on a channel of one association there is nothing
    # to pick, and B cannot be picked from A's channel
    *[Case(action, action, (lambda extra: lambda w: extra(w))(extra), texts.STALE_BUTTON, actor="newcomer",
           before=_consent)
      for action, extra in (("reg_assoc", lambda w: {"s": w.b.id}), ("reg_assocs", lambda w: {"o": 0}),
                            ("reg_district", lambda w: {"d": "西地区"}), ("reg_districts", lambda w: {"o": 0}),
                            ("reg_redistrict", lambda w: {}), ("reg_repick", lambda w: {"s": w.b.id}))],
    # 退会 acts on the one who taps it, whatever the data says
    Case("withdraw", "withdraw", lambda w: {"v": 1, "m": w.b.members["resident"]}, texts.WITHDRAWN),
    # disaster mode: B's disaster and households
    Case("sf", "sf", lambda w: {"d": w.b.disaster, "s": "safe"}, texts.SAFETY_CLOSED, ("chair",)),
    Case("sf_n", "sf_n", lambda w: {"d": w.b.disaster, "n": 3}, texts.SAFETY_CLOSED, ("chair",)),
    Case("sfp", "sfp", lambda w: {"d": w.b.disaster}, texts.SAFETY_CLOSED, BOARD),
    Case("sfp_h", "sfp_h", lambda w: {"d": w.b.disaster, "h": w.b.households["paper"]}, texts.SAFETY_CLOSED, BOARD),
    Case("sfp_h own disaster, B's household", "sfp_h", lambda w: {"d": w.a.disaster, "h": w.b.households["paper"]},
         texts.STALE_BUTTON, BOARD),
    Case("sfp_s", "sfp_s", lambda w: {"d": w.b.disaster, "h": w.b.households["paper"], "s": "rescue"},
         texts.SAFETY_CLOSED, BOARD),
    Case("sfp_s own disaster, B's household", "sfp_s",
         lambda w: {"d": w.a.disaster, "h": w.b.households["paper"], "s": "rescue"}, texts.STALE_BUTTON, BOARD),
    Case("dm_end", "dm_end", lambda w: {"d": w.b.disaster}, texts.DISASTER_NONE, STARTING),
    Case("dm_end_no", "dm_end_no", lambda w: {"d": w.b.disaster}, texts.CANCELLED, STARTING),
    # the start's draft is the dialog's own data: no id to forge; outside the dialog the buttons are stale
    Case("dm_set", "dm_set", lambda w: {"f": "kind", "v": "quake", "d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    Case("dm_send", "dm_send", lambda w: {"d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    Case("dm_cancel", "dm_cancel", lambda w: {"d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    # drills (訓練, issue 14): the same, and B's planned drill is not A's to call off
    Case("dr_set", "dr_set", lambda w: {"f": "kind", "v": "quake", "d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    Case("dr_send", "dr_send", lambda w: {"d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    Case("dr_cancel", "dr_cancel", lambda w: {"d": w.b.disaster}, texts.STALE_BUTTON, STARTING),
    # needs and who goes (issue 14): B's disaster, B's assignment (its responder is B's 班長)
    Case("sf_need", "sf_need", lambda w: {"d": w.b.disaster, "k": "medicine"}, texts.SAFETY_CLOSED, ("chair",)),
    Case("sfr", "sfr", lambda w: {"i": w.b.assignment, "o": "safe"}, texts.STALE_BUTTON, BOARD),
    Case("sfr rescue", "sfr", lambda w: {"i": w.b.assignment, "o": "rescue"}, texts.STALE_BUTTON, ("leader",)),
    Case("dr_plan_no", "dr_plan_no", lambda w: {"p": w.b.drill_plan}, texts.STALE_BUTTON, STARTING),
    # 市からのお知らせ: B's chair's notice is not A's to read; a notice draft is only city staff's
    Case("nread", "nread", lambda w: {"n": w.b.notice}, texts.NOTICE_NOT_FOR_YOU, ("chair",)),
    Case("nfull", "nfull", lambda w: {"n": w.b.notice}, texts.NOTICE_NOT_FOR_YOU, ("chair",)),
    *[Case(f"ntc_{what}", f"ntc_{what}", (lambda extra: lambda w: {"n": w.b.notice_draft, **extra})(extra),
           texts.CITY_STAFF_ONLY, BOARD)
      for what, extra in (("set", {"f": "whom", "v": "chairs"}), ("cancel", {}), ("edit", {}),
                          ("field", {"f": "title"}), ("send", {"v": 1}))],
    # 会長交代: the dialog's own data (no id to forge); outside the dialog the buttons are stale
    # (the dialog's step is checked before its role: a resident gets the stale answer too)
    Case("chg_since", "chg_since", lambda w: {"v": "today", "a": w.b.id}, texts.STALE_BUTTON, actor="chair"),
    Case("chg_ok", "chg_ok", lambda w: {"v": 1, "a": w.b.id}, texts.STALE_BUTTON, actor="chair"),
    # 訂正・中止・延期 (handlers/corrections.py): B's sent circular or event, or B's draft; the
    # confirm's buttons carry no ids (the dialog holds them): without an own dialog, stale
    Case("fix circular", "fix", lambda w: {"k": "c", "i": w.b.circular, "x": "correct"}, texts.CIRCULAR_GONE, BOARD),
    Case("fix circular draft", "fix", lambda w: {"k": "c", "i": w.b.circular_draft, "x": "correct"},
         texts.CIRCULAR_GONE, BOARD),
    Case("fix event", "fix", lambda w: {"k": "e", "i": w.b.event}, texts.EV_GONE, BOARD),
    Case("fix event cancel", "fix", lambda w: {"k": "e", "i": w.b.event, "x": "cancel"}, texts.EV_GONE, BOARD),
    Case("fix event draft", "fix", lambda w: {"k": "e", "i": w.b.event_draft, "x": "postpone"}, texts.EV_GONE, BOARD),
    Case("fix_send", "fix_send", lambda w: {"k": "c", "i": w.b.circular}, texts.STALE_BUTTON, BOARD),
    Case("fix_stop", "fix_stop", lambda w: {"k": "e", "i": w.b.event}, texts.STALE_BUTTON, BOARD),
    # jma: the question a JMA telegram asked is the association's own; the rule is A's (none here)
    Case("jma_go B's question", "jma_go", lambda w: {"s": w.b.jma_start}, texts.STALE_BUTTON, STARTING),
    Case("jma_no B's question", "jma_no", lambda w: {"s": w.b.jma_start}, texts.STALE_BUTTON, STARTING),
    Case("jma_mode", "jma_mode", lambda w: {"v": "auto", "s": w.b.jma_start}, texts.JMA_RULE_NONE, STARTING),
    Case("jma_int", "jma_int", lambda w: {"v": "5+", "s": w.b.jma_start}, texts.JMA_RULE_NONE, STARTING),
    # the pull views (issue 13): what they show is the tapper's own household's; ids in the data
    # (B's circular, event, household, disaster) decide nothing, and nothing of B is named
    *[Case(f"view {v}", "view", (lambda v: lambda w: {"v": v, "c": w.b.circular, "e": w.b.event,
                                                       "h": w.b.households["resident"], "d": w.b.disaster})(v),
           None, ("chair", "leader", "bosai"))
      for v in ("circulars", "events", "safety", "me", "help", "family", "shelter", "status", "mimamori")],
    Case("view circulars, B's paging", "view", lambda w: {"v": "circulars", "k": "other", "o": w.b.circular}, None,
         ("chair",)),
    Case("view unknown", "view", lambda w: {"v": f"circular{w.b.circular}"}, texts.STALE_BUTTON, ("chair",)),
    Case("view newcomer", "view", lambda w: {"v": "circulars", "c": w.b.circular}, None, actor="newcomer"),
    # 通報 (handlers/reports): B's report in every button; the flow's buttons without A's dialog are stale
    Case("rp_wd B's report", "rp_wd", lambda w: {"r": w.b.report}, texts.RPT_NOT_FOUND, ("chair",)),
    Case("rp_wd2 B's report", "rp_wd2", lambda w: {"r": w.b.report}, texts.RPT_NOT_FOUND, ("chair",)),
    Case("rp_mine", "rp_mine", lambda w: {}, None, ("chair",)),
    Case("rp_same B's report", "rp_same", lambda w: {"r": w.b.report}, texts.STALE_BUTTON, ("chair",)),
    Case("rp_send B's report", "rp_send", lambda w: {"r": w.b.report}, texts.STALE_BUTTON, ("chair",)),
    *[Case(action, action, lambda w: {"c": 0}, texts.STALE_BUTTON, ("chair",))
      for action in ("rp_cat", "rp_next", "rp_nocom", "rp_other", "rp_stop")],
    # 問い合わせ (handlers/inquiries): B's inquiry is stale for A's officers (a resident: officers only);
    # [送信する] of both dialogs without the dialog open is stale
    Case("inq_reply B's inquiry", "inq_reply", lambda w: {"i": w.b.inquiry}, texts.STALE_BUTTON, BOARD),
    Case("inq_send no dialog", "inq_send", lambda w: {}, texts.STALE_BUTTON, ("chair",)),
    Case("inq_rsend no dialog", "inq_rsend", lambda w: {"i": w.b.inquiry}, texts.STALE_BUTTON, BOARD, actor="chair"),
    # families and join codes (issue 10): B's household's code, B's applicant, B's event
    Case("reissue", "reissue", lambda w: {"h": w.b.households["resident2"]}, texts.STALE_BUTTON, BOARD),
    Case("reject_do", "reject_do", lambda w: {"m": w.b.members["pending"]}, texts.ALREADY_HANDLED, BOARD),
    Case("reject_keep", "reject_keep", lambda w: {"m": w.b.members["pending"]}, texts.REJECT_KEPT, BOARD),
    Case("ev_keep", "ev_keep", lambda w: {"e": w.b.event}, texts.STALE_BUTTON, ("chair",)),
    # 見守り (issue 17): B's enrolment, watcher and check in every button; the enrolment dialog's
    # buttons without the dialog open are stale; [申し込む] opens A's own dialog, whatever the data says
    Case("mm_new", "mm_new", lambda w: {"e": w.b.mimamori}, texts.MM_ASK_HOUR, ("chair",)),
    Case("mm_change", "mm_change", lambda w: {"e": w.b.mimamori}, texts.MM_NOT_ENROLLED, ("chair",)),
    Case("mm_for B's member", "mm_for", lambda w: {"m": w.b.members["resident2"]}, texts.MM_NOT_YOURS, ("chair",)),
    *[Case(action, action, (lambda extra: lambda w: extra)(extra), texts.STALE_BUTTON, ("chair",))
      for action, extra in (("mm_hour", {"h": 9}), ("mm_days", {"d": "daily"}), ("mm_who", {"w": "both"}),
                            ("mm_agree", {}))],
    Case("mm_leave B's enrolment", "mm_leave", lambda w: {"e": w.b.mimamori}, texts.MM_NOT_YOURS, ("chair",)),
    Case("mm_unwatch B's watcher", "mm_unwatch", lambda w: {"w": w.b.mimamori_watcher}, texts.MM_NOT_YOURS,
         ("chair",)),
    Case("mm_drop B's watcher", "mm_drop", lambda w: {"w": w.b.mimamori_watcher}, texts.MM_FAMILY_GONE,
         ("chair",)),
    Case("mm_ans B's check", "mm_ans", lambda w: {"c": w.b.mimamori_check, "v": "fine"}, texts.MM_NOT_YOURS,
         ("chair",)),
    Case("mm_need B's check", "mm_need", lambda w: {"c": w.b.mimamori_check, "v": "talk"}, texts.MM_NOT_YOURS,
         ("chair",)),
    Case("mm_out B's check", "mm_out", lambda w: {"c": w.b.mimamori_check, "v": "contact"}, texts.MM_NOT_YOURS,
         BOARD),
]


def _expectations(case: Case) -> list[tuple[str, Optional[str]]]:
    """(actor, the answer they get) for each actor of the case: the router refuses a role it is not for."""
    route = router.postbacks[case.action]
    return [(actor, case.expect if route.roles is None or ACTOR_ROLES[actor] in route.roles else texts.OFFICERS_ONLY)
            for actor in (case.actor,) + case.officers]


def _cases():
    for case in CASES:
        yield pytest.param(case, id=case.name,
                           marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [])


@pytest.fixture
def world(db) -> World:
    with db.session() as s:
        return build(s, T0)


def _state(db, w: World):
    with db.session() as s:
        return snapshot(s, w.b.id), snapshot(s, w.a.id), last_outbox_id(s)


def _untouched(db, w: World, before_b, before_a, outbox, refused: bool, who: str) -> None:
    with db.session() as s:
        after_b, after_a = snapshot(s, w.b.id), snapshot(s, w.a.id)
        assert changed(before_b, after_b) == {}, f"B's rows changed ({who})"
        assert cross_links(s) == [], who
        assert foreign_pushes(s, w, outbox) == [], who
    if refused:
        assert {t: n for t, n in changed(before_a, after_a).items() if t != "line_quota"} == {}, \
            f"A's rows changed ({who})"


@pytest.mark.parametrize("case", list(_cases()))
def test_a_postback_with_the_other_associations_ids_is_refused_and_changes_nothing(chat, world, db, case):
    """Each actor in turn (a refusal changes nothing, so they share one world)."""
    w = world
    for actor, expect in _expectations(case):
        user = NEWCOMER if actor == "newcomer" else w.a.user(actor)
        for data in (case.before(w) if case.before else []):
            chat.postback(user, data)
        before_b, before_a, outbox = _state(db, w)
        replies = chat.postback(user, pb(case.action, **case.data(w)))
        said = all_text(replies)
        if expect == NO_REPLY:
            assert replies == [], actor
        elif expect is not None:
            assert replies and all_text(replies[:1]) == expect, (actor, said)
        assert leaked_words(said, w.b) == [], (actor, said)
        _untouched(db, w, before_b, before_a, outbox, refused=expect in REFUSALS, who=actor)


def test_every_postback_action_has_a_case():
    """A new postback action must get an isolation case here (with B's ids in its data)."""
    covered = {c.action for c in CASES}
    assert sorted(set(router.postbacks) - covered) == [], "postback actions without an isolation case"
    assert sorted(covered - set(router.postbacks)) == [], "cases of actions that no longer exist"


def test_officer_cases_name_every_role_the_router_lets_through():
    """Each officer action runs for an officer the router lets through (not only for the refused resident)."""
    for c in CASES:
        roles = router.postbacks[c.action].roles
        if roles is not None:
            assert any(ACTOR_ROLES[a] in roles for a in (c.actor,) + c.officers), c.name
    assert set(STARTERS) <= set(OFFICER_ROLES)


# --- typed words that name something of B ---------------------------------------------------
def _join_code(db, household_id: int) -> str:
    with db.session() as s:
        return s.get(Household, household_id).join_code


def test_b_s_join_code_does_not_register_anyone_in_b(chat, world, db):
    w = world
    chat.postback(NEWCOMER, pb("consent", v=1, p="x"))
    before_b, before_a, outbox = _state(db, w)
    code = _join_code(db, w.b.households["resident2"])
    replies = chat.text(NEWCOMER, f"{texts.CMD_JOIN_CODE} {code}")
    assert all_text(replies) == texts.JOIN_CODE_UNKNOWN
    assert leaked_words(all_text(replies), w.b) == []
    with db.session() as s:
        assert changed(before_b, snapshot(s, w.b.id)) == {}
        assert cross_links(s) == [] and foreign_pushes(s, w, outbox) == []


def test_a_name_of_b_typed_at_registration_links_nobody_of_b(chat, world, db):
    """The 班 picker offers A's 班 only; B's representative's name, typed in A's 班, goes to A's approval."""
    w = world
    blocks = chat.postback(NEWCOMER, pb("consent", v=1, p="x"))
    offered = [a.get("label") for m in blocks for a in [i["action"] for i in m.get("quickReply", {}).get("items", [])]]
    assert offered == list(("1班", "2班")) and leaked_words(all_text(blocks), w.b) == []
    chat.postback(NEWCOMER, pb("reg_block", b=w.a.blocks[1]))
    before_b, _, outbox = _state(db, w)
    replies = chat.text(NEWCOMER, "西原 節子")  # B's paper household, in B's 南班
    assert all_text(replies) == texts.PENDING
    with db.session() as s:
        assert changed(before_b, snapshot(s, w.b.id)) == {}
        assert cross_links(s) == [] and foreign_pushes(s, w, outbox) == []
    rows = [r for r in chat.outbox() if r.id > outbox]
    assert rows and {r.association_id for r in rows} == {w.a.id}  # the approval request goes to A's officers


def test_b_s_block_names_in_the_event_form_are_not_taken(chat, world, db):
    w = world
    chair = w.a.user("chair")
    before_b, _, outbox = _state(db, w)
    replies = chat.text(chair, f"{texts.CMD_EVENT} 防災訓練\n対象 北班")
    assert texts.EV_BAD_TARGET in all_text(replies)
    assert leaked_words(all_text(replies), w.b) == []
    with db.session() as s:
        assert changed(before_b, snapshot(s, w.b.id)) == {}
        assert cross_links(s) == [] and foreign_pushes(s, w, outbox) == []


@pytest.mark.parametrize("word", [texts.CMD_STATUS, texts.CMD_RESULTS, texts.CMD_SAFETY_STATUS, texts.CMD_ADMIN,
                                  texts.CMD_CIRCULAR, texts.CMD_EVENT, texts.CMD_DISASTER_END])
def test_officer_commands_show_their_own_association_only(chat, world, db, word):
    """「状況」「集計」「安否状況」…: A's chair sees A's figures and names, never B's."""
    w = world
    before_b, _, outbox = _state(db, w)
    replies = chat.text(w.a.user("chair"), word)
    assert replies
    assert leaked_words(all_text(replies), w.b) == [], all_text(replies)
    with db.session() as s:
        assert changed(before_b, snapshot(s, w.b.id)) == {}
        assert cross_links(s) == [] and foreign_pushes(s, w, outbox) == []


# --- one LINE user in two associations ------------------------------------------------------
def test_a_registration_begun_in_one_association_does_not_go_on_in_the_other(chat, db):
    """The same LINE user (one provider: the same user id on both channels) registers in B, then in
    A; what they type on B's channel must not be matched against A's 班."""
    with db.session() as s:
        w = build(s, T0, b_channel=True)
    on_b = ChannelRef(w.b.channel_id, "association", w.b.id)
    chat.channel = on_b
    chat.postback(NEWCOMER, pb("consent", v=1, p="x"))  # B: registering, at the 班 question
    chat.channel = None
    chat.postback(NEWCOMER, pb("consent", v=1, p="x"))  # A: registering too
    chat.postback(NEWCOMER, pb("reg_block", b=w.a.blocks[1]))  # A's 2班: the name is asked
    with db.session() as s:
        before_a, outbox = snapshot(s, w.a.id), last_outbox_id(s)
    chat.channel = on_b
    chat.text(NEWCOMER, "岡本 和子")  # on B's channel: A's paper household's name
    with db.session() as s:
        assert cross_links(s) == []
        assert foreign_pushes(s, w, outbox) == []
        assert changed(before_a, snapshot(s, w.a.id)) == {}

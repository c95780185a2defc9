"""Registration on a city channel: the resident picks their association (地区 → 自治会 → 班, or a
登録コード looked up across the channel), registers and is approved there, and from then on is
scoped to it; 「退会」 and re-registration elsewhere work.

Router level (tests/harness.py `chat`, with `chat.channel` the city channel; every act is its own
transaction and resolves who is talking from the database, as bot/inbox.py does): routing a city
channel's webhook `destination` through POST /callback is the channels part of issue 11.
"""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select
from stdnum import damm

from handlers.messages import texts
from models import (Association, AuditLog, Base, DialogState, Household, JoinAttempt, Member, MemberStatus, OutboxMessage,
                    Role)

from handlers.framework.router import router

from chat import all_text, button
from city_kit import make_city, many, uid

PAUSED = texts.JOIN_CODE_PAUSED.split("{")[0]  # 「…{until}…」: its words before the time
T0 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def chips(reply):
    return [i["action"]["label"] for i in reply[-1]["quickReply"]["items"]]


def rows(db, model, *where):
    with db.session() as s:
        out = s.scalars(select(model).where(*where).order_by(model.id)).all()
        s.expunge_all()
        return out


def member_of(db, who):
    return rows(db, Member, Member.line_user_id == who)


def consent(chat, who):
    return chat.tap(who, chat.follow(who), texts.AGREE)


# --- the picker ------------------------------------------------------------------------------------
def test_follow_greets_with_the_city_and_a_refusal_stores_nothing(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    who = uid("refuser")
    card = chat.follow(who)
    assert texts.WELCOME_TITLE.format(association="みどり市") in all_text(card)
    assert texts.CITY_DECLINED in all_text(chat.tap(who, card, texts.DISAGREE))
    assert member_of(db, who) == [] and rows(db, DialogState) == []


def test_district_then_association_then_block_then_name(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    who = uid("watanabe")
    q = consent(chat, who)
    assert texts.ASK_DISTRICT in all_text(q)
    assert chips(q) == ["北地区", "南地区", texts.DISTRICT_OTHER]  # no 地区: 「その他」, last
    assert member_of(db, who) == []  # the consent waits in the dialog until an association is known
    (d,) = rows(db, DialogState)
    assert d.association_id is None and d.step == "district" and d.data["consent_at"]

    q = chat.tap(who, q, "北地区")
    assert texts.ASK_ASSOCIATION_IN.format(district="北地区") in all_text(q)
    assert chips(q) == ["東町自治会", "西町自治会", texts.REPICK_DISTRICT]
    q = chat.tap(who, q, "西町自治会")
    west = city.by_name("西町自治会")
    assert texts.ASSOCIATION_CHOSEN.format(association="西町自治会") in all_text(q)
    assert chips(q) == ["1班", "2班", texts.REPICK_ASSOCIATION]
    (d,) = rows(db, DialogState)
    assert d.association_id == west.id  # the next event (any worker) resolves to 西町
    (m,) = member_of(db, who)
    assert m.association_id == west.id and m.status == MemberStatus.registering and m.consent_at is not None

    chat.tap(who, q, "1班")
    done = chat.text(who, "石井　花子")  # a roster household of 西町's 1班
    assert "登録が完了しました" in all_text(done)
    (m,) = member_of(db, who)
    assert m.status == MemberStatus.active and m.household_id == west.households["石井 花子"]
    (notice,) = chat.outbox()  # the 班長 and the officers of 西町, with [取り消す]; nobody else's
    assert notice.association_id == west.id and notice.channel_id == city.channel.id
    assert set(notice.recipients) == {west.chair, west.leader1}
    assert rows(db, DialogState) == []


def test_a_district_of_one_association_skips_the_association_question(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    who = uid("south")
    q = chat.tap(who, consent(chat, who), "南地区")
    assert texts.ASSOCIATION_CHOSEN.format(association="南町自治会") in all_text(q)
    assert member_of(db, who)[0].association_id == city.by_name("南町自治会").id
    other = uid("other")
    q = chat.tap(other, consent(chat, other), texts.DISTRICT_OTHER)  # the one without a 地区
    assert texts.ASSOCIATION_CHOSEN.format(association="緑ヶ丘団地自治会") in all_text(q)


def test_fifteen_associations_page_past_thirteen(chat, db):
    city = make_city(db, many(15))
    chat.channel = city.channel
    who = uid("paging")
    q = consent(chat, who)  # one 地区 only: straight to the association question
    assert texts.ASK_ASSOCIATION in all_text(q)
    assert chips(q) == [f"第{i:02d}町会" for i in range(1, 12)] + [texts.NEXT]
    q2 = chat.tap(who, q, texts.NEXT)
    assert chips(q2) == [texts.PREV] + [f"第{i:02d}町会" for i in range(12, 16)]
    assert chips(chat.tap(who, q2, texts.PREV)) == chips(q)
    q3 = chat.tap(who, q2, "第14町会")
    assert texts.ASSOCIATION_CHOSEN.format(association="第14町会") in all_text(q3)
    assert rows(db, DialogState)[0].association_id == city.by_name("第14町会").id


def test_fifteen_districts_page_too(chat, db):
    city = make_city(db, tuple((f"第{i:02d}町会", f"{i:02d}地区") for i in range(1, 16)) + (("第16町会", "01地区"),))
    chat.channel = city.channel
    who = uid("districts")
    q = consent(chat, who)
    assert chips(q) == [f"{i:02d}地区" for i in range(1, 12)] + [texts.NEXT]
    q2 = chat.tap(who, q, texts.NEXT)
    assert chips(q2) == [texts.PREV] + [f"{i:02d}地区" for i in range(12, 16)]
    q3 = chat.tap(who, q, "01地区")  # two associations there
    assert chips(q3) == ["第01町会", "第16町会", texts.REPICK_DISTRICT]
    assert texts.ASK_DISTRICT in all_text(chat.tap(who, q3, texts.REPICK_DISTRICT))
    q4 = chat.tap(who, chat.tap(who, q, texts.NEXT), "15地区")  # one association: picked
    assert texts.ASSOCIATION_CHOSEN.format(association="第15町会") in all_text(q4)


def test_repick_drops_the_consent_only_row_and_asks_again(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    who = uid("repick")
    q = chat.tap(who, chat.tap(who, consent(chat, who), "北地区"), "東町自治会")
    assert member_of(db, who)[0].association_id == city.assocs[0].id
    again = chat.tap(who, q, texts.REPICK_ASSOCIATION)
    assert texts.ASK_DISTRICT in all_text(again)
    assert member_of(db, who) == [] and rows(db, DialogState)[0].association_id is None
    q = chat.tap(who, chat.tap(who, again, "北地区"), "西町自治会")
    (m,) = member_of(db, who)
    assert m.association_id == city.by_name("西町自治会").id and m.consent_at is not None


def test_an_association_on_its_own_channel_is_not_offered_on_the_city_channel(chat, db):
    city = make_city(db, own="北町自治会")
    chat.channel = city.channel
    who = uid("own")
    q = chat.tap(who, consent(chat, who), "北地区")
    assert chips(q) == ["東町自治会", "西町自治会", texts.REPICK_DISTRICT]
    reply = chat.text(who, f"登録コード {city.own.codes['青木 一郎']}")  # its codes are not found here
    assert texts.JOIN_CODE_UNKNOWN in all_text(reply) and member_of(db, who) == []


def test_cancel_while_picking_keeps_nothing(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    who = uid("cancel")
    consent(chat, who)
    assert texts.CANCELLED in all_text(chat.text(who, "取消"))
    assert rows(db, DialogState) == [] and member_of(db, who) == []
    assert texts.WELCOME_TITLE.format(association="みどり市") in all_text(chat.text(who, "こんにちは"))


# --- a 登録コード ------------------------------------------------------------------------------------
def test_a_code_at_the_first_question_finds_its_association_among_the_channels(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    south = city.by_name("南町自治会")
    who = uid("coder")
    consent(chat, who)
    ask = chat.text(who, south.codes["上田 実"].replace("-", ""))
    assert "お名前" in all_text(ask)
    (m,) = member_of(db, who)
    assert m.association_id == south.id and rows(db, DialogState)[0].association_id == south.id
    done = chat.text(who, "上田 花子")  # the joiner's own name, not the representative's
    assert "登録が完了しました" in all_text(done)
    (m,) = member_of(db, who)
    assert m.status == MemberStatus.active and m.name == "上田 花子" and m.household_id == south.households["上田 実"]
    (notice,) = chat.outbox()
    assert notice.association_id == south.id and set(notice.recipients) == {south.chair}  # 2班: no 班長 of its own


def test_a_code_of_another_association_at_the_block_question_moves_the_registration(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    east, west = city.by_name("東町自治会"), city.by_name("西町自治会")
    who = uid("mover")
    chat.tap(who, chat.tap(who, consent(chat, who), "北地区"), "東町自治会")
    chat.text(who, f"登録コード {west.codes['青木 一郎']}")
    chat.text(who, "青木 次郎")
    (m,) = member_of(db, who)  # the consent-only row in 東町 is gone
    assert m.association_id == west.id and m.status == MemberStatus.active
    assert rows(db, Member, Member.association_id == east.id, Member.status != MemberStatus.active) == []


def test_wrong_codes_count_per_user_across_the_city_channel(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    east, west = city.by_name("東町自治会"), city.by_name("西町自治会")

    def guess(i):  # 12 digits with a right check digit: could be somebody's code
        body = f"{90000000000 + i:011d}"
        return body + damm.calc_check_digit(body)

    who = uid("guesser")
    consent(chat, who)
    for i in range(3):  # before any association is picked
        assert texts.JOIN_CODE_UNKNOWN in all_text(chat.text(who, guess(i)))
    chat.tap(who, chat.tap(who, chat.text(who, "北地区?"), "北地区"), "東町自治会")
    for i in range(3, 5):  # at 東町's 班 question: the same count
        assert texts.JOIN_CODE_UNKNOWN in all_text(chat.text(who, guess(i)))
    assert PAUSED in all_text(chat.text(who, guess(5)))  # the sixth: a pause
    # picking another association does not start a new count: even the right code waits now
    q = chat.tap(who, chat.text(who, "班?"), texts.REPICK_ASSOCIATION)
    chat.tap(who, chat.tap(who, q, "北地区"), "西町自治会")
    refused = chat.text(who, west.codes["岡本 恵"])
    assert PAUSED in all_text(refused)
    assert all(m.household_id is None for m in member_of(db, who))
    attempts = rows(db, JoinAttempt)  # one set for the channel, filed under its lowest association id
    assert {(a.association_id, a.key) for a in attempts} == {(east.id, f"user:{who}"), (east.id, "channel")}
    assert next(a for a in attempts if a.key.startswith("user:")).failures == 6
    # somebody else with the right code is not held back
    other = uid("honest")
    consent(chat, other)
    assert "お名前" in all_text(chat.text(other, west.codes["岡本 恵"]))


# --- approval by that association's officers, and scoped from then on -------------------------------
def test_approval_goes_to_the_picked_associations_officers_and_circulars_stay_inside(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    east, south = city.by_name("東町自治会"), city.by_name("南町自治会")
    who = uid("applicant")
    chat.tap(who, chat.tap(who, consent(chat, who), "南地区"), "1班")
    assert "確認をお願いしました" in all_text(chat.text(who, "知らない 人"))
    (request,) = chat.outbox()
    assert request.association_id == south.id and request.channel_id == city.channel.id
    assert set(request.recipients) == {south.chair, south.leader1}
    approve = button(request.messages, texts.APPROVE)["data"]
    (m,) = member_of(db, who)
    assert m.status == MemberStatus.pending and m.association_id == south.id

    # another association's chair, tapping the same button on the same channel: nothing happens
    assert texts.ALREADY_HANDLED in all_text(chat.postback(east.chair, approve))
    assert member_of(db, who)[0].status == MemberStatus.pending
    # 南町's chair approves: a new household there
    pick = chat.postback(south.chair, approve)
    chat.tap(south.chair, pick, texts.NEW_HOUSEHOLD)
    (m,) = member_of(db, who)
    assert m.status == MemberStatus.active and m.role == Role.member
    with db.session() as s:
        assert s.get(Household, m.household_id).association_id == south.id
    rows = chat.outbox()
    (told,) = [r for r in rows if r.purpose.startswith("approved:")]
    assert told.recipients == [who] and told.association_id == south.id
    # issue 10: the other officer who got the request learns the decision, inside 南町 only
    (decided,) = [r for r in rows if r.purpose.startswith("decided:")]
    assert decided.recipients == [south.leader1] and decided.association_id == south.id
    assert len(rows) == 2

    assert texts.WELCOME_BACK in all_text(chat.follow(who))  # they resolve to 南町 now
    # 東町's circular never reaches them; 南町's does
    chat.tap(east.chair, chat.text(east.chair, "回覧 東町だけ\n本文"), texts.SEND)
    east_rows = chat.outbox()
    assert east_rows and all(r.association_id == east.id and who not in r.recipients for r in east_rows)
    chat.tap(south.chair, chat.text(south.chair, "回覧 南町から\n本文"), texts.SEND)
    (mc,) = [r for r in chat.outbox() if r.purpose.startswith("circular:")]
    assert mc.association_id == south.id and who in mc.recipients and east.chair not in mc.recipients


# --- 退会, and registering elsewhere -----------------------------------------------------------------
def test_withdraw_then_register_in_another_association(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    east, west = city.by_name("東町自治会"), city.by_name("西町自治会")
    who = uid("mover2")
    consent(chat, who)
    chat.text(who, east.codes["青木 一郎"])
    chat.text(who, "青木 一郎")
    (first,) = member_of(db, who)
    assert first.association_id == east.id and first.status == MemberStatus.active
    card = chat.text(who, "退会")
    assert texts.WITHDRAWN in all_text(chat.tap(who, card, texts.WITHDRAW_YES))
    assert member_of(db, who) == []  # the LINE id went with the rest
    with db.session() as s:
        erased = s.get(Member, first.id)
        assert erased.status == MemberStatus.withdrawn and erased.name is None and erased.household_id is None

    again = chat.text(who, "また使いたいです")  # nobody yet: the city's consent card
    assert texts.WELCOME_TITLE.format(association="みどり市") in all_text(again)
    chat.outbox()
    q = chat.tap(who, chat.tap(who, chat.tap(who, again, texts.AGREE), "北地区"), "西町自治会")
    chat.tap(who, q, "1班")
    assert "登録が完了しました" in all_text(chat.text(who, "青木 一郎"))
    (second,) = member_of(db, who)
    assert second.association_id == west.id and second.id != first.id
    (notice,) = chat.outbox()
    assert notice.association_id == west.id and set(notice.recipients) == {west.chair, west.leader1}
    with db.session() as s:
        assert s.get(Member, first.id).line_user_id is None  # the row in 東町 stays erased
    assert texts.WELCOME_BACK in all_text(chat.follow(who))


# --- someone with no association: only registration runs ---------------------------------------------
def snapshot(db):
    """Every row of every table but the quota figure (the harness refreshes it before a [送信])."""
    with db.session() as s:
        return {t.name: sorted(map(repr, s.execute(t.select()).all())) for t in Base.metadata.sorted_tables
                if t.name != "line_quota"}


def test_forged_postbacks_and_commands_of_someone_unregistered_change_nothing(chat, db):
    city = make_city(db)
    chat.channel = city.channel
    east = city.by_name("東町自治会")
    applicant = uid("pending")
    chat.tap(applicant, chat.tap(applicant, consent(chat, applicant), "北地区"), "東町自治会")
    chat.tap(applicant, chat.replies, "1班")
    chat.text(applicant, "知らない 人")
    chat.tap(east.chair, chat.text(east.chair, "回覧 東町\n本文"), texts.SEND)
    pending = member_of(db, applicant)[0].id
    ids = dict(m=pending, h=east.households["青木 一郎"], c=1, e=1, d=1, s=east.id, b=east.blocks["1班"], o=0, v=1,
               k=1, r=1, n=1, i=1, t=1, x=1, p=1)
    query = "&".join(f"{k}={v}" for k, v in ids.items())
    before = snapshot(db)
    stranger = uid("stranger")
    for action, route in sorted(router.postbacks.items()):
        if action == "consent":
            continue  # [同意する] is what a stranger may tap (it opens the dialog: tested above)
        reply = all_text(chat.postback(stranger, f"a={action}&{query}"))
        if route.roles is not None:
            assert texts.OFFICERS_ONLY in reply, action
        else:
            # (a city staff member's button, which runs without an association, refuses everyone else)
            assert any(t in reply for t in (texts.WELCOME_TITLE.format(association="みどり市"), texts.STALE_BUTTON,
                                            texts.NOT_REGISTERED, texts.CITY_STAFF_ONLY)), (action, reply)
    for word in sorted(router.commands):
        chat.text(stranger, f"{word} 1")
        chat.text(stranger, word)
    chat.location(stranger, 35.0, 139.0)
    chat.image(stranger)
    assert snapshot(db) == before
    # someone in the middle of picking: a stray button brings the question again, nothing else
    consent(chat, stranger)
    assert texts.ASK_DISTRICT in all_text(chat.postback(stranger, f"a=read&{query}"))
    assert texts.OFFICERS_ONLY in all_text(chat.postback(stranger, f"a=approve&{query}"))
    assert member_of(db, stranger) == []
    assert rows(db, AuditLog, AuditLog.association_id != east.id) == []


def test_forged_picker_buttons_change_nothing(chat, db):
    city = make_city(db, own="北町自治会")
    chat.channel = city.channel
    who = uid("forger")
    assert texts.STALE_BUTTON in all_text(chat.postback(who, f"a=reg_assoc&s={city.assocs[0].id}"))  # no dialog
    block = f"a=reg_block&b={city.assocs[0].blocks['1班']}"
    assert texts.STALE_BUTTON in all_text(chat.postback(who, block))
    districts = consent(chat, who)
    assert texts.STALE_BUTTON in all_text(chat.postback(who, block))  # a 班 before an association: no
    assert rows(db, DialogState)[0].step == "district"  # still picking
    assert texts.STALE_BUTTON in all_text(chat.postback(who, f"a=reg_assoc&s={city.assocs[0].id}"))  # not at that step
    chat.tap(who, districts, "北地区")
    for forged in (f"a=reg_assoc&s={city.own.id}", "a=reg_assoc&s=999999", "a=reg_assoc&s=abc"):
        assert texts.STALE_BUTTON in all_text(chat.postback(who, forged))
    assert member_of(db, who) == []
    with db.session() as s:
        assert s.scalar(select(Association).where(Association.id == city.own.id)) is not None
    assert rows(db, OutboxMessage) == []

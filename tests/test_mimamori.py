"""見守り (issue 17): enrolment with consent, the daily push, the sign of life, the ladder with time
travel (reminder, family, 班長, chair and 民生委員) stopping on contact, quiet hours, leaving and the
retention, and that nobody who is not enrolled is ever pushed."""
import dataclasses
import re
import datetime as dt

from sqlalchemy import func, select

from handlers.messages import texts
from handlers.messages.codec import pb
from models import Member, OutboxMessage
from models.mimamori import POLICY_VERSION, MimamoriCheck, MimamoriEnrolment, MimamoriWatcher
from handlers.messages.limits import check_message
from handlers.mimamori.common import alert_card, check_card, reminder_card
from models import utcnow
from models.mimamori import local_day
from bot.outbox import drain
from scheduler.jobs import purge
from scheduler.mimamori import tick

from chat import all_text, labels
from line_spec import validate_request
from mimamori_kit import (  # noqa: F401
    CHAIR, FAMILY, ITO, KATO, LEADER2, NAKAMURA, SATO, at, audit_actions, check_row, clock, enrol, last_seq,
    received, run, welfare,
)


def test_enrolment_records_consent_and_shows_the_monthly_cost(chat, demo, db, fake, clock):
    me = chat.postback(NAKAMURA, "a=view&v=me")
    view = chat.tap(NAKAMURA, me, texts.VIEW_LABELS["mimamori"])
    assert texts.MM_INTRO.split("\n")[0] in all_text(view)
    q = chat.tap(NAKAMURA, chat.tap(NAKAMURA, view, texts.MM_START), "8:00")
    q = chat.tap(NAKAMURA, q, "平日のみ")
    confirm = chat.tap(NAKAMURA, q, "班長だけ")
    text = all_text(confirm)
    assert "時間：8:00" in text and "平日のみ" in text and "ご家族→班長" in text
    assert "月に23通" in text  # December 2026 has 23 weekdays: one push each
    remaining = re.search(r"今月の残りは(\d+)通", text)  # the plan's quota (the fake LINE: 200 a month)
    assert remaining and 0 < int(remaining.group(1)) <= 200
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)) == 0  # nothing before the consent
    chat.tap(NAKAMURA, confirm, texts.MM_AGREE)
    with db.session() as s:
        (e,) = s.scalars(select(MimamoriEnrolment)).all()
        assert (e.hour, e.days, e.watch_leader, e.watch_welfare) == (8, "weekdays", True, False)
        assert e.consent_policy_version == POLICY_VERSION and e.consent_at is not None and e.consent_by_id is None
        assert len(e.code) == 8
    assert audit_actions(db) == ["mimamori.enrol"]


def test_family_member_outside_the_association_joins_by_code(chat, demo, db, fake, k, clock):
    code = enrol(chat)
    assert texts.MM_FAMILY_BAD_CODE in all_text(chat.text(FAMILY, "見守り家族 00000000"))
    joined = chat.text(FAMILY, f"見守り家族 {code}")
    assert texts.MM_FAMILY_JOINED.format(name="中村 幸子") in all_text(joined)
    assert texts.MM_FAMILY_ALREADY in all_text(chat.text(FAMILY, f"見守り家族 {code}"))
    with db.session() as s:
        (w,) = s.scalars(select(MimamoriWatcher)).all()
        assert w.line_user_id == FAMILY
        assert s.scalar(select(func.count()).select_from(Member).where(Member.line_user_id == FAMILY)) == 0
    drain_told = [m for m in chat.outbox() if m.recipients == [NAKAMURA]]
    assert drain_told and drain_told[-1].messages[0]["text"] == texts.MM_FAMILY_TOLD
    left = chat.tap(FAMILY, joined, texts.MM_FAMILY_LEAVE)
    assert texts.MM_FAMILY_LEFT in all_text(left)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)) == 0


def test_daily_push_at_the_chosen_hour_and_fine(chat, demo, db, fake, k, clock):
    enrol(chat, hour="9:00")
    at(clock, 0, 8, 59)
    assert run(k, db) == 0
    at(clock, 0, 9, 0)
    with db.session() as s:
        before = s.scalar(select(func.max(OutboxMessage.id))) or 0
    assert tick(k) == 1
    with db.session() as s:  # one push, queued in the outbox (not sent directly)
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
        assert (row.kind, row.recipients, row.status) == ("push", [NAKAMURA], "pending")
        assert row.purpose.startswith("mimamori:ask:")
    drain(db, k.line)
    (card,) = received(fake, NAKAMURA)
    assert texts.MM_CHECK in all_text([card])
    assert run(k, db) == 0  # once a day
    thanks = chat.tap(NAKAMURA, [card], texts.MM_FINE)
    assert texts.MM_THANKS in all_text(thanks)
    c = check_row(db)
    assert (c.status, c.answer) == ("answered", "fine")
    at(clock, 0, 17, 0)
    assert run(k, db) == 0  # no reminder, no alert
    assert [p.body["to"] for p in fake.sends("/push")] == [NAKAMURA]


def test_trouble_asks_what_and_tells_the_first_watcher(chat, demo, db, fake, k, clock, welfare):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)
    (card,) = received(fake, NAKAMURA)
    what = chat.tap(NAKAMURA, [card], texts.MM_TROUBLE)
    assert [a["label"] for a in (i["action"] for i in what[-1]["quickReply"]["items"])] == list(texts.MM_NEEDS.values())
    noted = chat.tap(NAKAMURA, what, "買い物")
    assert texts.MM_NEED_NOTED in all_text(noted)
    c = check_row(db)
    assert (c.status, c.answer, c.need) == ("answered", "trouble", "shopping")
    from bot.outbox import drain
    drain(db, k.line)
    assert "買い物" in all_text(received(fake, LEADER2))  # no family: the 班長 is the first rung


def test_any_message_that_day_is_a_sign_of_life(chat, demo, db, fake, k, clock):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 10, 15)
    chat.text(NAKAMURA, "こんにちは")  # chatting with the bot is enough
    c = check_row(db)
    assert (c.status, c.answer) == ("answered", "life")
    at(clock, 0, 18, 0)
    assert run(k, db) == 0
    # the next day, a tap before the hour: no push at all that day
    at(clock, 1, 7, 30)
    chat.postback(NAKAMURA, "a=view&v=circulars")
    at(clock, 1, 9, 0)
    before = len(fake.sends("/push"))
    run(k, db)
    assert len(fake.sends("/push")) == before
    assert check_row(db, offset=1).answer == "life"


def test_full_ladder_family_then_leader_then_welfare_then_chair(chat, demo, db, fake, k, clock, welfare):
    code = enrol(chat)
    chat.text(FAMILY, f"見守り家族 {code}")
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 11, 59)
    assert run(k, db) == 0
    at(clock, 0, 12, 0)  # N = 3 hours: the reminder
    seq = last_seq(fake)
    assert run(k, db) == 1
    assert texts.MM_REMINDER in all_text(received(fake, NAKAMURA, seq))
    at(clock, 0, 14, 0)  # M = 2 hours more: the family
    seq = last_seq(fake)
    run(k, db)
    alert = received(fake, FAMILY, seq)
    text = all_text(alert)
    assert "中村 幸子さん（2班）" in text and texts.MM_LAST_NONE not in text  # the last sign of life: the enrolment
    assert [a["label"] for a in (b["action"] for b in alert[0]["contents"]["footer"]["contents"])] == \
        [texts.MM_CONTACT, texts.MM_VISIT, texts.MM_UNREACHABLE]
    assert not received(fake, LEADER2, seq)
    at(clock, 0, 14, 29)
    assert run(k, db) == 0
    at(clock, 0, 14, 30)  # K = 30 minutes: the 班長
    seq = last_seq(fake)
    run(k, db)
    assert texts.MM_ALERT_TITLE in all_text(received(fake, LEADER2, seq))
    at(clock, 0, 15, 0)  # the 民生委員
    seq = last_seq(fake)
    run(k, db)
    assert texts.MM_ALERT_TITLE in all_text(received(fake, KATO, seq))
    at(clock, 0, 15, 30)  # the ladder ran out: the chair (and the 民生委員 again)
    seq = last_seq(fake)
    run(k, db)
    assert texts.MM_ALERT_TITLE in all_text(received(fake, CHAIR, seq))
    at(clock, 0, 16, 30)
    assert run(k, db) == 0  # nobody further
    chair_alert = received(fake, CHAIR, seq)
    done = chat.tap(CHAIR, chair_alert, texts.MM_CONTACT)
    assert texts.MM_CONTACT_NOTED in all_text(done)
    assert check_row(db).status == "contact"
    # everyone told hears that contact was made
    from bot.outbox import drain
    seq = last_seq(fake)
    drain(db, k.line)
    for who in (FAMILY, LEADER2, KATO):
        assert "連絡がとれました" in all_text(received(fake, who, seq))
    assert audit_actions(db)[-7:] == ["mimamori.ask", "mimamori.remind", "mimamori.escalate", "mimamori.escalate",
                                      "mimamori.escalate", "mimamori.escalate", "mimamori.contact"]
    again = chat.tap(LEADER2, received(fake, LEADER2), texts.MM_VISIT)
    assert texts.MM_CLOSED in all_text(again)  # a stale button: nothing changes
    assert check_row(db).status == "contact"


def test_contact_stops_the_ladder_and_unreachable_goes_to_chair_and_welfare(chat, demo, db, fake, k, clock, welfare):
    code = enrol(chat)
    chat.text(FAMILY, f"見守り家族 {code}")
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 12, 0)
    run(k, db)
    at(clock, 0, 14, 0)
    run(k, db)
    seq = last_seq(fake)
    out = chat.tap(FAMILY, received(fake, FAMILY), texts.MM_UNREACHABLE)
    assert texts.MM_UNREACHABLE_NOTED in all_text(out)
    from bot.outbox import drain
    drain(db, k.line)
    for who in (CHAIR, KATO):
        assert texts.MM_ALERT_UNREACHABLE.strip() in all_text(received(fake, who, seq))
    assert not received(fake, LEADER2, seq)  # straight to the chair and the 民生委員
    chat.tap(KATO, received(fake, KATO, seq), texts.MM_CONTACT)
    at(clock, 0, 20, 0)
    assert run(k, db) == 0
    assert check_row(db).status == "contact"


def test_the_resident_answering_late_stops_the_ladder(chat, demo, db, fake, k, clock, welfare):
    code = enrol(chat)
    chat.text(FAMILY, f"見守り家族 {code}")
    at(clock, 0, 9, 0)
    run(k, db)
    card = [m for m in received(fake, NAKAMURA) if texts.MM_CHECK in all_text([m])][-1]
    at(clock, 0, 12, 0)
    run(k, db)
    at(clock, 0, 14, 0)
    run(k, db)
    seq = last_seq(fake)
    chat.tap(NAKAMURA, [card], texts.MM_FINE)
    from bot.outbox import drain
    drain(db, k.line)
    assert texts.MM_RETURNED.format(name="中村 幸子") in all_text(received(fake, FAMILY, seq))
    at(clock, 0, 16, 0)
    assert run(k, db) == 0
    assert not received(fake, LEADER2)


def test_quiet_hours_hold_the_reminder_not_the_escalation(chat, demo, db, fake, k, clock, monkeypatch):
    enrol(chat, hour="10:00", ladder="班長だけ")
    monkeypatch.setattr(k, "settings", dataclasses.replace(k.settings, quiet_start_hour=13, quiet_end_hour=15))
    at(clock, 0, 10, 0)
    run(k, db)
    at(clock, 0, 13, 0)  # 3 hours later, but quiet
    assert run(k, db) == 0
    at(clock, 0, 15, 0)
    assert run(k, db) == 1
    assert texts.MM_REMINDER in all_text(received(fake, NAKAMURA))
    monkeypatch.setattr(k, "settings", dataclasses.replace(k.settings, quiet_start_hour=16, quiet_end_hour=23))
    at(clock, 0, 17, 0)  # 2 hours after the reminder, in quiet hours: the 班長 is told anyway
    run(k, db)
    assert texts.MM_ALERT_TITLE in all_text(received(fake, LEADER2))


def test_leaving_is_one_tap_and_the_history_goes_after_the_retention(chat, demo, db, fake, k, clock):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)
    view = chat.postback(NAKAMURA, "a=view&v=mimamori")
    left = chat.tap(NAKAMURA, view, texts.MM_LEAVE)
    assert texts.MM_LEFT.format(days=90) in all_text(left)
    at(clock, 1, 9, 0)
    before = len(fake.sends("/push"))
    assert run(k, db) == 0 and len(fake.sends("/push")) == before  # no more checks
    at(clock, 89, 4, 0)
    purge(k)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriCheck)) == 1
    at(clock, 91, 4, 0)
    purge(k)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriCheck)) == 0
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)) == 0


def test_not_enrolled_is_never_pushed(chat, demo, db, fake, k, clock):
    enrol(chat, who=NAKAMURA)
    for day in range(3):
        for hour in (7, 9, 12, 15, 18):
            at(clock, day, hour)
            run(k, db)
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("mimamori:%"))).all()
        assert {u for r in rows for u in r.recipients} <= {NAKAMURA, LEADER2, CHAIR}
        assert all(r.recipients != [SATO] and r.recipients != [ITO] for r in rows)


def test_stale_and_forged_buttons_change_nothing(chat, demo, db, fake, k, clock, welfare):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)
    c = check_row(db)
    # someone who is no watcher of hers
    assert texts.MM_NOT_YOURS in all_text(chat.postback(ITO, f"a=mm_out&c={c.id}&v=contact"))
    assert texts.MM_NOT_YOURS in all_text(chat.postback(ITO, f"a=mm_ans&c={c.id}&v=fine"))
    assert texts.MM_NOT_YOURS in all_text(chat.postback(LEADER2, "a=mm_out&c=999999&v=contact"))
    assert texts.MM_NOT_YOURS in all_text(chat.postback(ITO, "a=mm_leave&e=1"))
    assert check_row(db).status == "waiting"
    assert texts.STALE_BUTTON in all_text(chat.postback(NAKAMURA, "a=mm_hour&h=9"))  # no dialog open
    assert check_row(db).status == "answered"  # (her tap, stale or not, says she is well)


def test_dialog_refuses_forged_values_and_cancels(chat, demo, db, clock):
    view = chat.postback(SATO, "a=view&v=mimamori")
    q = chat.tap(SATO, view, texts.MM_START)
    assert [i["action"]["label"] for i in q[-1]["quickReply"]["items"]] == ["7:00", "8:00", "9:00", "10:00", texts.CANCEL]
    assert texts.STALE_BUTTON in all_text(chat.postback(SATO, "a=mm_hour&h=3"))
    assert texts.MM_ASK_HOUR in all_text(chat.text(SATO, "九時"))  # a typed answer: the question again
    assert texts.CANCELLED in all_text(chat.text(SATO, "キャンセル"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)) == 0


def test_welfare_role_is_a_watcher_not_an_officer(chat, demo, db, fake, k, clock, welfare):
    from models import Role
    from models.richmenus import RESIDENT, key_for

    assert texts.ROLE_LABELS[Role.welfare.value] == "民生委員"
    assert key_for(Role.welfare, False) == RESIDENT  # the resident's menu
    assert texts.OFFICERS_ONLY in all_text(chat.text(KATO, "管理画面"))  # no dashboard
    assert texts.OFFICERS_ONLY in all_text(chat.text(KATO, "回覧 テスト"))
    enrol(chat, ladder="班長と民生委員")
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 12, 0)
    run(k, db)
    at(clock, 0, 14, 0)
    run(k, db)
    at(clock, 0, 14, 30)
    run(k, db)
    # the 民生委員 sees her in the chat's 「見守り」 view, and may report
    view = chat.postback(KATO, "a=view&v=mimamori")
    assert "中村 幸子さん：" + texts.MM_STATE_ESCALATED.format(who=texts.MM_LADDER_WELFARE) in all_text(view)
    assert texts.MM_VISIT_NOTED in all_text(chat.tap(KATO, received(fake, KATO), texts.MM_VISIT))
    assert check_row(db).status == "visiting"
    at(clock, 0, 16, 0)
    assert run(k, db) == 0  # someone is on the way: nobody else is asked


def test_a_resident_who_chose_family_only_is_not_shown_to_the_leader(chat, demo, db, fake, k, clock):
    enrol(chat, ladder="家族だけ")
    view = chat.postback(LEADER2, "a=view&v=mimamori")
    assert "中村 幸子" not in all_text(view)
    at(clock, 0, 9, 0)
    run(k, db)
    c = check_row(db)
    assert texts.MM_NOT_YOURS in all_text(chat.postback(LEADER2, f"a=mm_out&c={c.id}&v=contact"))
    assert check_row(db).status == "waiting"


def test_the_leader_s_view_lists_today_and_links_the_page(chat, demo, db, fake, k, clock):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)
    view = chat.postback(LEADER2, "a=view&v=mimamori")
    assert "中村 幸子さん：" + texts.MM_STATE_WAITING in all_text(view)
    uris = [a["uri"] for m in view for a in [b["action"] for b in m.get("contents", {}).get("footer", {}).get("contents", [])]
            if a.get("type") == "uri"]
    assert len(uris) == 1 and "/admin/login/" in uris[0]


def test_cards_validate_with_long_names(demo, db, k, clock):
    """The resident's check and reminder and the watchers' alert, at the longest name and 班 name."""
    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == NAKAMURA))
        m.name, m.household.block.name = "長" * 100, "班" * 40
        now = utcnow()
        e = MimamoriEnrolment(association_id=m.association_id, member_id=m.id, code="12345678", consent_at=now,
                              consent_policy_version=POLICY_VERSION, last_seen_at=now)
        s.add(e)
        s.flush()
        c = MimamoriCheck(association_id=m.association_id, enrolment_id=e.id, day=local_day(now, "Asia/Tokyo"),
                          asked_at=now)
        s.add(c)
        s.flush()
        c.id = 999999999  # the largest id a button carries
        for card in (check_card(c), reminder_card(c), alert_card(c, "Asia/Tokyo"), alert_card(c, "Asia/Tokyo", True)):
            validate_request("push", {"to": NAKAMURA, "messages": [card]})
            assert check_message(card) == []
        s.rollback()


def test_unreachable_twice_tells_the_chair_once(chat, demo, db, fake, k, clock, welfare):
    code = enrol(chat)
    chat.text(FAMILY, f"見守り家族 {code}")
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 12, 0)
    run(k, db)
    at(clock, 0, 14, 0)
    run(k, db)
    alert = received(fake, FAMILY)
    chat.tap(FAMILY, alert, texts.MM_UNREACHABLE)
    chat.tap(FAMILY, alert, texts.MM_UNREACHABLE)
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("mimamori:alert:%"))).all()
        assert len([r for r in rows if CHAIR in r.recipients]) == 1
    assert check_row(db).status == "unreachable"


def test_weekdays_only_skips_the_weekend(chat, demo, db, fake, k, clock):
    enrol(chat, days="平日のみ")
    for day in range(4):  # Thursday, Friday, Saturday, Sunday
        at(clock, day, 9, 0)
        run(k, db)
        chat.text(NAKAMURA, "おはよう")  # she answers every day
    assert [check_row(db, offset=d) is not None for d in range(4)] == [True, True, False, False]
    checks = [m for m in received(fake, NAKAMURA) if texts.MM_CHECK in all_text([m])]
    assert len(checks) == 2
    view = chat.postback(LEADER2, "a=view&v=mimamori")
    assert "中村 幸子さん：" + texts.MM_STATE_NO_CHECK in all_text(view)


def test_a_check_left_unanswered_overnight_goes_to_the_watchers_not_a_late_reminder(chat, demo, db, fake, k, clock):
    enrol(chat)
    at(clock, 0, 9, 0)
    run(k, db)  # the scheduler then stops until the next morning
    at(clock, 1, 8, 0)
    seq = last_seq(fake)
    run(k, db)
    assert texts.MM_REMINDER not in all_text(received(fake, NAKAMURA, seq))
    assert texts.MM_ALERT_TITLE in all_text(received(fake, LEADER2, seq))


def test_wrong_family_codes_pause_like_join_codes_and_the_resident_can_drop_a_stranger(chat, demo, db, fake, k, clock):
    """A watcher learns who lives alone and when they last answered: guessing codes is held back
    after the same 5 free tries as 登録コード, and the resident is told of every new family
    watcher with [取り消す], which removes them."""
    code = enrol(chat)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        assert texts.MM_FAMILY_BAD_CODE in all_text(chat.text(FAMILY, f"見守り家族 {wrong}"))
    sixth = all_text(chat.text(FAMILY, f"見守り家族 {wrong}"))
    assert texts.MM_FAMILY_BAD_CODE not in sixth and "しばらく受け付けを止めています" in sixth
    refused = all_text(chat.text(FAMILY, f"見守り家族 {code}"))  # even the right code, during the pause
    assert "しばらく受け付けを止めています" in refused
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)) == 0
    assert audit_actions(db).count("mimamori.family_code_wrong") == 6

    clock.shift(dt.timedelta(days=1, minutes=1))  # the pause is over
    assert texts.MM_FAMILY_JOINED.format(name="中村 幸子") in all_text(chat.text(FAMILY, f"見守り家族 {code}"))
    (told,) = [m for m in chat.outbox() if m.recipients == [NAKAMURA]
               and texts.MM_FAMILY_DROP in str(m.messages)]
    validate_request("push", {"to": NAKAMURA, "messages": told.messages})
    # someone else tapping the resident's [取り消す] changes nothing
    other = all_text(chat.postback(SATO, told_data(told)))
    assert texts.MM_NOT_YOURS in other
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)) == 1
    assert texts.MM_FAMILY_DROPPED in all_text(chat.postback(NAKAMURA, told_data(told)))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)) == 0
    assert texts.MM_FAMILY_GONE in all_text(chat.postback(NAKAMURA, told_data(told)))  # tapped twice
    assert "mimamori.family_drop" in audit_actions(db)


def told_data(row) -> str:
    (message,) = row.messages
    (item,) = message["quickReply"]["items"]
    return item["action"]["data"]


def test_changing_the_time_keeps_the_code_and_the_family(chat, demo, db, fake, k, clock):
    """[時間・曜日を変える] asks the same questions; the code and the family watchers stay, and the
    next check comes at the new hour."""
    code = enrol(chat)  # 9:00, 毎日
    chat.text(FAMILY, f"見守り家族 {code}")
    view = chat.postback(NAKAMURA, pb("view", v="mimamori"))
    q = chat.tap(NAKAMURA, view, texts.MM_CHANGE)
    q = chat.tap(NAKAMURA, q, "7:00")
    q = chat.tap(NAKAMURA, q, "平日のみ")
    confirm = chat.tap(NAKAMURA, q, "班長と民生委員")
    done = all_text(chat.tap(NAKAMURA, confirm, texts.MM_AGREE))
    assert done == texts.MM_CHANGED.format(hour=7, days=texts.MM_DAYS["weekdays"])
    with db.session() as s:
        (e,) = s.scalars(select(MimamoriEnrolment)).all()
        assert (e.hour, e.days, e.code, len(e.watchers)) == (7, "weekdays", code, 1)
    assert audit_actions(db)[-1] == "mimamori.change"
    at(clock, 0, 7, 0)  # Thursday 7:00
    assert run(k, db) == 1
    assert [m for m in received(fake, NAKAMURA) if texts.MM_CHECK in all_text([m])]


def test_a_family_member_of_the_household_enrols_her_with_her_consent(chat, demo, db, fake, k, clock):
    """佐藤 次郎 enrols his mother 佐藤 花子 (same household, on LINE): he confirms she agreed; the
    consent is recorded as given through him, she is told with [見守りをやめる], and he is her first
    見守り家族. Someone of another household is not offered, and a forged id changes nothing."""
    from conftest import member
    from views_kit import JIRO, family_member
    family_member(db)
    view = chat.postback(JIRO, pb("view", v="mimamori"))
    who = chat.tap(JIRO, view, texts.MM_FOR)
    assert texts.MM_FOR_WHO in all_text(who)
    offered = [i["action"]["label"] for i in who[-1]["quickReply"]["items"] if i["action"]["type"] == "postback"]
    assert offered == [texts.MM_FOR_NAME.format(name="佐藤 花子")]
    forged = chat.postback(JIRO, pb("mm_for", m=member(db, NAKAMURA).id))  # another household's
    assert all_text(forged) == texts.MM_NOT_YOURS
    q = chat.tap(JIRO, who, texts.MM_FOR_NAME.format(name="佐藤 花子"))
    q = chat.tap(JIRO, q, "8:00")
    q = chat.tap(JIRO, q, "毎日")
    confirm = chat.tap(JIRO, q, "班長と民生委員")
    assert texts.MM_FOR_WHOM.format(name="佐藤 花子") in all_text(confirm)
    done = all_text(chat.tap(JIRO, confirm, texts.MM_AGREE_FOR))
    assert done == texts.MM_FOR_DONE.format(name="佐藤 花子", code=done.rsplit(" ", 1)[-1])
    sato, jiro = member(db, SATO), member(db, JIRO)
    with db.session() as s:
        (e,) = s.scalars(select(MimamoriEnrolment)).all()
        assert (e.member_id, e.hour, e.consent_by_id, e.consent_policy_version) == (sato.id, 8, jiro.id, POLICY_VERSION)
        assert [w.line_user_id for w in e.watchers] == [JIRO]
    assert audit_actions(db) == ["mimamori.proxy"]
    told = [m for m in chat.outbox() if m.recipients == [SATO] and m.purpose.startswith("mimamori:proxy:")]
    assert told and texts.MM_LEAVE in str(told[0].messages)
    assert texts.MM_FOR not in labels(chat.postback(JIRO, pb("view", v="mimamori")))  # nobody left to enrol

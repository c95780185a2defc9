"""見守り's page (/admin/mimamori) and proxy enrolment, role checks, 退会's erasure, and the issue's
"Done when" replayed through the webhook: an enrolled resident taps 「元気です」 one day and is
silent the next; the escalation reaches her family member, then the 班長, who reports
「連絡がとれました」; the watchers' page shows both days."""
import re

from sqlalchemy import func, select

from bot.outbox import drain
from handlers.messages import texts
from models import AuditLog, Member
from models.mimamori import MimamoriCheck, MimamoriEnrolment, MimamoriWatcher

from admin_kit import csrf_token, sign_in
from safety_kit import BOSAI
from chat import all_text
from mimamori_kit import (  # noqa: F401
    CHAIR, FAMILY, ITO, LEADER2, NAKAMURA, SATO, at, clock, enrol, last_seq, received, run,
)

PAGE = "/admin/mimamori"


def cards(html: str) -> list[str]:
    return re.findall(r'<section class="card[^"]*" id="mm-\d+">(.*?)</section>', html, re.S)


def test_done_when_fine_one_day_silent_the_next_family_then_leader_reports_contact(line, demo, db, fake, k, clock,
                                                                                    app):
    code = enrol(line)  # through /callback: the webhook, the inbox, the router
    line.text(FAMILY, f"見守り家族 {code}")
    at(clock, 0, 9, 0)
    run(k, db)
    card = [m for m in received(fake, NAKAMURA) if texts.MM_CHECK in all_text([m])][-1]
    assert texts.MM_THANKS in all_text(line.tap(NAKAMURA, [card], texts.MM_FINE))
    # the next day: silence
    at(clock, 1, 9, 0)
    run(k, db)
    at(clock, 1, 12, 0)
    run(k, db)  # the reminder
    at(clock, 1, 14, 0)
    seq = last_seq(fake)
    run(k, db)  # the family member
    family_alert = received(fake, FAMILY, seq)
    assert "中村 幸子さん（2班）" in all_text(family_alert) and not received(fake, LEADER2, seq)
    at(clock, 1, 14, 30)
    run(k, db)  # no answer from the family in 30 minutes: the 班長
    leader_alert = [m for m in received(fake, LEADER2, seq) if texts.MM_ALERT_TITLE in all_text([m])]
    assert leader_alert
    assert texts.MM_CONTACT_NOTED in all_text(line.tap(LEADER2, leader_alert, texts.MM_CONTACT))
    at(clock, 1, 16, 0)
    assert run(k, db) == 0  # the ladder stopped
    assert "田中 実" in all_text(received(fake, FAMILY, seq))  # the family hears who made contact
    # the watcher page (the 班長's): both days
    client = app.test_client()
    sign_in(client, line, LEADER2)
    html = client.get(PAGE).get_data(as_text=True)
    (row,) = cards(html)
    assert "中村 幸子" in row and texts.VISIT_SUPPORT in row
    assert texts.MM_STATE_CONTACT.format(time="14:30") in row
    marks = re.findall(r'<span title="([^"]+)">([^<]+)</span>', row)
    assert marks[-2:] == [("12/3", texts.MM_MARKS["fine"]), ("12/4", texts.MM_MARKS["contact"])]
    with db.session() as s:
        c = s.scalar(select(MimamoriCheck).where(MimamoriCheck.status == "contact"))
        assert c.outcome_by_id == s.scalar(select(Member.id).where(Member.line_user_id == LEADER2))


def test_page_shows_open_escalations_first_and_only_to_the_chosen_watchers(chat, demo, db, fake, k, clock, app):
    enrol(chat, who=NAKAMURA, ladder="班長と民生委員")
    enrol(chat, who=ITO, hour="7:00", ladder="家族だけ")
    at(clock, 0, 7, 0)
    run(k, db)
    chat.tap(ITO, [m for m in received(fake, ITO) if texts.MM_CHECK in all_text([m])], texts.MM_FINE)
    at(clock, 0, 9, 0)
    run(k, db)
    at(clock, 0, 14, 0)
    run(k, db)
    run(k, db)  # 12:00 reminder was missed by the clock jump: reminder now, the ladder after M hours
    at(clock, 0, 16, 0)
    run(k, db)  # Nakamura's check escalates (no family: the 班長 first)
    chair = app.test_client()
    sign_in(chair, chat, CHAIR)
    html = chair.get(PAGE).get_data(as_text=True)
    shown = cards(html)
    assert len(shown) == 2 and "中村 幸子" in shown[0] and "伊藤 美咲" in shown[1]  # the open one first
    assert texts.MM_STATE_ESCALATED.format(who=texts.MM_LADDER_LEADER) in shown[0]
    assert texts.MM_STATE_FINE.format(time="7:00") in shown[1]
    assert 'id="cost"' in html and "月に約62通" in html  # 31 + 31 December days
    leader = app.test_client()
    sign_in(leader, chat, LEADER2)
    shown = cards(leader.get(PAGE).get_data(as_text=True))
    assert len(shown) == 1 and "中村 幸子" in shown[0]  # 伊藤 chose her family only: not the 班長's to see
    bosai = app.test_client()
    sign_in(bosai, chat, BOSAI)
    assert texts.MM_PAGE_NONE in bosai.get(PAGE).get_data(as_text=True)


def test_proxy_enrolment_by_the_block_leader_with_recorded_consent(chat, demo, db, fake, k, clock, app):
    client = app.test_client()
    sign_in(client, chat, LEADER2)
    html = client.get(PAGE).get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', html.split('id="mm-member"')[1].split("</select>")[0])
    assert {name for _, name in options} == {"伊藤 美咲", "中村 幸子"}  # own 班 only
    nakamura = next(i for i, n in options if n == "中村 幸子")
    token = csrf_token(html)
    form = {"csrf_token": token, "member": nakamura, "hour": "8", "days": "weekdays", "who": "both"}
    r = client.post(PAGE + "/enrol", data=form)
    assert r.status_code == 303 and "note=consent" in r.headers["Location"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)) == 0
    r = client.post(PAGE + "/enrol", data={**form, "consent": "1"})
    assert r.status_code == 303 and "note=done" in r.headers["Location"]
    with db.session() as s:
        e = s.scalar(select(MimamoriEnrolment))
        leader_id = s.scalar(select(Member.id).where(Member.line_user_id == LEADER2))
        assert (e.hour, e.days, e.consent_by_id) == (8, "weekdays", leader_id) and e.consent_at is not None
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "mimamori.proxy"))
    drain(db, k.line)
    told = received(fake, NAKAMURA)
    assert "田中 実さんが、あなたの見守りを申し込みました" in all_text(told)
    left = chat.tap(NAKAMURA, told, texts.MM_LEAVE)  # one tap to leave
    assert texts.MM_LEFT.format(days=90) in all_text(left)
    # another 班's resident, or a forged id: 404, nothing written
    with db.session() as s:
        sato = s.scalar(select(Member.id).where(Member.line_user_id == SATO))
    assert client.post(PAGE + "/enrol", data={**form, "member": str(sato), "consent": "1"}).status_code == 404
    assert client.post(PAGE + "/enrol", data={**form, "member": "999999", "consent": "1"}).status_code == 404
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)) == 1


def test_residents_cannot_open_the_page(chat, demo, db, clock, app):
    client = app.test_client()
    assert client.get(PAGE).status_code == 403  # not signed in
    out = chat.text(SATO, "管理画面")
    assert texts.OFFICERS_ONLY in all_text(out)


def test_withdrawal_erases_the_enrolment_history_and_family_rows(chat, demo, db, fake, k, clock):
    code = enrol(chat)
    chat.text(FAMILY, f"見守り家族 {code}")
    enrol(chat, who=ITO)
    at(clock, 0, 9, 0)
    run(k, db)
    with db.session() as s:
        ito_code = s.scalar(select(MimamoriEnrolment.code).join(Member, MimamoriEnrolment.member_id == Member.id)
                            .where(Member.line_user_id == ITO))
    chat.text(NAKAMURA, f"見守り家族 {ito_code}")  # 中村 also watches 伊藤
    out = chat.text(NAKAMURA, "退会")
    chat.tap(NAKAMURA, out, texts.WITHDRAW_YES)
    with db.session() as s:
        nakamura = s.scalar(select(Member).where(Member.name.is_(None), Member.line_user_id.is_(None)))
        assert nakamura is not None
        assert s.scalar(select(func.count()).select_from(MimamoriEnrolment)
                        .where(MimamoriEnrolment.member_id == nakamura.id)) == 0
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)
                        .where(MimamoriWatcher.line_user_id == NAKAMURA)) == 0
        assert s.scalar(select(func.count()).select_from(MimamoriWatcher)) == 0  # her family's row went with her
        assert s.scalar(select(func.count()).select_from(MimamoriCheck)) == 1  # 伊藤's own check stays

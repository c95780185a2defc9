"""通報 triage: one function moves a report on (handlers/reports/triage.py): each public change is a
push through the outbox to the reporter and every +1 follower, internal notes are not; a status the
form no longer shows is refused (two officers cannot both notify); 対応しない needs a reason and
市へ転送 needs the association's city."""
import time_machine
import pytest
from sqlalchemy import func, select

from bot import outbox
from handlers.messages import texts
from handlers.reports import triage
from models import AuditLog, OutboxMessage
from models.reports import Report, ReportUpdate

from triage_kit import CHAIR, ITO, SATO, SUZUKI, T0, give_city, make_report, member_of, report


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def move(db, rid, status, note="", public=True, was=None, user=CHAIR):
    with db.session() as s:
        r = s.get(Report, rid)
        return triage.change_status(s, r, status, note, public, by_member=member_of(s, user), was=was or r.status)


def pushed_texts(fake, user):
    return [d.message["text"] for d in fake.messages_for(user) if d.via in ("push", "multicast")]


def test_the_status_loop_tells_the_reporter_and_the_followers(app, demo, db, fake, k, clock):
    rid = make_report(db, followers=(ITO,))
    number = report(db, rid).number
    assert number == "2026-0001"
    assert move(db, rid, "checking").pushed == 2
    assert move(db, rid, "in_progress", "明日、業者が伺います。").ok
    assert move(db, rid, "done", "交換しました。", public=True).ok
    outbox.drain(db, k.line)
    told = pushed_texts(fake, SATO)
    assert told == ["【通報 No.2026-0001】確認中になりました。",
                    "【通報 No.2026-0001】対応中になりました。\n明日、業者が伺います。",
                    "【通報 No.2026-0001】完了しました。\n交換しました。"]
    assert pushed_texts(fake, ITO) == told
    assert pushed_texts(fake, SUZUKI) == []
    r = report(db, rid)
    assert r.status == "done" and r.closed_at is not None
    assert [(u.status, u.note) for u in r.updates] == [
        ("checking", None), ("in_progress", "明日、業者が伺います。"), ("done", "交換しました。")]
    with db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "report.status").order_by(AuditLog.id)).all()
        assert [a.detail["after"]["status"] for a in rows] == ["checking", "in_progress", "done"]
        assert all(a.actor_id == member_of(s, CHAIR).id for a in rows)


def test_an_internal_note_is_not_pushed(app, demo, db, fake, k, clock):
    rid = make_report(db)
    assert move(db, rid, "checking", "現地を見てから", public=False).pushed == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        (u,) = s.scalars(select(ReportUpdate)).all()
        assert u.public is False and u.note == "現地を見てから"
    outbox.drain(db, k.line)
    assert pushed_texts(fake, SATO) == []


def test_a_change_made_meanwhile_is_refused_and_nobody_is_told_twice(app, demo, db, fake, k, clock):
    rid = make_report(db)
    first = move(db, rid, "checking", was="received")
    second = move(db, rid, "in_progress", was="received")  # the other officer's form still said 受付
    assert first.ok and not second.ok and second.problem == texts.REPORT_TRIAGE_CHANGED
    assert report(db, rid).status == "checking"
    outbox.drain(db, k.line)
    assert pushed_texts(fake, SATO) == ["【通報 No.2026-0001】確認中になりました。"]


def test_declining_needs_a_reason(app, demo, db, fake, k, clock):
    rid = make_report(db)
    res = move(db, rid, "declined", "")
    assert not res.ok and res.problem == texts.REPORT_TRIAGE_REASON
    assert report(db, rid).status == "received"
    assert move(db, rid, "declined", "私有地のため、持ち主の方にお伝えしました。").ok
    r = report(db, rid)
    assert r.status == "declined" and r.status_reason == "私有地のため、持ち主の方にお伝えしました。"


def test_forwarding_needs_the_city(app, demo, db, fake, k, clock):
    rid = make_report(db)
    res = move(db, rid, "forwarded", "市道です。")
    assert not res.ok and res.problem == texts.REPORT_TRIAGE_NO_CITY
    r = report(db, rid)
    assert r.status == "received" and r.forwarded_to is None
    city = give_city(db)
    assert move(db, rid, "forwarded", "市道です。").ok
    r = report(db, rid)
    assert (r.status, r.forwarded_to, r.forward_note) == ("forwarded", city, "市道です。")
    assert r.forwarded_at is not None
    outbox.drain(db, k.line)
    assert pushed_texts(fake, SATO) == ["【通報 No.2026-0001】市へ転送しました。\n市道です。"]


def test_a_draft_cannot_be_moved(app, demo, db, fake, k, clock):
    rid = make_report(db, status="draft")
    assert not move(db, rid, "checking").ok
    assert report(db, rid).status == "draft"


def test_assign_to_an_officer_only(app, demo, db, clock):
    rid = make_report(db)
    with db.session() as s:
        r = s.get(Report, rid)
        assert not triage.assign(s, r, member_of(s, SUZUKI), member_of(s, CHAIR)).ok
        assert triage.assign(s, r, member_of(s, CHAIR), member_of(s, CHAIR)).ok
    assert report(db, rid).assigned_member_id is not None

"""Automatic start from JMA (気象庁防災情報XML): the feed poller against a fake feed server
(304s, a duplicate entry, malformed / oversized / entity-laden telegrams), a 取消, and the
auto-start path with the safety check queued in the outbox and delivered through the fake LINE
API (which validates every message against LINE's OpenAPI spec)."""
import pytest
from sqlalchemy import func, select

from bot.outbox import drain
from handlers.jma import trigger
from handlers.jma.telegrams import MAX_BYTES
from handlers.messages import texts
from models import AuditLog, Disaster, JmaStart, JmaTelegram, OutboxMessage, utcnow
from scheduler import jma as jma_job

from chat import all_text
from jma_kit import FLASH, FLASH_CANCEL, QUAKE, FakeFeed, demo_rule, runtime, sample
from safety_kit import BOSAI, CHAIR, SATO, clock  # noqa: F401

ACTIVE = 9  # active demo members on LINE


@pytest.fixture
def feed():
    f = FakeFeed()
    yield f
    f.close()


def _count(db, model, *where):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_nothing_polls_without_a_feed_url(k, demo, clock):
    assert k.settings.jma_feed_url is None
    assert jma_job.poll(k) == 0


def test_feed_telegram_starts_once_and_304s_cost_nothing(k, db, demo, fake, feed, clock):
    aid = demo_rule(db, mode="auto")
    rt = runtime(k, feed.url)
    feed.publish("eqvol.xml", "urn:jma:1", "q1.xml", sample(QUAKE))
    assert jma_job.poll(rt) == 1
    with db.session() as s:
        (d,) = s.scalars(select(Disaster)).all()
        assert d.association_id == aid and d.kind == "quake" and d.started_by_id is None
        assert d.message == "地震（震度5強）が発生しました。安否をお知らせください。"
        (check,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == f"safety:{d.id}:0")).all()
        assert check.kind == "multicast"
        (told,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("jma-started:%"))).all()
        (tel,) = s.scalars(select(JmaTelegram)).all()
        assert (tel.code, tel.event_id, tel.serial, tel.outcome) == ("VXSE53", "20261122234100", "1", "matched")
        audit = s.scalars(select(AuditLog).where(AuditLog.action.like("jma.%")).order_by(AuditLog.id)).all()
        assert [a.action for a in audit] == ["jma.match", "jma.start"]
        assert all(a.detail["telegram"] == tel.id for a in audit)
        assert audit[1].target == f"disaster:{d.id}" and audit[1].detail["auto"] is True
    drain(db, k.line)
    (mc,) = [r for r in fake.sends("/multicast") if "安否をお知らせください" in all_text(r.body["messages"])
             and "自動で開始" not in all_text(r.body["messages"])]
    assert len(mc.body["to"]) == ACTIVE
    assert "地震（震度5強）が発生しました。安否をお知らせください。" in all_text(mc.body["messages"])
    pushed = {r.body["to"] for r in fake.sends("/push")} | {u for r in fake.sends("/multicast") for u in r.body["to"]
                                                            if "自動で開始" in all_text(r.body["messages"])}
    assert {CHAIR, BOSAI} <= pushed

    # the next minute: both feeds answer 304, no telegram is downloaded again
    before = len(feed.fetched("/data/"))
    assert jma_job.poll(rt) == 0
    assert [st for p, st in feed.requests[-2:]] == [304, 304]
    assert len(feed.fetched("/data/")) == before

    # the same telegram again under another entry id (EventID + serial): processed once
    feed.publish("eqvol.xml", "urn:jma:1-again", "q1b.xml", sample(QUAKE))
    assert jma_job.poll(rt) == 1
    with db.session() as s:
        assert s.scalar(select(JmaTelegram.outcome).where(JmaTelegram.entry_id == "urn:jma:1-again")) == "duplicate"
    assert _count(db, Disaster) == 1
    # the 震度速報 of the same earthquake after the fact: this earthquake already started here
    flash = sample(FLASH).replace(b"20110311144640", b"20261122234100")
    with db.session() as s:
        assert trigger.process(s, flash, "urn:jma:flash", utcnow()).starts == 0
    assert _count(db, Disaster) == 1 and _count(db, JmaStart) == 1


def test_cancel_ends_what_the_original_started_and_tells_the_officers(k, db, demo, fake, clock):
    demo_rule(db, mode="auto")
    quake = sample(QUAKE)
    with db.session() as s:
        assert trigger.process(s, quake, "urn:a", utcnow()).starts == 1
    cancel = quake.replace("<InfoType>発表</InfoType>".encode(), "<InfoType>取消</InfoType>".encode()) \
                  .replace(b"<Serial>1</Serial>", b"<Serial>2</Serial>")
    with db.session() as s:
        out = trigger.process(s, cancel, "urn:b", utcnow())
        assert (out.outcome, out.starts) == ("cancelled", 1)
    with db.session() as s:
        (d,) = s.scalars(select(Disaster)).all()
        assert d.ended_at is not None
        assert s.scalar(select(JmaStart.state)) == "cancelled"
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("jma-cancel:%"))).all()
        (a,) = s.scalars(select(AuditLog).where(AuditLog.action == "jma.cancel")).all()
        assert a.detail["was"] == "started" and a.detail["disaster"] == d.id
    drain(db, k.line)
    told = [r for r in fake.sends() if "取り消しました" in all_text(r.body.get("messages", []))]
    assert told and {CHAIR, BOSAI} <= {u for r in told for u in ([r.body["to"]] if isinstance(r.body["to"], str)
                                                                else r.body["to"])}
    # the residents, who were asked for their safety, hear that it is over (not urgent, once)
    ended = [r for r in fake.sends() if texts.JMA_CANCEL_RESIDENTS in all_text(r.body.get("messages", []))]
    reached = [u for r in ended for u in ([r.body["to"]] if isinstance(r.body["to"], str) else r.body["to"])]
    assert SATO in reached and len(reached) == len(set(reached)) and not {CHAIR, BOSAI} & set(reached)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("disaster-end-residents:%"))).all()
        assert row.priority == 0


def test_the_real_cancel_sample_withdraws_a_pending_question(k, db, demo, clock):
    """The 取消 sample (EventID 20220509152315) cancels an original with that EventID (the
    2011 震度速報 sample with its EventID edited to match; 細分区域 220 = 宮城県北部 震度6強)."""
    demo_rule(db, mode="ask", quake_areas="220")
    original = sample(FLASH).replace(b"20110311144640", b"20220509152315")
    with db.session() as s:
        assert trigger.process(s, original, "urn:o", utcnow()).starts == 1
    with db.session() as s:
        assert trigger.process(s, sample(FLASH_CANCEL), "urn:c", utcnow()).outcome == "cancelled"
    with db.session() as s:
        assert s.scalar(select(JmaStart.state)) == "cancelled"
    clock.shift(60 * 60)
    with db.session() as s:
        assert trigger.due(s, utcnow()) == 0
    assert _count(db, Disaster) == 0


@pytest.mark.parametrize("name,body", [
    ("malformed", b"<Report><Control><Title>\xe9\x9c\x87"),
    ("entities", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]>'
                 b"<Report><Control><Title>&y;</Title></Control></Report>"),
    ("oversized", b'<?xml version="1.0"?><Report>' + b" " * (MAX_BYTES + 10) + b"</Report>"),
])
def test_bad_telegrams_are_refused_logged_and_start_nothing(k, db, demo, feed, clock, caplog, name, body):
    demo_rule(db, mode="auto")
    feed.publish("eqvol.xml", f"urn:bad:{name}", f"{name}.xml", body)
    with caplog.at_level("WARNING"):
        assert jma_job.poll(runtime(k, feed.url)) == 1
    with db.session() as s:
        (tel,) = s.scalars(select(JmaTelegram)).all()
        assert tel.outcome == "refused"
        assert ("too large" in tel.reason) == (name == "oversized")
    assert _count(db, Disaster) == 0 and _count(db, JmaStart) == 0
    assert _count(db, OutboxMessage) == 0
    assert "refused" in caplog.text
    # refused once: never downloaded again
    n = len(feed.fetched("/data/"))
    feed.version += 1  # the feed changes (another entry elsewhere): ours is not fetched again
    jma_job.poll(runtime(k, feed.url))
    assert len(feed.fetched("/data/")) == n


def test_a_link_to_another_host_or_a_redirect_is_never_followed(k, db, demo, feed, clock):
    """A forged or broken feed cannot make the poller fetch from elsewhere (an internal address,
    a forged telegram that would start disaster mode): the entry is refused, nothing is fetched."""
    demo_rule(db, mode="auto")
    elsewhere = FakeFeed()
    try:
        elsewhere.publish("eqvol.xml", "urn:x", "q.xml", sample(QUAKE))
        feed.publish("eqvol.xml", "urn:jma:off-host", "unused.xml", b"")
        feed.links["urn:jma:off-host"] = f"{elsewhere.url}/data/q.xml"
        feed.publish("eqvol.xml", "urn:jma:redirect", "moved.xml", b"")
        feed.redirects["moved.xml"] = f"{elsewhere.url}/data/q.xml"
        assert jma_job.poll(runtime(k, feed.url)) == 2
        assert elsewhere.fetched("/data/") == []  # never asked, not even by the redirect
        with db.session() as s:
            outcomes = {t.entry_id: (t.outcome, t.reason) for t in s.scalars(select(JmaTelegram))}
        assert outcomes == {"urn:jma:off-host": ("refused", "link off the feed's host"),
                            "urn:jma:redirect": ("refused", "redirected (302)")}
        assert _count(db, Disaster) == 0 and _count(db, OutboxMessage) == 0
    finally:
        elsewhere.close()

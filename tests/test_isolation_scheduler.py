"""Isolation in the scheduler's jobs: with two associations at work in one database (B on a channel
of its own), every push a job writes for A goes to A's members through A's channel, and B's to B's
members through B's; a disaster in A re-asks, lists and purges A only, and B's rows stay as they were.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Disaster, Member, OutboxMessage, SafetyAsk, SafetyLocation, SafetyPhoto
from scheduler import jobs, reminders, safety

from bot.secrets import box_for

from isolation_kit import (  # noqa: F401 - clock is a fixture
    T0, World, build, changed, clock, cross_links, foreign_pushes, last_outbox_id, leaked_words, snapshot)


def _world(k, disasters: str) -> World:
    """B on its own channel, its secret and token encrypted with the app's key (a channel whose
    token cannot be read sends nothing, downloads nothing)."""
    with k.db.session() as s:
        w = build(s, T0, b_channel=True, disasters=disasters, box=box_for(k.settings))
    k.channels.invalidate()
    return w


def _rows(db, after: int) -> list[OutboxMessage]:
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)).all()
        s.expunge_all()
    return rows


def _members(db, association_id: int) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Member.line_user_id).where(Member.association_id == association_id,
                                                               Member.line_user_id.is_not(None))))


def assert_each_to_its_own(db, w: World, rows: list[OutboxMessage]) -> None:
    """Every row names its association, reaches only that association's members, leaves through
    that association's channel, and says nothing of the other one."""
    own = {w.a.id: (_members(db, w.a.id), w.a.channel_id, w.b), w.b.id: (_members(db, w.b.id), w.b.channel_id, w.a)}
    for r in rows:
        assert r.association_id in own, (r.id, r.purpose)
        members, channel, other = own[r.association_id]
        assert set(r.recipients) <= members, (r.id, r.purpose)
        assert r.channel_id == channel, (r.id, r.purpose)
        assert leaked_words(str(r.messages), other) == [], (r.id, r.purpose)
    with db.session() as s:
        assert cross_links(s) == []
        assert foreign_pushes(s, w) == []


def test_due_reminders_of_both_associations_go_each_to_its_own_members(k, db, clock):
    w = _world(k, "")
    start = _rows(db, 0)[-1].id
    clock.move_to(T0 + dt.timedelta(days=2, minutes=1))
    assert reminders.send_due(k) == 4  # a circular's and an event's reminder in each association
    rows = _rows(db, start)
    assert {(r.association_id, r.purpose.rsplit(":", 2)[0]) for r in rows} == {
        (w.a.id, "reminder:circular"), (w.a.id, "reminder:event"), (w.b.id, "reminder:circular"),
        (w.b.id, "reminder:event")}
    assert_each_to_its_own(db, w, rows)


def test_a_disaster_in_one_association_re_asks_only_that_association(k, db, clock):
    w = _world(k, "a")
    with db.session() as s:
        before_b, start = snapshot(s, w.b.id), last_outbox_id(s)
    clock.move_to(T0 + dt.timedelta(minutes=k.settings.safety_reask_minutes + 1))
    assert safety.reask(k) > 0
    rows = _rows(db, start)
    assert rows and {r.association_id for r in rows} == {w.a.id}
    assert_each_to_its_own(db, w, rows)
    with db.session() as s:
        assert changed(before_b, snapshot(s, w.b.id)) == {}


def test_re_asks_and_visit_lists_of_two_disasters_stay_in_their_associations(k, db, clock):
    w = _world(k, "ab")
    start = _rows(db, 0)[-1].id
    st = k.settings
    for n in range(1, st.safety_reask_max + 2):  # every re-ask, then the visit lists
        clock.move_to(T0 + n * dt.timedelta(minutes=st.safety_reask_minutes + 1))
        safety.reask(k)
    rows = _rows(db, start)
    kinds = {(r.association_id, r.purpose.split(":")[0], r.purpose.split(":")[-1]) for r in rows}
    for side in (w.a, w.b):
        assert (side.id, "visit", "final") in kinds
        assert (side.id, "safety", str(st.safety_reask_max)) in kinds
    assert_each_to_its_own(db, w, rows)
    with db.session() as s:
        for side in (w.a, w.b):
            asks = s.scalars(select(SafetyAsk.association_id).where(SafetyAsk.disaster_id == side.disaster)).all()
            assert set(asks) == {side.id}


def _pending_photo(db, side, message_id: str) -> None:
    with db.session() as s:
        d = s.get(Disaster, side.disaster)
        s.add(SafetyPhoto(association_id=side.id, disaster_id=d.id, delivery_id=side.safety_receipts["resident"],
                          member_id=side.members["resident"], line_message_id=message_id, status="pending", at=T0))


def test_downloaded_photos_update_each_associations_rescue_request_only(k, db, fake, clock):
    """A photo joins its own household's 連絡事項; the rescue update goes to that association's officers."""
    w = _world(k, "ab")
    for side in (w.a, w.b):
        fake.content[f"new-{side.key}"] = (b"\x89PNG " + side.key.encode(), "image/png")
        _pending_photo(db, side, f"new-{side.key}")
    start = _rows(db, 0)[-1].id
    assert safety.fetch_photos(k) == 2
    rows = _rows(db, start)
    assert {(r.association_id, r.purpose.split(":")[0]) for r in rows} == {(w.a.id, "rescue"), (w.b.id, "rescue")}
    assert_each_to_its_own(db, w, rows)


def test_a_photo_that_never_arrives_is_told_to_its_own_sender(k, db, fake, clock):
    w = _world(k, "ab")
    _pending_photo(db, w.b, "gone-b")  # LINE no longer has it
    start = _rows(db, 0)[-1].id
    for n in range(3):
        clock.move_to(T0 + dt.timedelta(minutes=n + 1))
        safety.fetch_photos(k)
    rows = _rows(db, start)
    assert [(r.association_id, r.recipients, r.purpose.split(":")[0]) for r in rows] == [
        (w.b.id, [w.b.user("resident")], "photo-failed")]
    assert_each_to_its_own(db, w, rows)


def test_purge_removes_the_locations_of_the_ended_disaster_only(k, db, clock):
    w = _world(k, "ab")
    with db.session() as s:
        d = s.get(Disaster, w.a.disaster)
        d.ended_at, d.purge_after = T0, T0 + dt.timedelta(days=1)
        before_b = snapshot(s, w.b.id)
    clock.move_to(T0 + dt.timedelta(days=2))
    jobs.purge(k)
    with db.session() as s:
        left = s.scalars(select(SafetyLocation.association_id)).all()
        photos = s.scalars(select(SafetyPhoto.association_id)).all()
        assert left == [w.b.id] and photos == [w.b.id]
        assert changed(before_b, snapshot(s, w.b.id)) == {}

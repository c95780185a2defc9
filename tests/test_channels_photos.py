"""A resident's disaster photo is downloaded through the channel the resident sent it on: the
content API is asked with that channel's token, never the environment's."""
from __future__ import annotations

from sqlalchemy import select

from models import Delivery, Disaster, Household, Member, Role, SafetyPhoto
from scheduler.safety import fetch_photos

from channels_kit import association, channel, register_tokens
from conftest import user_id


def test_a_photo_is_downloaded_with_its_channels_token(demo, k, fake):
    minami = association(k.db, "minami", "南町自治会", [("南町 住民", Role.member)])
    own = channel(k, "南町", association_id=minami)
    register_tokens(k, fake)
    with k.db.session() as s:
        member = s.scalar(select(Member).where(Member.line_user_id == user_id("南町 住民")))
        household = s.get(Household, member.household_id)
        disaster = Disaster(association_id=minami, kind="quake", message="地震")
        s.add(disaster)
        s.flush()
        report = Delivery(association_id=minami, disaster_id=disaster.id, household_id=household.id)
        s.add(report)
        s.flush()
        s.add(SafetyPhoto(association_id=minami, disaster_id=disaster.id, delivery_id=report.id,
                          member_id=member.id, line_message_id="m-minami-1"))
    fake.content["m-minami-1"] = (b"\xff\xd8\xff minami", "image/jpeg")

    assert fetch_photos(k) == 1
    asked = [r for r in fake.requests if r.path.endswith("/m-minami-1/content")]
    assert [r.channel for r in asked] == [own["name"]]  # the channel's own token, once
    with k.db.session() as s:
        photo = s.scalar(select(SafetyPhoto).where(SafetyPhoto.line_message_id == "m-minami-1"))
        assert photo.status == "stored" and photo.data == b"\xff\xd8\xff minami"

"""models.tenancy.resolve's hot path (issue 15): on one association's channel (its own, or the
environment's) the member, its association and the environment channel's city staff row come
from one prebuilt statement; what it finds must be what the general look-up finds."""
from __future__ import annotations

from sqlalchemy import select

from models import Association, ChannelRef, CityStaff, Member, MemberStatus, Municipality
from models.roster import current_association
from models.tenancy import resolve

from admin_kit import CHAIR


def _env(s) -> ChannelRef:
    return ChannelRef.env(current_association(s, None).id)


def _staff(s, active: bool = True, channel_id=None) -> CityStaff:
    city = Municipality(name="Higashi city")
    s.add(city)
    s.flush()
    staff = CityStaff(municipality_id=city.id, channel_id=channel_id, line_user_id=CHAIR, name="city staff",
                      active=active)
    s.add(staff)
    s.flush()
    return staff


def test_a_chair_who_is_city_staff_on_the_env_channel_is_both(demo):
    with demo.session() as s:
        staff_id = _staff(s).id
    with demo.session() as s:
        who = resolve(s, _env(s), CHAIR)
        assert who.member is not None and who.member.line_user_id == CHAIR
        assert who.association is not None and who.association.id == who.member.association_id
        assert who.staff is not None and who.staff.id == staff_id


def test_inactive_staff_is_not_staff(demo):
    with demo.session() as s:
        _staff(s, active=False)
    with demo.session() as s:
        who = resolve(s, _env(s), CHAIR)
        assert who.member is not None and who.staff is None


def test_a_withdrawn_member_on_the_one_associations_channel_is_still_that_member(demo):
    """As the general look-up: on a channel of one association the row is the user's whatever its
    status (退会 answers are told by the handlers, not by a missing member)."""
    with demo.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        m.status = MemberStatus.withdrawn
        member_id, association_id = m.id, m.association_id
    with demo.session() as s:
        for ref in (_env(s), ChannelRef(None, "association", association_id)):
            who = resolve(s, ref, CHAIR)
            assert who.member.id == member_id and who.member.status == MemberStatus.withdrawn
            assert who.association.id == association_id and who.staff is None


def test_someone_not_registered_gets_the_channels_association_and_no_member(demo):
    with demo.session() as s:
        who = resolve(s, _env(s), "U" + "0" * 32)
        assert who.member is None and who.staff is None
        assert who.association is not None and who.association.id == s.scalar(select(Association.id).limit(1))


def test_the_statement_says_whether_mimamori_watches_the_member(demo):
    """見守り counts every event of an enrolled resident as a sign of life; the hot path's statement
    says whether there is an active enrolment, so the observer asks only for those (an ended
    enrolment is not watched)."""
    from models import utcnow
    from models.mimamori import MimamoriEnrolment

    with demo.session() as s:
        assert resolve(s, _env(s), CHAIR).watched is False
        m = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        e = MimamoriEnrolment(association_id=m.association_id, member_id=m.id, code="87654321",
                              consent_at=utcnow(), consent_policy_version="1")
        s.add(e)
    with demo.session() as s:
        assert resolve(s, _env(s), CHAIR).watched is True
        s.scalar(select(MimamoriEnrolment)).active = False
    with demo.session() as s:
        assert resolve(s, _env(s), CHAIR).watched is False

"""What the triage and Open311 tests share (a helper module, not a test module): confirmed
reports written straight into the database (the resident's flow is tested elsewhere), and the
demo people who play in them."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from models import Association, Member, Municipality, utcnow
from models.reports import Report, ReportFollower, ReportPhoto, next_seq

CHAIR = demo_user_id("山田 太郎")  # 会長 (1班)
SATO = demo_user_id("佐藤 花子")  # 1班
SUZUKI = demo_user_id("鈴木 一郎")  # 1班
LEADER2 = demo_user_id("田中 実")  # 班長 (2班)
ITO = demo_user_id("伊藤 美咲")  # 2班
BOSAI = demo_user_id("小林 修")  # 防災担当 (3班)
T0 = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture
def clock():
    """The tests' clock: T0, frozen (each test module travels there itself, or uses this)."""
    with time_machine.travel(T0, tick=False) as t:
        yield t


def png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def member_of(s, user: str, slug: str | None = None) -> Member:
    q = select(Member).where(Member.line_user_id == user)
    if slug is not None:
        q = q.join(Association, Association.id == Member.association_id).where(Association.slug == slug)
    return s.scalars(q).first()


def make_report(db, user: str = SATO, category: str = "街灯・防犯灯", lat: float = 35.681236,
                lng: float = 139.767125, comment: str = "街灯が消えています。", address: str = "東京都千代田区丸の内1-9-1",
                photos: int = 1, status: str = "received", at: dt.datetime | None = None,
                followers: tuple[str, ...] = ()) -> int:
    """A confirmed report of `user` (a demo member), their follower row (kind reporter) and photos,
    made now (the tests' travelled clock, T0) unless `at` says when."""
    at = at or utcnow()
    with db.session() as s:
        m = member_of(s, user)
        year = at.year
        r = Report(association_id=m.association_id, member_id=m.id,
                   block_id=m.household.block_id if m.household else m.block_id, category=category,
                   latitude=lat, longitude=lng, address=address, comment=comment, status=status,
                   year=None if status == "draft" else year,
                   seq=None if status == "draft" else next_seq(s, m.association_id, year),
                   created_at=at, submitted_at=None if status == "draft" else at, updated_at=at)
        s.add(r)
        s.flush()
        s.add(ReportFollower(report_id=r.id, member_id=m.id, kind="reporter"))
        for other in followers:
            s.add(ReportFollower(report_id=r.id, member_id=member_of(s, other).id, kind="plus1"))
        for i in range(photos):
            s.add(ReportPhoto(report_id=r.id, line_message_id=f"m{r.id}-{i}", content_type="image/png",
                              data=png((40 * i, 100, 200)), status="stored"))
        return r.id


def give_city(db, name: str = "みなと市") -> int:
    """The demo association joins a municipality (so 市へ転送 is possible)."""
    with db.session() as s:
        city = s.scalar(select(Municipality).where(Municipality.name == name))
        if city is None:
            city = Municipality(name=name)
            s.add(city)
            s.flush()
        for a in s.scalars(select(Association)):
            if a.municipality_id is None and a.slug == s.scalar(select(Association.slug).order_by(Association.id)):
                a.municipality_id = city.id
        return city.id


def report(db, report_id: int) -> Report:
    with db.session() as s:
        r = s.get(Report, report_id)
        _ = list(r.updates), list(r.photos)
        s.expunge_all()
        return r

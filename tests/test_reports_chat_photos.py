"""通報 photos (downloaded once by the job, re-encoded: no EXIF/GPS; non-images and oversized ones
refused and the reporter told), the purge of unfinished drafts, and erasure on 退会."""
import datetime as dt
import io

from PIL import Image
from sqlalchemy import select

from handlers.messages import texts
from models import AuditLog, DialogState, Report, ReportFollower, ReportPhoto
from scheduler.reports import fetch_photos, purge_drafts, reencode

from chat import all_text
from conftest import member
from reports_kit import (  # noqa: F401 - clock is a fixture
    ITO, SATO, T0, begin, clock, jpeg, photos, report_now, reports, sent_pushes, to_confirm,
)


def content_calls(fake):
    return [q for q in fake.requests if q.path.endswith("/content")]


def exif_of(data: bytes):
    img = Image.open(io.BytesIO(data))
    return img.getexif(), img


def test_gps_tags_never_reach_the_stored_photo(line, demo, db, fake, k, clock):
    sent = jpeg(gps=True)
    ex, _ = exif_of(sent)
    assert ex.get_ifd(0x8825) and ex[0x010F] == "KairanCam"  # the test's photo does carry them
    report_now(line, photos=[sent])
    assert fetch_photos(k) == 1
    (p,) = photos(db)
    assert p.status == "stored" and p.content_type == "image/jpeg"
    ex, img = exif_of(p.data)
    assert dict(ex) == {} and dict(ex.get_ifd(0x8825)) == {}
    assert b"KairanCam" not in p.data and b"Exif" not in p.data
    assert img.size == (64, 48)  # the picture itself is there


def test_the_reporter_may_agree_to_keep_the_photos_location(line, demo, db, fake, k, clock):
    begin(line)
    line.image(ITO, jpeg(gps=True), "image/jpeg")
    with db.session() as s:
        s.scalars(select(Report)).one().keep_photo_location = True
    assert fetch_photos(k) == 1
    ex, _ = exif_of(photos(db)[0].data)
    assert dict(ex.get_ifd(0x8825))[1] == "N"


def test_a_png_keeps_no_text_chunks():
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "自宅の住所")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG", pnginfo=info)
    data, ctype = reencode(out.getvalue())
    assert ctype == "image/png" and "Comment" not in Image.open(io.BytesIO(data)).info
    assert "自宅".encode() not in data


def test_a_fake_image_is_refused_at_once_and_the_reporter_told(line, demo, db, fake, k, clock):
    begin(line)
    line.image(ITO, b"\xff\xd8\xff this is no jpeg at all", "image/jpeg")
    assert fetch_photos(k) == 0 and len(content_calls(fake)) == 1
    assert fetch_photos(k) == 0 and len(content_calls(fake)) == 1  # not tried again
    (p,) = photos(db)
    assert p.status == "failed" and p.data is None
    sent_pushes(db, k, fake)
    assert texts.RPT_PHOTO_FAILED in fake.texts_for(ITO)


def test_an_oversized_photo_is_refused(line, demo, db, fake, k, clock, monkeypatch):
    import scheduler.reports as job

    monkeypatch.setattr(job, "PHOTO_MAX_BYTES", 100)
    data = jpeg(gps=False)
    assert len(data) > 100
    begin(line)
    line.image(ITO, data, "image/jpeg")
    assert fetch_photos(k) == 0
    (p,) = photos(db)
    assert p.status == "failed" and p.data is None


def test_a_photo_of_a_cancelled_draft_is_not_downloaded(line, demo, db, fake, k, clock):
    begin(line)
    line.image(ITO, jpeg(), "image/jpeg")
    line.text(ITO, "取消")
    assert fetch_photos(k) == 0 and content_calls(fake) == []


def test_the_scheduler_runs_the_report_jobs(k):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.runner import add_jobs

    sched = add_jobs(BackgroundScheduler(), k)
    assert sched.get_job("report-photos").trigger.interval <= dt.timedelta(seconds=5)
    assert sched.get_job("report-drafts") is not None


def test_unfinished_drafts_are_deleted_after_a_day(line, demo, db, fake, k, clock):
    report_now(line)  # confirmed: stays
    begin(line, SATO)
    line.image(SATO, jpeg(), "image/jpeg")
    clock.move_to(T0 + dt.timedelta(hours=23))
    assert purge_drafts(k) == 0
    clock.move_to(T0 + dt.timedelta(hours=25))
    assert purge_drafts(k) == 1
    assert [r.status for r in reports(db)] == ["received"]
    assert photos(db) == []


def test_a_tap_on_a_purged_draft_is_answered(line, demo, db, fake, k, clock):
    q = begin(line, SATO)
    clock.move_to(T0 + dt.timedelta(hours=25))
    purge_drafts(k)
    assert texts.RPT_GONE in all_text(line.tap(SATO, q, texts.RPT_NO_PHOTO))
    with db.session() as s:
        assert s.scalars(select(DialogState).where(DialogState.flow == "report")).all() == []


def test_withdrawal_keeps_the_reports_without_the_reporter_and_deletes_drafts(line, demo, db, fake, k, clock):
    report_now(line, photos=[jpeg()])
    fetch_photos(k)
    ito = member(db, ITO).id
    begin(line)  # a second one, unfinished, with a photo
    line.image(ITO, jpeg(), "image/jpeg")
    q = line.text(ITO, "退会")
    line.tap(ITO, q, texts.WITHDRAW_YES)
    rows = reports(db)
    assert [(r.status, r.member_id) for r in rows] == [("received", None)]
    assert len(rows[0].photos) == 1 and rows[0].photos[0].status == "stored"  # the broken light is still there
    assert all(u.by_member_id is None for u in rows[0].updates)
    with db.session() as s:
        assert s.scalars(select(ReportFollower).where(ReportFollower.member_id == ito)).all() == []
        assert len(s.scalars(select(ReportPhoto)).all()) == 1
        assert s.scalars(select(DialogState).where(DialogState.line_user_id == ITO)).all() == []
        assert s.scalars(select(AuditLog).where(AuditLog.action == "report.submit")).all()


def test_a_plus1_joiner_who_leaves_follows_nothing(line, demo, db, fake, k, clock):
    report_now(line)
    q = to_confirm(line, who=SATO)
    line.tap(SATO, q, texts.RPT_SAME)
    sato, ito = member(db, SATO).id, member(db, ITO).id
    with db.session() as s:
        assert sorted(s.scalars(select(ReportFollower.member_id)).all()) == sorted([ito, sato])
    q = line.text(SATO, "退会")
    line.tap(SATO, q, texts.WITHDRAW_YES)
    with db.session() as s:
        assert s.scalars(select(ReportFollower.member_id)).all() == [ito]

"""通報, the resident's side, by webhook: the walk (category, photos, place, comment, confirm),
the number, the officers' pushes, duplicates and +1, the daily limit, cancelling, withdrawing."""
import datetime as dt

import pytest
from sqlalchemy import select

from handlers.messages import texts
from handlers.messages.codec import pb
from models import Association, AuditLog, Report, ReportFollower, ReportUpdate
from models.reports import DAILY_LIMIT, MAX_PHOTOS
from scheduler.reports import fetch_photos

from chat import all_text, labels
from conftest import member
from reports_kit import (  # noqa: F401 - clock is a fixture
    BOSAI, CHAIR, HERE, ITO, LAMP, LEADER2, NAKAMURA, SATO, T0, begin, clock, jpeg, photos, recipients, report_now,
    reports, sent_pushes, to_confirm,
)

ROAD = "道路・歩道"


def test_a_report_by_buttons_gets_its_number_and_the_officers_hear_of_it(line, demo, db, fake, k, clock):
    q = line.text(ITO, "通報")
    assert texts.RPT_ASK_CATEGORY in all_text(q)
    assert labels(q)[:7] == ["道路・歩道", "街灯・防犯灯", "ごみ・不法投棄", "公園", "水路・冠水", "空き家", "その他"]
    q = line.tap(ITO, q, LAMP)
    assert texts.RPT_ASK_PHOTOS.format(category=LAMP, max=MAX_PHOTOS) in all_text(q)
    q = line.image(ITO, jpeg(), "image/jpeg")
    assert texts.RPT_PHOTO_TAKEN.format(n=1) in all_text(q)
    q = line.tap(ITO, q, texts.RPT_NEXT)
    assert texts.RPT_ASK_LOCATION in all_text(q)
    assert any(a["type"] == "location" for a in q[-1]["quickReply"]["items"] for a in [a["action"]])
    q = line.location(ITO, *HERE, address="東京都千代田区丸の内1丁目")
    assert texts.RPT_ASK_COMMENT.format(max=300) in all_text(q)
    q = line.text(ITO, "電球が切れています")
    body = all_text(q)
    assert texts.RPT_CONFIRM_TITLE in body and LAMP in body and "1枚" in body and "丸の内1丁目" in body \
        and "電球が切れています" in body
    assert fake.sends("/push") == [] and fake.sends("/multicast") == []
    q = line.tap(ITO, q, texts.RPT_SEND)
    assert "通報 No. 2026-0001" in all_text(q)
    assert texts.RPT_WITHDRAW in labels(q) and texts.RPT_MINE in labels(q)
    (r,) = reports(db)
    assert (r.status, r.number, r.category, r.latitude, r.longitude, r.comment) == (
        "received", "2026-0001", LAMP, HERE[0], HERE[1], "電球が切れています")
    assert r.member_id == member(db, ITO).id and r.block_id == member(db, ITO).household.block_id
    assert [u.status for u in r.updates] == ["received"] and len(r.photos) == 1
    with db.session() as s:
        assert s.scalars(select(ReportFollower.kind).where(ReportFollower.report_id == r.id)).all() == ["reporter"]
    sent = sent_pushes(db, k, fake)
    told = set().union(*(recipients(p) for p in sent))
    assert told == {CHAIR, LEADER2}  # the chair and 2班's 班長; not the 防災担当, not the reporter
    text = all_text(sent[0].body["messages"])
    assert "No. 2026-0001" in text and LAMP in text and "2班" in text
    assert f"https://kairan.example.jp/admin/reports/{r.id}" in text
    assert "伊藤" not in text  # no name in the officers' push


def test_the_second_report_gets_the_next_number(line, demo, db, fake, k, clock):
    assert "2026-0001" in all_text(report_now(line))
    assert "2026-0002" in all_text(report_now(line, who=SATO, category=ROAD, where=(35.70, 139.70)))


def test_a_typed_address_is_taken_when_the_phone_cannot_share(line, demo, db, fake, k, clock):
    q = begin(line)
    q = line.tap(ITO, q, texts.RPT_NO_PHOTO)
    q = line.text(ITO, "東町3丁目の公民館の前")
    q = line.tap(ITO, q, texts.RPT_NO_COMMENT)
    assert "東町3丁目の公民館の前" in all_text(q) and "説明：なし" in all_text(q)
    line.tap(ITO, q, texts.RPT_SEND)
    (r,) = reports(db)
    assert r.address == "東町3丁目の公民館の前" and r.latitude is None and r.comment is None and r.status == "received"


def test_a_location_at_the_place_question_is_the_reports_even_in_disaster_mode(line, demo, db, fake, k, clock):
    from safety_kit import start
    start(line)
    q = begin(line, SATO)
    q = line.tap(SATO, q, texts.RPT_NO_PHOTO)
    q = line.location(SATO, *HERE)
    assert texts.RPT_ASK_COMMENT.format(max=300) in all_text(q)
    with db.session() as s:
        from models import SafetyLocation
        assert s.scalars(select(SafetyLocation)).all() == []


def test_the_place_is_required(line, demo, db, fake, k, clock):
    q = begin(line)
    q = line.tap(ITO, q, texts.RPT_NO_PHOTO)
    q = line.image(ITO, jpeg(), "image/jpeg")
    assert texts.RPT_LOCATION_ONLY in all_text(q)
    assert reports(db)[0].address is None


def test_at_most_three_photos_then_the_place_is_asked(line, demo, db, fake, k, clock):
    q = begin(line)
    for _ in range(MAX_PHOTOS):
        q = line.image(ITO, jpeg(), "image/jpeg")
    assert texts.RPT_ASK_LOCATION in all_text(q)
    assert len(photos(db)) == MAX_PHOTOS


# --- duplicates ----------------------------------------------------------------------------
def _north(metres: float) -> tuple[float, float]:
    return HERE[0] + metres / 111_195.0, HERE[1]


def test_a_report_within_50_m_of_the_same_category_is_offered_as_the_same(line, demo, db, fake, k, clock):
    report_now(line, who=ITO)
    q = to_confirm(line, who=SATO, where=_north(30))
    assert texts.RPT_NEARBY_TITLE in all_text(q) and "No. 2026-0001" in all_text(q)
    q = line.tap(SATO, q, texts.RPT_SAME)
    assert texts.RPT_PLUS1_DONE.format(number="2026-0001") in all_text(q)
    rows = reports(db)
    assert len(rows) == 1  # the draft went
    with db.session() as s:
        kinds = dict(s.execute(select(ReportFollower.member_id, ReportFollower.kind)).all())
    assert kinds == {member(db, ITO).id: "reporter", member(db, SATO).id: "plus1"}
    assert photos(db) == []


def test_another_matter_nearby_goes_on_to_the_confirm(line, demo, db, fake, k, clock):
    report_now(line, who=ITO)
    q = to_confirm(line, who=SATO, where=_north(30))
    q = line.tap(SATO, q, texts.RPT_OTHER)
    q = line.tap(SATO, q, texts.RPT_SEND)
    assert "2026-0002" in all_text(q)


@pytest.mark.parametrize("where, category", [(_north(80), LAMP), (_north(10), ROAD)])
def test_no_nearby_card_beyond_50_m_or_for_another_category(line, demo, db, fake, k, clock, where, category):
    report_now(line, who=ITO)
    q = to_confirm(line, who=SATO, where=where, category=category)
    assert texts.RPT_NEARBY_TITLE not in all_text(q) and texts.RPT_CONFIRM_TITLE in all_text(q)


def test_another_associations_report_is_never_offered(line, demo, db, fake, k, clock):
    with db.session() as s:
        other = Association(slug="nishi", name="西町自治会")
        s.add(other)
        s.flush()
        s.add(Report(association_id=other.id, year=2026, seq=1, category=LAMP, latitude=HERE[0],
                     longitude=HERE[1], status="received"))
    q = to_confirm(line, who=SATO)
    assert texts.RPT_NEARBY_TITLE not in all_text(q) and "2026-0001" not in all_text(q)
    assert "2026-0001" in all_text(line.tap(SATO, q, texts.RPT_SEND))  # its own numbers


def test_a_closed_report_nearby_is_not_offered(line, demo, db, fake, k, clock):
    report_now(line, who=ITO)
    with db.session() as s:
        s.scalars(select(Report)).one().status = "done"
    q = to_confirm(line, who=SATO, where=_north(5))
    assert texts.RPT_NEARBY_TITLE not in all_text(q)


# --- limits, cancelling ----------------------------------------------------------------------
def test_the_daily_limit_is_answered_politely_and_lifts_the_next_day(line, demo, db, fake, k, clock):
    for i in range(DAILY_LIMIT):
        report_now(line, who=SATO, where=(35.0 + i * 0.01, 139.0))
    q = line.text(SATO, "通報")
    assert texts.RPT_DAILY_LIMIT.format(n=DAILY_LIMIT) in all_text(q)
    assert texts.RPT_ASK_CATEGORY not in all_text(q)
    assert len(reports(db, status="received")) == DAILY_LIMIT
    clock.move_to(T0 + dt.timedelta(hours=14, minutes=30))  # 00:30 JST the next day
    assert texts.RPT_ASK_CATEGORY in all_text(line.text(SATO, "通報"))


def test_the_limit_is_checked_again_at_the_confirm(line, demo, db, fake, k, clock):
    for i in range(DAILY_LIMIT - 1):
        report_now(line, who=SATO, where=(35.0 + i * 0.01, 139.0))
    q1 = to_confirm(line, who=SATO, where=(36.0, 139.0))
    q2_start = line.text(SATO, "通報")  # restarted: the first draft goes
    assert len(reports(db, status="draft")) == 0
    q = to_confirm(line, who=SATO, where=(36.5, 139.0))
    line.tap(SATO, q, texts.RPT_SEND)
    assert len(reports(db, status="received")) == DAILY_LIMIT
    assert q1 and q2_start


STEPS = ["category", "photos", "location", "comment", "confirm"]


@pytest.mark.parametrize("word", texts.CANCEL_WORDS)
@pytest.mark.parametrize("at", STEPS)
def test_cancel_at_each_step_deletes_the_draft(line, demo, db, fake, k, clock, at, word):
    q = line.text(ITO, "通報")
    if at != "category":
        q = line.tap(ITO, q, LAMP)
        q = line.image(ITO, jpeg(), "image/jpeg")
    if at in ("location", "comment", "confirm"):
        q = line.tap(ITO, q, texts.RPT_NEXT)
    if at in ("comment", "confirm"):
        q = line.location(ITO, *HERE)
    if at == "confirm":
        q = line.text(ITO, "点いていません")
    assert texts.CANCELLED in all_text(line.text(ITO, word))
    assert reports(db) == [] and photos(db) == []
    assert texts.STALE_BUTTON in all_text(line.tap(ITO, q, data_prefix="a=rp_"))  # the old buttons are dead
    assert reports(db) == []


def test_the_stop_button_deletes_the_draft(line, demo, db, fake, k, clock):
    q = to_confirm(line)
    assert texts.CANCELLED in all_text(line.tap(ITO, q, texts.RPT_CANCEL))
    assert reports(db) == []


def test_a_non_member_is_told_politely(line, demo, db, fake, k, clock):
    from conftest import user_id
    q = line.text(user_id("知らない人"), "通報")
    assert texts.RPT_ASK_CATEGORY not in all_text(q)


# --- withdraw, 私の通報 ---------------------------------------------------------------------------
def test_the_reporter_withdraws_their_report_and_officers_are_told(line, demo, db, fake, k, clock):
    q = report_now(line)
    sent = len(sent_pushes(db, k, fake))
    q = line.tap(ITO, q, texts.RPT_WITHDRAW)
    assert texts.RPT_WITHDRAW_ASK.format(number="2026-0001", category=LAMP) in all_text(q)
    q = line.tap(ITO, q, texts.RPT_WITHDRAW_YES)
    assert texts.RPT_WITHDRAW_DONE.format(number="2026-0001") in all_text(q)
    (r,) = reports(db)
    assert (r.status, r.status_reason) == ("declined", texts.RPT_WITHDRAW_REASON) and r.closed_at is not None
    assert [u.status for u in r.updates] == ["received", "declined"]
    new = sent_pushes(db, k, fake)[sent:]
    assert set().union(*(recipients(p) for p in new)) == {CHAIR, LEADER2}
    assert "取り下げ" in all_text(new[0].body["messages"])
    again = line.postback(ITO, pb("rp_wd2", r=r.id))
    assert texts.RPT_WITHDRAW_CLOSED.format(number="2026-0001") in all_text(again)


def test_my_reports_shows_each_status(line, demo, db, fake, k, clock):
    report_now(line)
    report_now(line, category=ROAD, where=(35.70, 139.70))
    with db.session() as s:
        s.scalars(select(Report).where(Report.seq == 1)).one().status = "in_progress"
    q = line.postback(ITO, pb("rp_mine"))
    body = all_text(q)
    assert "No. 2026-0002 道路・歩道：受付" in body and "No. 2026-0001 街灯・防犯灯：対応中" in body
    assert texts.RPT_MINE_WITHDRAW.format(number="2026-0001") in labels(q)


def test_nobody_withdraws_someone_elses_or_another_associations_report(line, demo, db, fake, k, clock):
    report_now(line)
    sato = member(db, SATO).id
    with db.session() as s:
        other = Association(slug="nishi", name="西町自治会")
        s.add(other)
        s.flush()
        forged = Report(association_id=other.id, year=2026, seq=9, category=LAMP, status="received",
                        member_id=sato)
        s.add(forged)
        s.flush()
        forged_id = forged.id
        mine_id = s.scalars(select(Report.id).where(Report.association_id != other.id)).one()
    for who, rid in ((SATO, mine_id), (SATO, forged_id), (ITO, forged_id)):
        for action in ("rp_wd", "rp_wd2"):
            assert texts.RPT_NOT_FOUND in all_text(line.postback(who, pb(action, r=rid)))
    with db.session() as s:
        assert set(s.scalars(select(Report.status))) == {"received"}
        assert s.scalars(select(ReportUpdate).where(ReportUpdate.report_id == forged_id)).all() == []


def test_a_forged_plus1_of_another_associations_report_is_not_found(line, demo, db, fake, k, clock):
    report_now(line)
    with db.session() as s:
        other = Association(slug="nishi", name="西町自治会")
        s.add(other)
        s.flush()
        forged = Report(association_id=other.id, year=2026, seq=1, category=LAMP, status="received",
                        latitude=HERE[0], longitude=HERE[1])
        s.add(forged)
        s.flush()
        forged_id = forged.id
    to_confirm(line, who=SATO, where=_north(10))  # at the nearby card (ITO's report)
    q = line.postback(SATO, pb("rp_same", r=forged_id))
    assert texts.RPT_NOT_FOUND in all_text(q)
    with db.session() as s:
        assert s.scalars(select(ReportFollower).where(ReportFollower.report_id == forged_id)).all() == []


def test_the_audit_log_names_the_reports(line, demo, db, fake, k, clock):
    report_now(line)
    with db.session() as s:
        assert "report.submit" in s.scalars(select(AuditLog.action)).all()
    assert texts.AUDIT_ACTIONS["report.submit"]


def test_photos_are_downloaded_by_the_job_not_the_handler(line, demo, db, fake, k, clock):
    begin(line)
    line.image(ITO, jpeg(), "image/jpeg")
    assert [q for q in fake.requests if q.path.endswith("/content")] == []
    assert fetch_photos(k) == 1
    assert fetch_photos(k) == 0
    assert len([q for q in fake.requests if q.path.endswith("/content")]) == 1
    (p,) = photos(db)
    assert p.status == "stored" and p.content_type == "image/jpeg" and p.data


_ = (BOSAI, NAKAMURA)


def test_an_associations_own_long_list_stays_within_lines_limits(line, demo, db, fake, k, clock):
    own = [f"{i}番目のとても長い名前の通報の種類です" for i in range(15)]
    with db.session() as s:
        s.scalars(select(Association)).first().report_categories = "\n".join(own)
    q = line.text(ITO, "通報")
    items = q[-1]["quickReply"]["items"]
    assert len(items) <= 13 and all(len(i["action"]["label"]) <= 20 for i in items)
    line.tap(ITO, q, items[1]["action"]["label"])
    assert reports(db)[0].category == own[1][:20]


def test_cancel_at_the_nearby_card_deletes_the_draft_and_joins_nothing(line, demo, db, fake, k, clock):
    report_now(line)
    q = to_confirm(line, who=SATO, where=_north(20))
    assert texts.RPT_NEARBY_TITLE in all_text(q)
    assert texts.CANCELLED in all_text(line.text(SATO, "取消"))
    assert [r.status for r in reports(db)] == ["received"]
    with db.session() as s:
        assert s.scalars(select(ReportFollower.kind)).all() == ["reporter"]
    assert texts.STALE_BUTTON in all_text(line.tap(SATO, q, texts.RPT_SAME))

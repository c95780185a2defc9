"""通報 on the officers' pages (/admin/reports): the list and map, one report with its photos and
history, the status form (a public change reaches the reporter through the outbox; a form that
showed an old status is refused), and who sees what: a 班長 their own 班 only, the reporter's name
to the board and the reporter's own 班長 only, a resident no page at all."""
import html as htmllib
import json
import re

import pytest
import time_machine
from sqlalchemy import func, select

from bot import outbox
from handlers.messages import texts
from models import OutboxMessage
from models.reports import ReportUpdate

from admin_kit import csrf_token, post_form, sign_in
from triage_kit import BOSAI, CHAIR, ITO, LEADER2, SATO, T0, make_report, report


def table_of(client, url: str) -> str:
    return table(client.get(url).get_data(as_text=True))


def table(page: str) -> str:
    """The list's rows (the map's popups carry numbers too)."""
    return page.split('id="reports"')[1].split("</table>")[0] if 'id="reports"' in page else ""


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def test_the_list_the_map_and_one_report(app, line, demo, db, fake, clock):
    first = make_report(db, photos=2)
    second = make_report(db, user=ITO, category="道路・歩道", comment="穴があいています。", lat=35.7, lng=139.8)
    done = make_report(db, user=ITO, category="公園", comment="ベンチが壊れています。", status="done")
    make_report(db, status="draft", comment="下書きです")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get("/admin/reports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "No.2026-0001" in html and "No.2026-0002" in html and "No.2026-0003" in html
    assert "下書きです" not in html
    markers = json.loads(htmllib.unescape(re.search(r"data-markers='([^']*)'", html).group(1)))
    assert sorted((m["lat"], m["lng"]) for m in markers) == [(35.681236, 139.767125), (35.7, 139.8)]  # open only
    assert "leaflet/leaflet.js" in html and "safety_map.js" in html
    assert "cyberjapandata.gsi.go.jp" in page.headers["Content-Security-Policy"]
    assert texts.NAV_REPORTS in html

    only_roads = table_of(client, "/admin/reports?cat=道路・歩道")
    assert "No.2026-0002" in only_roads and "No.2026-0001" not in only_roads
    closed = table_of(client, "/admin/reports?st=done")
    assert "No.2026-0003" in closed and "No.2026-0002" not in closed
    open_ = table_of(client, "/admin/reports?st=open")
    assert "No.2026-0003" not in open_ and "No.2026-0001" in open_
    with db.session() as s:
        from models import Block
        b2 = s.scalar(select(Block.id).where(Block.name == "2班"))
    in_2 = table_of(client, f"/admin/reports?b={b2}")
    assert "No.2026-0002" in in_2 and "No.2026-0001" not in in_2

    one = client.get(f"/admin/reports/{first}")
    body = one.get_data(as_text=True)
    assert one.status_code == 200
    assert "街灯が消えています。" in body and "1班" in body and "佐藤 花子" in body  # the chair sees the name
    photos = re.findall(rf'src="(/admin/reports/{first}/photos/\d+)"', body)
    assert len(photos) == 2
    pic = client.get(photos[0])
    assert pic.status_code == 200 and pic.data.startswith(b"\x89PNG")
    assert pic.headers["Content-Type"] == "image/png"
    assert "no-store" in pic.headers["Cache-Control"] and pic.headers["X-Content-Type-Options"] == "nosniff"
    # a photo of another report through this report's address: not found
    other = report(db, second)
    assert client.get(f"/admin/reports/{first}/photos/{other.photos[0].id}").status_code == 404
    assert client.get(f"/admin/reports/{done + 1}").status_code == 404  # the draft


def test_the_status_form_tells_the_reporter(app, line, demo, db, fake, k, clock):
    rid = make_report(db)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    url = f"/admin/reports/{rid}"
    resp = post_form(client, url, f"{url}/status",
                     {"status": "in_progress", "was": "received", "note": "明日、交換します。", "public": "1"})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.REPORT_TRIAGE_SAVED_PUSHED.format(n=1) in page
    assert "明日、交換します。" in page
    outbox.drain(db, k.line)
    assert [d.message["text"] for d in fake.messages_for(SATO) if d.via == "push"] == [
        "【通報 No.2026-0001】対応中になりました。\n明日、交換します。"]
    # an internal note: nobody is told
    resp = post_form(client, url, f"{url}/status", {"status": "done", "was": "in_progress", "note": "完了（業者）"})
    assert resp.status_code == 303
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) == 0
    assert report(db, rid).status == "done"


def test_a_form_that_showed_an_old_status_is_refused(app, line, demo, db, fake, k, clock):
    rid = make_report(db)
    one, two = app.test_client(), app.test_client()
    sign_in(one, line, CHAIR)
    sign_in(two, line, BOSAI)
    url = f"/admin/reports/{rid}"
    token_two = csrf_token(two.get(url).get_data(as_text=True))  # both opened the page at 受付
    assert post_form(one, url, f"{url}/status", {"status": "checking", "was": "received", "public": "1"}).status_code == 303
    late = two.post(f"{url}/status", data={"status": "declined", "was": "received", "note": "私有地です",
                                           "public": "1", "csrf_token": token_two})
    assert late.status_code == 409
    assert texts.REPORT_TRIAGE_CHANGED in late.get_data(as_text=True)
    r = report(db, rid)
    assert r.status == "checking" and [u.status for u in r.updates] == ["checking"]
    outbox.drain(db, k.line)
    assert len([d for d in fake.messages_for(SATO) if d.via == "push"]) == 1


def test_declining_without_a_reason_is_refused_on_the_page(app, line, demo, db, fake, clock):
    rid = make_report(db)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    url = f"/admin/reports/{rid}"
    resp = post_form(client, url, f"{url}/status", {"status": "declined", "was": "received", "public": "1"})
    assert resp.status_code == 400 and texts.REPORT_TRIAGE_REASON in resp.get_data(as_text=True)
    resp = post_form(client, url, f"{url}/status", {"status": "forwarded", "was": "received", "public": "1"})
    assert resp.status_code == 400 and texts.REPORT_TRIAGE_NO_CITY in resp.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportUpdate)) == 0
    assert report(db, rid).status == "received"


def test_a_block_leader_sees_their_own_ban_only(app, line, demo, db, fake, clock):
    mine = make_report(db, user=ITO, comment="2班の件です。")
    theirs = make_report(db, user=SATO, comment="1班の件です。")
    client = app.test_client()
    sign_in(client, line, LEADER2)
    html = table(client.get("/admin/reports").get_data(as_text=True))
    assert "2班の件です。" in html and "1班の件です。" not in html
    page = client.get(f"/admin/reports/{mine}").get_data(as_text=True)
    assert "伊藤 美咲" in page  # the reporter's own 班長
    assert client.get(f"/admin/reports/{theirs}").status_code == 404
    photo = report(db, theirs).photos[0].id
    assert client.get(f"/admin/reports/{theirs}/photos/{photo}").status_code == 404
    token = csrf_token(page)
    resp = client.post(f"/admin/reports/{theirs}/status",
                       data={"status": "checking", "was": "received", "public": "1", "csrf_token": token})
    assert resp.status_code == 404
    assert report(db, theirs).status == "received"


def test_the_name_is_for_the_board_and_the_reporters_ban_leader(app, line, demo, db, fake, clock):
    from admin_kit import set_role
    from models import Role
    from triage_kit import SUZUKI
    rid = make_report(db, user=SATO)
    set_role(db, SUZUKI, Role.block_leader)  # 1班's own 班長 now: sees it
    client = app.test_client()
    sign_in(client, line, SUZUKI)
    assert "佐藤 花子" in client.get(f"/admin/reports/{rid}").get_data(as_text=True)


def test_a_resident_has_no_page(app, line, demo, db, fake, clock):
    rid = make_report(db)
    client = app.test_client()
    out = line.text(SATO, "管理画面")
    assert "/admin/login/" not in str(out)
    for url in ("/admin/reports", f"/admin/reports/{rid}"):
        resp = client.get(url)
        assert resp.status_code == 403 and "佐藤 花子" not in resp.get_data(as_text=True)


def test_the_csv_has_a_bom_the_filters_and_no_name(app, line, demo, db, fake, clock):
    import csv
    import io
    make_report(db, comment="=HYPERLINK(\"x\")")
    make_report(db, user=ITO, category="道路・歩道", comment="穴があいています。")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    assert "/admin/reports.csv" in client.get("/admin/reports").get_data(as_text=True)
    resp = client.get("/admin/reports.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv" and resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == list(texts.REPORT_CSV_HEADER)
    assert [r[0] for r in rows[1:]] == ["2026-0002", "2026-0001"]
    assert rows[2][5] == "'=HYPERLINK(\"x\")"  # Excel does not run it
    assert "佐藤 花子" not in resp.data.decode("utf-8-sig")
    roads = list(csv.reader(io.StringIO(client.get("/admin/reports.csv?cat=道路・歩道").data.decode("utf-8-sig"))))
    assert [r[0] for r in roads[1:]] == ["2026-0002"]
    leader = app.test_client()
    sign_in(leader, line, LEADER2)
    mine = list(csv.reader(io.StringIO(leader.get("/admin/reports.csv").data.decode("utf-8-sig"))))
    assert [r[4] for r in mine[1:]] == ["2班"]


def test_the_geojson_has_the_located_reports(app, line, demo, db, fake, clock):
    make_report(db, lat=35.681236, lng=139.767125)
    make_report(db, user=ITO, lat=None, lng=None, address="2丁目の角")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    resp = client.get("/admin/reports.geojson")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    body = json.loads(resp.data)
    assert body["type"] == "FeatureCollection"
    (f,) = body["features"]
    assert f["geometry"] == {"type": "Point", "coordinates": [139.767125, 35.681236]}
    assert f["properties"]["number"] == "2026-0001" and f["properties"]["block"] == "1班"
    assert "佐藤 花子" not in resp.data.decode()


def test_assigning_an_officer(app, line, demo, db, fake, clock):
    from models import Association, Member
    rid = make_report(db)
    with db.session() as s:
        chair = s.scalar(select(Member.id).where(Member.line_user_id == CHAIR))
        resident = s.scalar(select(Member.id).where(Member.line_user_id == SATO))
        s.add(Association(slug="elsewhere", name="よその自治会"))
        s.flush()
        stranger = Member(association_id=s.scalar(select(Association.id).where(Association.slug == "elsewhere")),
                          line_user_id="U" + "e" * 32, name="よその 会長", role="chair", status="active")
        s.add(stranger)
        s.flush()
        stranger = stranger.id
    client = app.test_client()
    sign_in(client, line, CHAIR)
    url = f"/admin/reports/{rid}"
    for who in (resident, stranger):  # a resident, another association's chair: refused
        resp = post_form(client, url, f"{url}/assign", {"member": str(who)})
        assert resp.status_code == 400 and texts.REPORT_TRIAGE_BAD_ASSIGNEE in resp.get_data(as_text=True)
        assert report(db, rid).assigned_member_id is None
    assert post_form(client, url, f"{url}/assign", {"member": str(chair)}).status_code == 303
    assert report(db, rid).assigned_member_id == chair
    assert post_form(client, url, f"{url}/assign", {"member": ""}).status_code == 303
    assert report(db, rid).assigned_member_id is None


def test_old_unassigned_reports_are_flagged(app, line, demo, db, fake, clock):
    import datetime as dt
    old = make_report(db, at=T0 - dt.timedelta(days=4), comment="4日前の通報")
    make_report(db, at=T0 - dt.timedelta(days=1), comment="昨日の通報")
    make_report(db, at=T0 - dt.timedelta(days=9), comment="終わった通報", status="done")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    html = client.get("/admin/reports").get_data(as_text=True)
    assert texts.REPORT_PAGE_STALE.format(n=1, days=3) in html
    flagged = table_of(client, "/admin/reports?un=1")
    assert "4日前の通報" in flagged and "昨日の通報" not in flagged and "終わった通報" not in flagged
    with db.session() as s:
        from models import Member
        from models.reports import Report
        s.get(Report, old).assigned_member_id = s.scalar(select(Member.id).where(Member.line_user_id == CHAIR))
    assert 'id="stale"' not in client.get("/admin/reports").get_data(as_text=True)

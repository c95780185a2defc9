"""操作の記録 (/admin/audit): the board sees its association's audit log in words, filters it by
who, action and date, and downloads it as CSV; a block leader and another association see nothing."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from sqlalchemy import select

from handlers.messages import texts
from models import Association, Member
from models.audit import record

from admin_kit import send_circular
from registry_kit import (  # noqa: F401 - clock is a fixture
    CHAIR,
    LEADER,
    NOW,
    OTHER_CHAIR,
    city_of_two,
    clock,
    sign_in,
    sign_in_directly,
)


@pytest.fixture
def client(app):
    return app.test_client()


def member(db, user: str) -> tuple[int, int]:
    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == user))
        return m.id, m.association_id


def add(db, user: str | None, action: str, at: dt.datetime, **detail) -> None:
    with db.session() as s:
        mid, aid = member(db, user or CHAIR)
        record(s, aid, mid if user else None, action, f"member:{mid}", at=at, **detail)


def rows(html: str) -> list[str]:
    body = html.split('id="audit"', 1)[1] if 'id="audit"' in html else ""
    return body.split("<tr>")[2:]  # after the header row


def test_the_board_sees_what_was_done_in_words(client, line, demo, fake, clock):
    send_circular(line)  # 回覧を送信, by 山田 太郎
    add(demo, CHAIR, "household.edit", NOW, before={"paper": False, "name": "鈴木 一郎"},
        after={"paper": True, "name": "鈴木 一朗"})
    sign_in(client, line)  # 管理画面のリンクを発行
    html = client.get("/admin/audit").get_data(as_text=True)
    shown = rows(html)
    assert any(texts.AUDIT_ACTIONS["circular.send"] in r and "山田 太郎" in r for r in shown)
    assert any(texts.AUDIT_ACTIONS["admin.link"] in r for r in shown)
    change = next(r for r in shown if "household.edit" in r)  # no words for it: the key itself
    assert "紙で受け取る: いいえ → はい" in change and "氏名: 鈴木 一郎 → 鈴木 一朗" in change
    assert texts.NAV_AUDIT in html and 'href="/admin/audit"' in html  # in the bar


def test_filters_by_action_who_and_day(client, line, demo, clock):
    day1, day2 = NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=1)
    add(demo, CHAIR, "role.grant", day1)
    add(demo, LEADER, "event.proxy", day2)
    add(demo, None, "join_codes.renew", day2)
    sign_in(client, line)
    by_action = rows(client.get("/admin/audit?action=role.grant").get_data(as_text=True))
    assert len(by_action) == 1 and texts.AUDIT_ACTIONS["role.grant"] in by_action[0]
    leader_id, _ = member(demo, LEADER)
    by_who = rows(client.get(f"/admin/audit?who={leader_id}").get_data(as_text=True))
    assert len(by_who) == 1 and texts.AUDIT_ACTIONS["event.proxy"] in by_who[0] and "田中 実" in by_who[0]
    local = (day2 + dt.timedelta(hours=9)).date().isoformat()  # Asia/Tokyo
    on_day2 = rows(client.get(f"/admin/audit?from={local}&to={local}").get_data(as_text=True))
    assert len(on_day2) == 2 and any(texts.AUDIT_SYSTEM in r for r in on_day2)
    # nonsense in the filters is ignored, not an error
    assert client.get("/admin/audit?who=abc&action=<x>&from=2026-13-40").status_code == 200


def test_csv_has_the_filtered_rows_for_excel(client, line, demo, clock):
    add(demo, CHAIR, "role.grant", NOW - dt.timedelta(days=2), before={"role": "member"}, after={"role": "officer"})
    add(demo, CHAIR, "=HYPERLINK(\"x\")", NOW - dt.timedelta(days=1))
    sign_in(client, line)
    resp = client.get("/admin/audit.csv?action=role.grant")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="kairan-audit-')
    data = resp.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == texts.AUDIT_CSV_HEADER
    assert [r[2] for r in table[1:]] == [texts.AUDIT_ACTIONS["role.grant"]]
    assert table[1][1] == "山田 太郎" and "役職: member → officer" in table[1][4]
    everything = client.get("/admin/audit.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in everything  # a formula stays text in Excel


def test_a_block_leader_gets_no_log(client, line, demo, clock):
    sign_in(client, line, LEADER)
    for url in ("/admin/audit", "/admin/audit.csv"):
        resp = client.get(url)
        assert resp.status_code == 403 and texts.AUDIT_BOARD_ONLY in resp.get_data(as_text=True)
    assert 'href="/admin/audit"' not in client.get("/admin/").get_data(as_text=True)


def test_another_associations_log_is_not_shown(client, line, demo, k, clock):
    _, ours, theirs = city_of_two(demo)
    add(demo, CHAIR, "role.grant", NOW, before={"name": "山田 太郎"}, after={"name": "秘密の名前"})
    sign_in_directly(client, k, OTHER_CHAIR)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "秘密の名前" not in html and "山田 太郎" not in html
    csv_text = client.get("/admin/audit.csv").get_data().decode("utf-8-sig")
    assert "秘密の名前" not in csv_text
    with demo.session() as s:
        assert s.get(Association, theirs).name == "西町自治会"
    # their own filter by our chair's id shows nothing of ours
    chair_id, _ = member(demo, CHAIR)
    assert rows(client.get(f"/admin/audit?who={chair_id}").get_data(as_text=True)) == []


def test_the_day_filter_follows_the_clock_not_the_real_day(client, line, demo):
    with time_machine.travel(dt.datetime(2031, 6, 30, 15, 30, tzinfo=dt.timezone.utc), tick=False):
        add(demo, CHAIR, "role.grant", dt.datetime(2031, 6, 30, 15, 0, tzinfo=dt.timezone.utc))  # 7/1 00:00 JST
        sign_in(client, line)
        q = "/admin/audit?action=role.grant"
        assert len(rows(client.get(q + "&from=2031-07-01&to=2031-07-01").get_data(as_text=True))) == 1
        assert rows(client.get(q + "&to=2031-06-30").get_data(as_text=True)) == []
        assert rows(client.get(q + "&from=2031-07-02").get_data(as_text=True)) == []

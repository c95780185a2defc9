"""名簿CSV in the browser (the yearly renewal, 年度更新): an upload in UTF-8, UTF-8 with BOM or
Shift_JIS shows households added / changed / removed and writes nothing; the apply carries the
file back signed for this association and officer (edited or another's: 400, nothing written);
removals need the count confirmed, and erase the removed households' members exactly as 退会 does.
The export is UTF-8 with a BOM. The board only."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from bot.dev.demo import HOUSEHOLDS, demo_user_id
from handlers.messages import texts
from models import AuditLog, Household, Member, MemberStatus

from admin_kit import sign_in
from chat import actions
from registry_kit import KOBAYASHI, LEADER, OTHER_CHAIR, city_of_two, clock, sign_in_directly  # noqa: F401
from roster_kit import dump, everywhere, household, household_id, member_id, post

GONE = ("加藤 恵子", "吉田 勇")  # not in the new year's list


@pytest.fixture
def client(app):
    return app.test_client()


def new_list() -> str:
    """The new year's list: two households gone, 中村 幸子 no longer 要支援, one new household without LINE."""
    lines = ["班,氏名,LINE,要支援"]
    for block, name, _role, on_line, support in HOUSEHOLDS:
        if name in GONE:
            continue
        if name == "中村 幸子":
            support = False
        lines.append(f"{block},{name},{'有' if on_line else '無'},{'有' if support else '無'}")
    lines.append("4班,新井 一郎,無,有")
    return "\r\n".join(lines) + "\r\n"


def upload(client, data: bytes, filename: str = "meibo.csv"):
    return post(client, "/admin/roster/import", "/admin/roster/import",
                {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def signed(html: str) -> str:
    return re.search(r'name="data" value="([^"]+)"', html).group(1)


def apply(client, data: str, **form):
    return post(client, "/admin/roster", "/admin/roster/import/apply", {"data": data, **form})


ENCODINGS = {"utf-8": lambda t: t.encode("utf-8"), "utf-8 with BOM": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
             "Shift_JIS": lambda t: t.encode("cp932")}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_the_preview_shows_the_changes_and_writes_nothing(client, line, demo, clock, encoding):
    sign_in(client, line)
    before = dump(demo)
    resp = upload(client, ENCODINGS[encoding](new_list()))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:1000]
    html = resp.get_data(as_text=True)
    added = html.split('id="added"', 1)[1].split("</section>", 1)[0]
    changed = html.split('id="changed"', 1)[1].split("</section>", 1)[0]
    removed = html.split('id="removed"', 1)[1].split("</section>", 1)[0]
    assert texts.IMPORT_ADDED.format(n=1) in added and "4班 新井 一郎" in added
    assert texts.IMPORT_CHANGED.format(n=1) in changed and "中村 幸子" in changed
    assert texts.IMPORT_REMOVED.format(n=2) in removed and all(n in removed for n in GONE)
    assert texts.IMPORT_NEW_BLOCKS.format(names="4班") in html
    assert texts.IMPORT_REMOVE_CONFIRM.format(n=2, m=1) in html  # 加藤 恵子 is registered; 吉田 勇 nobody
    assert dump(demo) == before  # nothing written


def test_applying_adds_changes_and_removes_and_erases_as_withdrawal(client, line, demo, clock):
    sign_in(client, line)
    gone_member = member_id(demo, "加藤 恵子")
    html = upload(client, new_list().encode("cp932")).get_data(as_text=True)
    resp = apply(client, signed(html), remove="2", mode="all")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/admin/roster?")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.ROSTER_IMPORTED.format(added=1, changed=1, removed=2) in page
    new = household(demo, household_id(demo, "新井 一郎"))
    assert new["block"] == "4班" and new["paper"] and not new["on_line"] and new["needs_support"]
    assert new["paper_by_id"] == member_id(demo, "山田 太郎")  # who set paper: the officer who applied
    assert household(demo, household_id(demo, "中村 幸子"))["needs_support"] is False
    assert all(household_id(demo, n) is None for n in GONE)
    with demo.session() as s:
        m = s.get(Member, gone_member)
        assert (m.status, m.name, m.line_user_id, m.household_id) == (MemberStatus.withdrawn, None, None, None)
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        (imp,) = [r for r in rows if r.action == "roster.import"]
        assert imp.detail == {"added": 1, "changed": 1, "removed": 2}
        assert len([r for r in rows if r.action == "household.remove"]) == 2
        assert [r.target for r in rows if r.action == "member.erase"] == [f"member:{gone_member}"]
    assert everywhere(demo, ["加藤 恵子", "加藤恵子", demo_user_id("加藤 恵子"), "吉田 勇"]) == []
    # the same file again: nothing to do
    again = upload(client, new_list().encode("utf-8")).get_data(as_text=True)
    assert texts.IMPORT_NOTHING in again


def test_removal_erases_exactly_as_withdrawal_in_chat(client, line, demo, clock):
    """伊藤 美咲 leaves in chat (退会); 加藤 恵子's household leaves the roster: their rows end the same."""
    ito, kato = member_id(demo, "伊藤 美咲"), member_id(demo, "加藤 恵子")
    out = line.text(demo_user_id("伊藤 美咲"), "退会")
    yes = [a["data"] for a in actions(out) if a.get("type") == "postback" and "v=1" in a["data"]]
    line.postback(demo_user_id("伊藤 美咲"), yes[0])
    sign_in(client, line)
    html = upload(client, new_list().encode("utf-8")).get_data(as_text=True)
    assert apply(client, signed(html), remove="2", mode="all").status_code == 303
    fields = ("name", "line_user_id", "household_id", "block_id", "consent_at", "consent_policy_version", "role",
              "status")
    with demo.session() as s:
        chat_left, removed = s.get(Member, ito), s.get(Member, kato)
        assert [getattr(chat_left, f) for f in fields] == [getattr(removed, f) for f in fields]
        assert removed.status == MemberStatus.withdrawn
    for name in ("伊藤 美咲", "加藤 恵子"):
        found = everywhere(demo, [demo_user_id(name)])
        assert found == [], found


def test_removals_need_their_count_confirmed(client, line, demo, clock):
    sign_in(client, line)
    data = signed(upload(client, new_list().encode("utf-8")).get_data(as_text=True))
    before = dump(demo)
    unticked = apply(client, data, mode="all")
    assert unticked.status_code == 400 and texts.IMPORT_CONFIRM_NEEDED in unticked.get_data(as_text=True)
    wrong = apply(client, data, remove="1", mode="all")
    assert wrong.status_code == 409 and texts.IMPORT_STALE in wrong.get_data(as_text=True)
    assert dump(demo) == before
    # kept: adds and changes only
    assert apply(client, data, mode="keep").status_code == 303
    assert all(household_id(demo, n) is not None for n in GONE)
    assert household_id(demo, "新井 一郎") is not None


def test_a_tampered_or_foreign_signature_writes_nothing(client, line, demo, k, clock):
    city_of_two(demo)
    sign_in(client, line)
    data = signed(upload(client, new_list().encode("utf-8")).get_data(as_text=True))
    before = dump(demo)
    assert apply(client, data[:-3] + ("abc" if not data.endswith("abc") else "xyz"), remove="2").status_code == 400
    assert apply(client, "", remove="2").status_code == 400
    assert dump(demo) == before
    # the chair of another association replays our signed form: refused, nothing changes anywhere
    other = client.application.test_client()
    sign_in_directly(other, k, OTHER_CHAIR)
    before = dump(demo)
    resp = post(other, "/admin/roster", "/admin/roster/import/apply", {"data": data, "remove": "2", "mode": "all"})
    assert resp.status_code == 400 and texts.IMPORT_BAD_FORM in resp.get_data(as_text=True)
    assert dump(demo) == before


def test_a_bad_file_is_explained_and_nothing_written(client, line, demo, clock):
    sign_in(client, line)
    before = dump(demo)
    resp = upload(client, "氏名,班\n".encode("utf-8"))
    assert resp.status_code == 400 and "1行目" in resp.get_data(as_text=True)
    resp = upload(client, b"")
    assert resp.status_code == 400
    assert dump(demo) == before


def test_the_export_is_utf8_with_a_bom_and_audited(client, line, demo, clock):
    sign_in(client, line)
    resp = client.get("/admin/roster.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="kairan-roster-')
    data = resp.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["班", "氏名", "LINE", "要支援"] and ["1班", "高橋 和子", "無", "有"] in table
    assert len(table) == 1 + len(HOUSEHOLDS)
    with demo.session() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "roster.export")) is not None


def test_import_and_export_are_the_boards(client, line, demo, clock):
    sign_in(client, line, LEADER)
    before = dump(demo)
    assert client.get("/admin/roster/import").status_code == 403
    assert client.get("/admin/roster.csv").status_code == 403
    assert post(client, "/admin/roster", "/admin/roster/import",
                {"file": (io.BytesIO(new_list().encode()), "m.csv")}, content_type="multipart/form-data").status_code == 403
    assert post(client, "/admin/roster", "/admin/roster/import/apply", {"data": "x"}).status_code == 403
    assert dump(demo) == before


def test_a_household_of_the_chair_or_oneself_is_kept(client, line, demo, clock):
    sign_in(client, line)
    text = "班,氏名,LINE,要支援\r\n1班,佐藤 花子,有,無\r\n"
    html = upload(client, text.encode("utf-8")).get_data(as_text=True)
    assert f'<span class="kept">{texts.IMPORT_KEPT_SELF}</span>' in html  # the chair is signed in
    n = len(HOUSEHOLDS) - 2  # all but 佐藤 花子 and the chair's own
    assert apply(client, signed(html), remove=str(n), mode="all").status_code == 303
    with demo.session() as s:
        assert sorted(h.name for h in s.scalars(select(Household))) == ["佐藤 花子", "山田 太郎"]


def test_the_chairs_household_is_kept_when_another_officer_imports(client, line, demo, clock):
    sign_in(client, line, KOBAYASHI)  # 防災担当: of the board
    html = upload(client, "班,氏名,LINE,要支援\r\n1班,佐藤 花子,有,無\r\n".encode("utf-8")).get_data(as_text=True)
    removed = html.split('id="removed"', 1)[1].split("</section>", 1)[0]
    assert f'山田 太郎 <span class="kept">{texts.IMPORT_KEPT_CHAIR}</span>' in removed
    assert f'小林 修 <span class="kept">{texts.IMPORT_KEPT_SELF}</span>' in removed
    assert texts.IMPORT_REMOVED.format(n=len(HOUSEHOLDS) - 3) in removed

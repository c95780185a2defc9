"""名簿 (/admin/roster) and 要確認世帯 (/admin/needs-check): the board sees every 班, a block leader
their own; households and members are corrected, added, removed or erased with a confirm step,
each change audited; another 班 (for a block leader) or another association's ids answer 404 and
nothing changes; a POST without or with a wrong CSRF token changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import AuditLog, Household, Member, MemberStatus
from models.households import needs_check

from admin_kit import sign_in
from registry_kit import LEADER, OTHER_CHAIR, SATO, city_of_two, clock, sign_in_directly  # noqa: F401
from roster_kit import block_id, dump, everywhere, household, household_id, member_id, post


@pytest.fixture
def client(app):
    return app.test_client()


def audits(db, action: str) -> list[AuditLog]:
    with db.session() as s:
        return [r for r in s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_the_board_sees_every_block_with_households_and_members(client, line, demo, clock):
    sign_in(client, line)
    html = client.get("/admin/roster").get_data(as_text=True)
    for name in ("1班", "2班", "3班", "高橋 和子", "田中 実", "吉田 勇"):
        assert name in html
    takahashi = html.split(f'id="h{household_id(demo, "高橋 和子")}"', 1)[1].split('class="card household"', 1)[0]
    assert texts.ROSTER_SUPPORT in takahashi and texts.ROSTER_REGISTERED[0] in takahashi
    assert f'<span class="delivery">{texts.ROSTER_PAPER}</span>' in takahashi and "名簿ファイルで" in takahashi
    yoshida = html.split(f'id="h{household_id(demo, "吉田 勇")}"', 1)[1].split('class="card household"', 1)[0]
    assert f'<span class="delivery">{texts.ROSTER_LINE_NONE}</span>' in yoshida
    yamada = html.split(f'id="h{household_id(demo, "山田 太郎")}"', 1)[1].split('class="card household"', 1)[0]
    assert texts.ROSTER_REGISTERED[1] in yamada and texts.ROLE_LABELS["chair"] in yamada
    assert texts.ROSTER_STATUS["active"] in yamada
    assert 'aria-current="page"' in html and texts.NAV_ROSTER in html
    assert texts.ROSTER_IMPORT in html and texts.ROSTER_EXPORT in html
    assert f'/admin/members/{member_id(demo, "佐藤 花子")}/erase' in html
    assert f'/admin/members/{member_id(demo, "山田 太郎")}/erase' not in html  # oneself, the chair: not here


def test_registered_counts_read_0_1_2_and_3_or_more(client, line, demo, clock):
    hid = household_id(demo, "佐藤 花子")
    with demo.session() as s:
        for i in range(3):
            s.add(Member(association_id=s.get(Household, hid).association_id, household_id=hid, name=f"佐藤 {i}",
                         line_user_id=f"U{i:032d}", status=MemberStatus.active))
    sign_in(client, line)
    html = client.get("/admin/roster").get_data(as_text=True)
    card = html.split(f'id="h{hid}"', 1)[1].split('class="card household"', 1)[0]
    assert f'<span class="registered">{texts.ROSTER_REGISTERED[3]}</span>' in card


def test_a_block_leader_sees_only_their_own_block(client, line, demo, clock):
    sign_in(client, line, LEADER)
    html = client.get("/admin/roster").get_data(as_text=True)
    assert "伊藤 美咲" in html and "高橋 和子" not in html and "小林 修" not in html
    assert texts.ROSTER_IMPORT not in html and texts.ROSTER_REMOVE not in html
    other = household_id(demo, "高橋 和子")
    before = dump(demo)
    assert client.get(f"/admin/households/{other}/edit").status_code == 404
    assert post(client, "/admin/roster", f"/admin/households/{other}/edit",
                {"name": "乗っ取り", "block": block_id(demo, "2班")}).status_code == 404
    assert post(client, "/admin/roster", f"/admin/households/{other}/paper").status_code == 404
    assert client.get(f"/admin/members/{member_id(demo, '佐藤 花子')}/edit").status_code == 404
    assert post(client, "/admin/roster", f"/admin/members/{member_id(demo, '佐藤 花子')}/edit",
                {"name": "乗っ取り"}).status_code == 404
    assert dump(demo) == before


def test_a_block_leader_corrects_their_blocks_household_but_does_not_move_or_remove_it(client, line, demo, clock):
    sign_in(client, line, LEADER)
    hid = household_id(demo, "渡辺 健")
    resp = post(client, f"/admin/households/{hid}/edit", f"/admin/households/{hid}/edit",
                {"name": "渡辺 健一", "paper": "1", "needs_support": "1"})
    assert resp.status_code == 303
    h = household(demo, hid)
    assert h["name"] == "渡辺 健一" and h["paper"] and h["needs_support"] and h["block"] == "2班"
    assert h["paper_by_id"] == member_id(demo, "田中 実") and h["paper_at"] is not None
    before = dump(demo)
    moved = post(client, f"/admin/households/{hid}/edit", f"/admin/households/{hid}/edit",
                 {"name": "渡辺 健一", "block": block_id(demo, "1班")})
    assert moved.status_code == 403
    assert client.get(f"/admin/households/{hid}/remove").status_code == 403
    assert post(client, "/admin/roster", f"/admin/households/{hid}/remove", {"confirm": "1"}).status_code == 403
    assert post(client, "/admin/roster", f"/admin/members/{member_id(demo, '伊藤 美咲')}/erase",
                {"confirm": "1"}).status_code == 403
    assert dump(demo) == before
    # the page says who set paper, and when
    html = client.get("/admin/roster").get_data(as_text=True)
    assert "田中 実さんが" in html


def test_the_board_edits_and_moves_a_household_audited_before_and_after(client, line, demo, clock):
    sign_in(client, line)
    hid = household_id(demo, "吉田 勇")
    resp = post(client, f"/admin/households/{hid}/edit", f"/admin/households/{hid}/edit",
                {"name": "吉田 勇", "block": block_id(demo, "1班"), "paper": "1"})
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/admin/roster?done=edit")
    h = household(demo, hid)
    assert h["block"] == "1班" and h["paper"] and h["paper_by_id"] == member_id(demo, "山田 太郎")
    (row,) = audits(demo, "household.update")
    assert row.target == f"household:{hid}" and row.actor_id == member_id(demo, "山田 太郎")
    assert row.detail == {"before": {"block": "3班", "paper": False}, "after": {"block": "1班", "paper": True}}
    # an empty name is refused, and nothing changes
    bad = post(client, f"/admin/households/{hid}/edit", f"/admin/households/{hid}/edit", {"name": "  "})
    assert bad.status_code == 400 and texts.ROSTER_NAME_NEEDED in bad.get_data(as_text=True)
    assert household(demo, hid)["name"] == "吉田 勇" and len(audits(demo, "household.update")) == 1


def test_adding_a_household(client, line, demo, clock):
    sign_in(client, line)
    resp = post(client, "/admin/households/new", "/admin/households/new",
                {"name": "新田 一家", "block": block_id(demo, "3班"), "paper": "1"})
    assert resp.status_code == 303
    hid = household_id(demo, "新田 一家")
    h = household(demo, hid)
    assert h["block"] == "3班" and h["paper"] and not h["on_line"]
    (row,) = audits(demo, "household.add")
    assert row.detail["after"] == {"name": "新田 一家", "block": "3班", "paper": True, "needs_support": False}


def test_a_block_leader_adds_only_to_their_own_block(client, line, demo, clock):
    sign_in(client, line, LEADER)
    before = dump(demo)
    resp = post(client, "/admin/households/new", "/admin/households/new", {"name": "よそ 者", "block": block_id(demo, "1班")})
    assert resp.status_code == 404 and dump(demo) == before
    assert post(client, "/admin/households/new", "/admin/households/new",
                {"name": "新田 一家", "block": block_id(demo, "2班")}).status_code == 303


def test_needs_check_lists_households_by_block_and_one_tap_sets_paper(client, line, demo, clock):
    sign_in(client, line)
    html = client.get("/admin/needs-check").get_data(as_text=True)
    for name in ("渡辺 健", "吉田 勇"):
        assert name in html
    assert "佐藤 花子" not in html and "高橋 和子" not in html  # registered; gets paper (the demo)
    hid = household_id(demo, "吉田 勇")
    assert f'href="/admin/households/{hid}/edit"' in html
    resp = post(client, "/admin/needs-check", f"/admin/households/{hid}/paper", {"paper": "1"})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.NEEDS_CHECK_SAVED.format(name="吉田 勇") in page
    assert f'id="h{hid}"' not in page
    h = household(demo, hid)
    assert h["paper"] and h["paper_by_id"] == member_id(demo, "山田 太郎")
    (row,) = audits(demo, "household.paper")
    assert row.detail == {"before": {"paper": False}, "after": {"paper": True}}
    with demo.session() as s:
        assert [x.name for x in needs_check(s, row.association_id)] == ["渡辺 健"]


def test_a_block_leader_sees_the_needs_check_of_their_block(client, line, demo, clock):
    sign_in(client, line, LEADER)
    html = client.get("/admin/needs-check").get_data(as_text=True)
    assert "渡辺 健" in html and "吉田 勇" not in html


def test_correcting_a_members_name_and_household(client, line, demo, clock):
    sign_in(client, line)
    mid, target = member_id(demo, "佐藤 花子"), household_id(demo, "高橋 和子")
    resp = post(client, f"/admin/members/{mid}/edit", f"/admin/members/{mid}/edit",
                {"name": "佐藤 華子", "household": target})
    assert resp.status_code == 303
    with demo.session() as s:
        m = s.get(Member, mid)
        assert m.name == "佐藤 華子" and m.household_id == target and m.block.name == "1班"
    (row,) = audits(demo, "member.edit")
    assert row.detail == {"before": {"name": "佐藤 花子", "household": "1班 佐藤 花子"},
                          "after": {"name": "佐藤 華子", "household": "1班 高橋 和子"}}


def test_erasing_a_member_is_withdrawal_with_a_confirm_step(client, line, demo, clock):
    sign_in(client, line)
    mid = member_id(demo, "佐藤 花子")
    # their name in an earlier correction of the audit log goes too
    post(client, f"/admin/members/{mid}/edit", f"/admin/members/{mid}/edit", {"name": "佐藤 花子さん"})
    page = client.get(f"/admin/members/{mid}/erase").get_data(as_text=True)
    assert texts.ROSTER_ERASE_COST in page
    before = dump(demo)
    unconfirmed = post(client, f"/admin/members/{mid}/erase", f"/admin/members/{mid}/erase")
    assert unconfirmed.status_code == 400 and dump(demo) == before
    assert post(client, f"/admin/members/{mid}/erase", f"/admin/members/{mid}/erase",
                {"confirm": "1"}).status_code == 303
    with demo.session() as s:
        m = s.get(Member, mid)
        assert (m.status, m.name, m.line_user_id, m.household_id, m.consent_at) == (
            MemberStatus.withdrawn, None, None, None, None)
    # their name (as corrected) and LINE id are nowhere; the roster's household stays, as on 退会
    assert everywhere(demo, ["佐藤 花子さん", "佐藤花子さん", SATO]) == []
    assert household(demo, household_id(demo, "佐藤 花子"))["on_line"] is False
    assert [r.target for r in audits(demo, "member.erase")] == [f"member:{mid}"]
    assert client.get(f"/admin/members/{mid}/edit").status_code == 404  # gone from the roster


def test_the_chair_and_oneself_are_not_erased_here(client, line, demo, clock):
    sign_in(client, line)
    before = dump(demo)
    me = member_id(demo, "山田 太郎")
    resp = post(client, "/admin/roster", f"/admin/members/{me}/erase", {"confirm": "1"})
    assert resp.status_code == 400 and texts.ROSTER_REMOVE_SELF in resp.get_data(as_text=True)
    resp = post(client, "/admin/roster", f"/admin/households/{household_id(demo, '山田 太郎')}/remove", {"confirm": "1"})
    assert resp.status_code == 400
    assert dump(demo) == before


def test_removing_a_household_erases_its_members_as_withdrawal(client, line, demo, clock):
    sign_in(client, line)
    hid, mid = household_id(demo, "鈴木 一郎"), member_id(demo, "鈴木 一郎")
    page = client.get(f"/admin/households/{hid}/remove").get_data(as_text=True)
    assert texts.ROSTER_REMOVE_COST.format(n=1) in page
    assert post(client, f"/admin/households/{hid}/remove", f"/admin/households/{hid}/remove",
                {"confirm": "1"}).status_code == 303
    assert household(demo, hid) is None
    with demo.session() as s:
        m = s.get(Member, mid)
        assert (m.status, m.name, m.line_user_id) == (MemberStatus.withdrawn, None, None)
    from bot.dev.demo import demo_user_id
    assert everywhere(demo, ["鈴木 一郎", "鈴木一郎", demo_user_id("鈴木 一郎")]) == []
    (row,) = audits(demo, "household.remove")
    assert row.detail == {"block": "1班", "withdrawn": 1, "via": "roster"}
    assert [r.target for r in audits(demo, "member.erase")] == [f"member:{mid}"]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(client, line, demo, clock, token):
    sign_in(client, line)
    hid, mid = household_id(demo, "吉田 勇"), member_id(demo, "佐藤 花子")
    before = dump(demo)
    extra = {} if token is None else {"csrf_token": token}
    for url, data in ((f"/admin/households/{hid}/edit", {"name": "x"}), ("/admin/households/new",
                      {"name": "x", "block": block_id(demo, "1班")}), (f"/admin/households/{hid}/paper", {}),
                      (f"/admin/households/{hid}/remove", {"confirm": "1"}), (f"/admin/members/{mid}/edit", {"name": "x"}),
                      (f"/admin/members/{mid}/erase", {"confirm": "1"}), ("/admin/roster/import/apply", {"data": "x"})):
        assert client.post(url, data={**data, **extra}).status_code == 400, url
    assert dump(demo) == before


def test_another_associations_ids_are_not_found_and_nothing_changes(client, line, demo, k, clock):
    _, ours, theirs = city_of_two(demo)
    sign_in_directly(client, k, OTHER_CHAIR)
    html = client.get("/admin/roster").get_data(as_text=True)
    assert "山田 太郎" not in html and "1班" not in html and "西町 会長" in html
    hid, mid = household_id(demo, "吉田 勇"), member_id(demo, "佐藤 花子")
    own_block = block_id(demo, "1組")
    before = dump(demo)
    for url in (f"/admin/households/{hid}/edit", f"/admin/households/{hid}/remove", f"/admin/members/{mid}/edit",
                f"/admin/members/{mid}/erase"):
        assert client.get(url).status_code == 404, url
    for url, data in ((f"/admin/households/{hid}/edit", {"name": "x", "block": own_block}),
                      (f"/admin/households/{hid}/paper", {}), (f"/admin/households/{hid}/remove", {"confirm": "1"}),
                      (f"/admin/members/{mid}/edit", {"name": "x"}), (f"/admin/members/{mid}/erase", {"confirm": "1"})):
        assert post(client, "/admin/roster", url, data).status_code == 404, url
    # their own household moved into our 班: refused
    other_h = household_id(demo, "西町 会長")
    assert post(client, "/admin/roster", f"/admin/households/{other_h}/edit",
                {"name": "西町 会長", "block": block_id(demo, "1班", ours)}).status_code == 404
    assert post(client, "/admin/roster", "/admin/households/new",
                {"name": "x", "block": block_id(demo, "1班", ours)}).status_code == 404
    assert dump(demo) == before
    assert "吉田 勇" not in client.get("/admin/needs-check").get_data(as_text=True)


def test_removing_a_paper_household_takes_its_name_out_of_the_log_and_messages(client, line, demo, clock):
    from bot.dev.demo import demo_user_id
    from models.messaging import enqueue

    hid = household_id(demo, "高橋 和子")
    with demo.session() as s:
        aid = s.get(Household, hid).association_id
        enqueue(s, aid, [demo_user_id("山田 太郎")], [{"type": "text", "text": "紙で配る世帯: 高橋 和子"}], "paper")
    sign_in(client, line)
    post(client, f"/admin/households/{hid}/edit", f"/admin/households/{hid}/edit",
         {"name": "高橋 和子様", "paper": "1", "needs_support": "1"})
    assert audits(demo, "household.update")[0].detail == {"before": {"name": "高橋 和子"}, "after": {"name": "高橋 和子様"}}
    page = client.get(f"/admin/households/{hid}/remove").get_data(as_text=True)
    assert texts.ROSTER_REMOVE_COST.format(n=0) in page
    assert post(client, f"/admin/households/{hid}/remove", f"/admin/households/{hid}/remove",
                {"confirm": "1"}).status_code == 303
    assert everywhere(demo, ["高橋 和子", "高橋和子"]) == []
    with demo.session() as s:
        (row,) = s.scalars(select(AuditLog).where(AuditLog.action == "household.remove")).all()
        assert row.detail == {"block": "1班", "withdrawn": 0, "via": "roster"}

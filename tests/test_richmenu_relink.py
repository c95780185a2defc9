"""Relinks: a role change, an approval, 退会 and disaster mode's start and end each queue a relink
of exactly the affected members (never sent inside the webhook request); the outbox sends it
through the link endpoints with the menu the database gives them at send time, and survives
LINE's 500s like a push."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Member, MemberStatus, OutboxMessage
from models.richmenus import KIND

from admin_kit import post_form, sign_in
from chat import all_text
from conftest import user_id
from richmenu_kit import deploy_env, last_seq, link_calls, linked_users, menu_ids, relink_rows, run_until_done
from safety_kit import BOSAI, CHAIR, LEADER2, SATO, clock, start  # noqa: F401 - clock is a fixture


@pytest.fixture
def menus(demo, db, fake, k):
    """The demo association's menus deployed; the requests of the deploy forgotten."""
    deploy_env(db, k.line)
    ids = menu_ids(db)
    fake.requests.clear()
    return ids


def active_users(db) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Member.line_user_id).where(Member.status == MemberStatus.active,
                                                                Member.line_user_id.is_not(None))))


def test_without_deployed_menus_nothing_is_queued(demo, db, fake, k, line, clock):
    start(line)
    assert relink_rows(db) == []


def test_role_change_on_the_dashboard_relinks_that_member_only(menus, app, line, db, fake, k, clock):
    client = app.test_client()
    sign_in(client, line, CHAIR)
    with db.session() as s:
        sato = s.scalar(select(Member.id).where(Member.line_user_id == SATO))
    seq = last_seq(fake)
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": sato, "role": "officer"}).status_code == 303
    assert link_calls(fake, seq) == []  # not inside the request: queued
    (row,) = relink_rows(db)
    assert row.recipients == [SATO] and row.messages == []
    drain(db, k.line)
    assert linked_users(fake, seq) == {SATO: menus["officer"]}
    assert fake.menu_of(SATO) == menus["officer"]


def test_role_change_from_the_cli_relinks(menus, db, db_url, fake, k):
    result = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
                            "KAIRAN_ASSOCIATION": None}).invoke(main, ["roles", "grant", SATO, "disaster_officer"])
    assert result.exit_code == 0, result.output
    seq = last_seq(fake)
    drain(db, k.line)
    assert linked_users(fake, seq) == {SATO: menus["officer_full"]}


def test_the_menu_is_decided_when_the_relink_is_sent(menus, app, line, db, fake, k, clock):
    client = app.test_client()
    sign_in(client, line, CHAIR)
    with db.session() as s:
        sato = s.scalar(select(Member.id).where(Member.line_user_id == SATO))
    assert post_form(client, "/admin/roles", "/admin/roles/set", {"member": sato, "role": "officer"}).status_code == 303
    assert post_form(client, "/admin/roles", f"/admin/roles/{sato}/revoke").status_code == 303
    assert len(relink_rows(db)) == 2
    seq = last_seq(fake)
    drain(db, k.line)
    assert {r.path for r in link_calls(fake, seq)} == {f"/v2/bot/user/{SATO}/richmenu/{menus['resident']}"}
    assert fake.menu_of(SATO) == menus["resident"]  # both rows link what she is at send time


def test_approval_links_the_new_member(menus, line, db, fake, k):
    uid = user_id("青木 次郎")
    card = line.follow(uid)
    q = line.tap(uid, card, texts.AGREE)
    line.tap(uid, q, "2班")
    line.text(uid, "青木 次郎")
    drain(db, k.line)
    assert relink_rows(db) == []  # waiting for approval: the default menu
    ask = fake.sends("/multicast")[-1].body["messages"]
    pick = line.tap(LEADER2, ask, texts.APPROVE)
    seq = last_seq(fake)
    line.tap(LEADER2, pick, texts.NEW_HOUSEHOLD)
    assert link_calls(fake, seq) == []
    drain(db, k.line)
    assert linked_users(fake, seq) == {uid: menus["resident"]}


def test_withdrawal_unlinks_that_user(menus, line, db, fake, k):
    fake.user_menus[(None, SATO)] = menus["resident"]  # as the deploy left her
    confirm = line.text(SATO, "退会")
    done = line.tap(SATO, confirm, texts.WITHDRAW_YES)
    assert texts.WITHDRAWN in all_text(done)
    seq = last_seq(fake)
    drain(db, k.line)
    assert linked_users(fake, seq) == {SATO: None}
    assert [(r.method, r.path) for r in link_calls(fake, seq)] == [("DELETE", f"/v2/bot/user/{SATO}/richmenu")]
    assert (None, SATO) not in fake.user_menus
    with db.session() as s:  # sent, and no longer carrying her LINE id (erased on 退会)
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
        assert [(r.status, r.recipients) for r in rows] == [("sent", [])]


def test_disaster_start_and_end_relink_everyone_surviving_a_500(menus, line, db, fake, k, clock):
    everyone = active_users(db)
    start(line)
    assert link_calls(fake) == []
    fake.fail_next(500, times=2, path_contains="richmenu")
    seq = last_seq(fake)
    run_until_done(db, k.line)
    links = linked_users(fake, seq)
    assert set(links) == everyone
    officers = {CHAIR, BOSAI, LEADER2}
    assert {u for u, m in links.items() if m == menus["disaster_officer"]} >= officers
    assert all(m == menus["disaster"] for u, m in links.items() if u not in officers and m != menus["disaster_officer"])
    assert links[SATO] == menus["disaster"]
    assert [r.status for r in fake.requests if r.seq > seq and "richmenu" in r.path].count(500) == 2
    # the end: each member's own menu again
    confirm = line.text(BOSAI, texts.CMD_DISASTER_END)
    line.tap(BOSAI, confirm, texts.DISASTER_END_YES)
    seq = last_seq(fake)
    run_until_done(db, k.line)
    links = linked_users(fake, seq)
    assert set(links) == everyone
    assert links[SATO] == menus["resident"] and links[CHAIR] == links[BOSAI] == menus["officer_full"]
    assert links[LEADER2] == menus["officer"]


def test_relinks_do_not_count_against_the_message_quota(menus, line, db, fake, k, clock):
    from models import quota, utcnow
    from models.infra import LineQuota

    with db.session() as s:
        quota.store(s, 200, 0, utcnow(), None)
    start(line)
    assert sum(len(r.recipients) for r in relink_rows(db)) > 0
    with db.session() as s:
        fig = quota.stored_figure(s, s.scalars(select(LineQuota)).one())
        pushes = sum(len(r.recipients) for r in s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind != KIND, OutboxMessage.status == "pending")))
        assert fig.queued == pushes > 0

"""`kairan richmenu deploy` against the fake LINE: menus created with their images, the default
set, every member linked by role in bulk; a second run creates nothing; a changed menu is
replaced (new one created, switched, old one deleted); no font → one line naming the fix."""
from click.testing import CliRunner
from sqlalchemy import select

import bot.richmenus as richmenus
from bot.cli import main
from bot.dev.demo import demo_user_id
from bot.richmenus import DeployError
from handlers.messages import menu_images, menus
from models import Member, MemberStatus, Role

from chat import SECRET, TOKEN
from richmenu_kit import deploy_env, last_seq, link_calls, linked_users, menu_ids

CHAIR = demo_user_id("山田 太郎")
BOSAI = demo_user_id("小林 修")
LEADER2 = demo_user_id("田中 実")
SATO = demo_user_id("佐藤 花子")


def creates(fake, after=0):
    return [r for r in fake.requests if r.seq > after and r.method == "POST" and r.path == "/v2/bot/richmenu"]


def test_first_deploy_creates_uploads_sets_default_and_links_everyone(demo, db, fake, k):
    done = deploy_env(db, k.line)
    assert sorted(done.created) == sorted(menus.MENUS) and not done.kept
    ids = menu_ids(db)
    assert set(ids) == set(menus.MENUS)
    assert set(fake.rich_menus) == set(ids.values())
    assert all(m["image"] for m in fake.rich_menus.values())  # every menu has its image
    uploads = [r for r in fake.requests if r.path.endswith("/content") and r.method == "POST"]
    assert len(uploads) == len(menus.MENUS) and all(r.status == 200 for r in uploads)
    assert fake.default_menus[None] == ids["resident"]
    links = linked_users(fake)
    with db.session() as s:
        active = {m.line_user_id: m.role for m in s.scalars(select(Member).where(
            Member.status == MemberStatus.active, Member.line_user_id.is_not(None)))}
    assert set(links) == set(active)  # every active member, nobody else
    assert links[CHAIR] == links[BOSAI] == ids["officer_full"]
    assert links[LEADER2] == ids["officer"]
    assert links[SATO] == ids["resident"]
    for r in link_calls(fake):  # bulk for several (≤500 a call), the single link for one
        assert (r.path.endswith("/bulk/link") and 2 <= len(r.body["userIds"]) <= 500) or r.path.count("/") == 6


def test_second_deploy_creates_nothing(demo, db, fake, k):
    deploy_env(db, k.line)
    before, seq = dict(fake.rich_menus), last_seq(fake)
    done = deploy_env(db, k.line)
    assert done.created == [] and sorted(done.kept) == sorted(menus.MENUS) and done.deleted == []
    assert creates(fake, seq) == []
    assert not [r for r in fake.requests if r.seq > seq and r.method == "DELETE"]
    assert fake.rich_menus.keys() == before.keys()


def test_a_changed_menu_is_replaced_and_the_old_one_deleted(demo, db, fake, k, monkeypatch):
    deploy_env(db, k.line)
    old = menu_ids(db)
    seq = last_seq(fake)
    changed = menus.Menu("resident", menus.MENUS["resident"].rows[:1])  # one row fewer
    monkeypatch.setitem(menus.MENUS, "resident", changed)
    monkeypatch.setattr(richmenus, "MENUS", menus.MENUS)
    done = deploy_env(db, k.line)
    assert done.created == ["resident"] and done.deleted == [old["resident"]]
    new = menu_ids(db)
    assert new["resident"] != old["resident"] and {k_: v for k_, v in new.items() if k_ != "resident"} == {
        k_: v for k_, v in old.items() if k_ != "resident"}
    assert [r.body["areas"] for r in creates(fake, seq)] == [changed.body()["areas"]]
    assert fake.default_menus[None] == new["resident"] and old["resident"] not in fake.rich_menus
    assert linked_users(fake, seq)[SATO] == new["resident"]


def test_no_font_stops_the_deploy_with_one_line(demo, db, fake, k, monkeypatch, db_url, served_fake):
    monkeypatch.setattr(menu_images, "find_font", lambda: None)
    try:
        deploy_env(db, k.line)
    except DeployError as e:
        assert str(e) == menu_images.FONT_FIX
    else:
        raise AssertionError("deployed without a font")
    assert fake.requests == []
    result = CliRunner(env={"DATABASE_URL": db_url}).invoke(main, ["richmenu", "deploy"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "noto-cjk-sans-jp-bold" in result.output


def test_cli_deploys_through_the_environments_channel_and_twice_creates_nothing(demo, db, fake, db_url, served_fake):
    env = {"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": served_fake.url, "LINE_DATA_API_BASE_URL": served_fake.url,
           "KAIRAN_SECRET_KEY": "x" * 32}
    first = CliRunner(env=env).invoke(main, ["richmenu", "deploy"])
    assert first.exit_code == 0, first.output
    assert "created 5" in first.output
    n = len(creates(fake))
    second = CliRunner(env=env).invoke(main, ["richmenu", "deploy"])
    assert second.exit_code == 0, second.output
    assert "created 0" in second.output and len(creates(fake)) == n == len(menus.MENUS)
    assert fake.menu_of(SATO) == menu_ids(db)["resident"]
    with db.session() as s:
        assert s.scalar(select(Member.role).where(Member.line_user_id == CHAIR)) == Role.chair
    assert fake.menu_of(CHAIR) == menu_ids(db)["officer_full"]

"""Issue 10: `kairan members recent` — the newest LINE registrations with their LINE user ids, which
is how the operator finds the first 会長's id to run `kairan roles grant <id> chair`."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.dev.demo import demo_user_id
from models import Database, Household, Member, MemberStatus, Role

from conftest import user_id

T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone.utc)  # 19:00 in Japan
NEWCOMER = user_id("first-chair")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def run(db_url):
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None,
                            "LINE_CHANNEL_ACCESS_TOKEN": None, "KAIRAN_ASSOCIATION": None})

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result
    return run


@pytest.fixture
def database(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


def register(database: Database, uid: str, name: str, status: MemberStatus, household: str = "鈴木 一郎") -> None:
    """Someone who added the bot and answered 同意 → 班 → 名前 (as handlers/registration writes them)."""
    with database.session() as s:
        h = s.scalar(select(Household).where(Household.name == household))
        s.add(Member(association_id=h.association_id, line_user_id=uid, household_id=h.id, block_id=h.block_id,
                     name=name, status=status))


def rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("2026-")]


def test_the_newest_registration_first_with_its_line_user_id(run, database, clock):
    run("demo")
    clock.shift(dt.timedelta(hours=2))
    register(database, NEWCOMER, "小川 一", MemberStatus.pending)
    out = run("members", "recent").output
    listed = rows(out)
    assert listed[0].split() == ["2026-11-22", "21:00", "承認待ち", "小川", "一", "1班", NEWCOMER]  # Japan's time
    assert any(demo_user_id("山田 太郎") in r and "会長" in r for r in listed[1:])
    assert "kairan roles grant <LINE ユーザーID> chair" in out
    assert [r.split() for r in rows(run("members", "recent", "--limit", "1").output)] == [listed[0].split()]
    # the id shown is the one `roles grant` takes: the first chair's way in
    assert "会長にしました" in run("roles", "grant", NEWCOMER, "chair").output
    with database.session() as s:
        assert s.scalar(select(Member.role).where(Member.line_user_id == NEWCOMER)) == Role.chair


def test_withdrawn_and_blocked_only_with_all(run, database, clock):
    run("demo")
    clock.shift(dt.timedelta(minutes=5))
    register(database, user_id("gone"), "", MemberStatus.withdrawn)
    register(database, user_id("blocked"), "木下 明", MemberStatus.unfollowed)
    plain = run("members", "recent").output
    assert user_id("gone") not in plain and user_id("blocked") not in plain
    everyone = run("members", "recent", "--all").output
    assert user_id("gone") in everyone and "退会" in everyone and "ブロック中" in everyone


def test_nobody_on_line_yet_and_no_association(run, database, clock):
    assert run("members", "recent", ok=False).exit_code != 0  # no association: a clear error, no traceback
    run("demo")
    with database.session() as s:
        for m in s.scalars(select(Member)):
            m.line_user_id = None
    assert "まだいません" in run("members", "recent").output

"""The `kairan` command: roster CSV import/export, roles, join codes, demo, serve wiring."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from stdnum import damm

from bot.cli import main
from bot.dev.demo import demo_user_id
from models import Association, AuditLog, Block, Database, Household, Member, MemberStatus, Role

ROSTER = """班,氏名,LINE,要支援
1班,山田 太郎,有,無
1班,高橋 和子,無,有
2班,田中 実,有,無
2班,中村 幸子,有,有
"""


@pytest.fixture
def run(db_url, tmp_path):
    """Invoke `kairan ...` against the test database, in simulator mode."""
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


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def snapshot(db: Database) -> list[tuple]:
    """Everything an import may touch, to compare before and after."""
    with db.session() as s:
        return [tuple(r) for r in s.execute(
            select(Block.name, Block.position, Household.id, Household.name, Household.on_line,
                   Household.needs_support, Household.join_code)
            .join(Household, Household.block_id == Block.id, isouter=True).order_by(Block.id, Household.id))] + \
            [tuple(r) for r in s.execute(select(Association.slug, Association.name))]


def households(db: Database) -> dict[str, tuple]:
    with db.session() as s:
        return {h.name: (h.block.name, h.on_line, h.needs_support, h.join_code)
                for h in s.scalars(select(Household))}


def one_error_line(result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- roster import -------------------------------------------------------------------------
def test_import_writes_blocks_and_households(run, database, tmp_path):
    result = run("roster", "import", "--association", "西町自治会", write(tmp_path, ROSTER))
    assert "追加 4世帯" in result.output and "高橋 和子" in result.output
    with database.session() as s:
        assoc = s.scalars(select(Association)).one()
        assert assoc.name == "西町自治会" and assoc.slug == "assoc1"
        assert [(b.name, b.position) for b in assoc.blocks] == [("1班", 0), ("2班", 1)]
    rows = households(database)
    assert {n: v[:3] for n, v in rows.items()} == {
        "山田 太郎": ("1班", True, False), "高橋 和子": ("1班", False, True),
        "田中 実": ("2班", True, False), "中村 幸子": ("2班", True, True)}
    codes = [v[3] for v in rows.values()]
    # 12 digits, the last a Damm check digit (issue 18 #5: 8 digits were guessable)
    assert len(set(codes)) == 4 and all(re.fullmatch(r"\d{4}-\d{4}-\d{4}", c) for c in codes)
    assert all(damm.is_valid(c.replace("-", "")) for c in codes)


def test_import_without_association_needs_a_name(run, database, tmp_path):
    before = snapshot(database)
    line = one_error_line(run("roster", "import", write(tmp_path, ROSTER), ok=False))
    assert "--association" in line
    assert snapshot(database) == before


def test_reimport_is_a_no_op(run, database, tmp_path):
    path = write(tmp_path, ROSTER)
    run("roster", "import", "--association", "西町自治会", path)
    before = snapshot(database)
    result = run("roster", "import", path)
    assert "変更はありません" in result.output and "変更なし 4世帯" in result.output
    assert "追加" not in result.output
    assert snapshot(database) == before


def test_changed_file_updates_only_what_changed(run, database, tmp_path):
    run("roster", "import", "--association", "西町自治会", write(tmp_path, ROSTER))
    before = households(database)
    changed = ROSTER.replace("1班,高橋 和子,無,有", "1班,高橋　和子,有,有") + "3班,小林 修,有,無\n"
    result = run("roster", "import", write(tmp_path, changed, name="changed.csv"))
    assert "新しい班: 3班" in result.output
    assert "追加 1世帯:\n  3班 小林 修" in result.output
    assert "変更 1世帯:\n  1班 高橋 和子（LINE 無→有）" in result.output
    assert "変更なし 3世帯" in result.output
    after = households(database)
    assert after["高橋 和子"] == ("1班", True, True, before["高橋 和子"][3])  # name kept, code kept
    assert {n: after[n] for n in before if n != "高橋 和子"} == {n: v for n, v in before.items() if n != "高橋 和子"}
    assert after["小林 修"][:3] == ("3班", True, False)
    with database.session() as s:
        assert s.scalars(select(Block.position).where(Block.name == "3班")).one() == 2


def test_import_adds_to_existing_association_and_keeps_unlisted(run, database, tmp_path):
    run("demo")
    result = run("roster", "import", write(tmp_path, "班,氏名,LINE,要支援\n1班,山田　太郎,有,無\n4班,新井 一,無,有\n"))
    assert "追加 1世帯" in result.output and "ファイルにない世帯 11件" in result.output
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 13
        assert s.scalar(select(func.count()).select_from(Association)) == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_bom_and_shift_jis_import_the_same(run, database, tmp_path, db_url, encoding):
    run("roster", "import", "--association", "西町自治会",
        write(tmp_path, ROSTER.replace("\n", "\r\n"), encoding=encoding))
    assert {n: v[:3] for n, v in households(database).items()} == {
        "山田 太郎": ("1班", True, False), "高橋 和子": ("1班", False, True),
        "田中 実": ("2班", True, False), "中村 幸子": ("2班", True, True)}
    assert "変更はありません" in run("roster", "import", write(tmp_path, ROSTER, name="utf8.csv")).output


@pytest.mark.parametrize("content, expected", [
    ("班,名前,LINE,要支援\n1班,山田 太郎,有,無\n", "1行目"),
    (ROSTER + "3班,佐藤 花子,はい,無\n", "6行目"),
    (ROSTER + "3班,,有,無\n", "6行目"),
    (ROSTER + "3班,佐藤 花子,有\n", "6行目"),
    ("", "空"),
])
def test_bad_file_writes_nothing(run, database, tmp_path, content, expected):
    run("roster", "import", "--association", "西町自治会", write(tmp_path, ROSTER))
    before = snapshot(database)
    line = one_error_line(run("roster", "import", write(tmp_path, content, name="bad.csv"), ok=False))
    assert expected in line and "bad.csv" in line
    assert snapshot(database) == before


def test_bad_file_on_empty_database_creates_nothing(run, database, tmp_path):
    bad = ROSTER + "3班,佐藤 花子,有,多分\n"
    one_error_line(run("roster", "import", "--association", "西町自治会", write(tmp_path, bad), ok=False))
    assert snapshot(database) == []


def test_undecodable_and_missing_files(run, database, tmp_path):
    before = snapshot(database)
    path = tmp_path / "garbage.csv"
    path.write_bytes(ROSTER.encode() + b"3\x8e\x80,\xff\xfe,\x81\n")
    assert "6行目" in one_error_line(run("roster", "import", "--association", "x", str(path), ok=False))
    line = one_error_line(run("roster", "import", "--association", "x", str(tmp_path / "nope.csv"), ok=False))
    assert "nope.csv" in line
    assert snapshot(database) == before


# --- roster export -------------------------------------------------------------------------
def test_export_round_trips(run, database, tmp_path):
    run("demo")
    out = tmp_path / "out.csv"
    run("roster", "export", "-o", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf\xe7\x8f\xad,")  # BOM + 班
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "班,氏名,LINE,要支援" and lines[1] == "1班,山田 太郎,有,無" and len(lines) == 13
    assert lines[4] == "1班,高橋 和子,無,有" and lines[-1] == "3班,山本 節子,有,有"
    before = snapshot(database)
    result = run("roster", "import", str(out))
    assert "変更はありません" in result.output and "変更なし 12世帯" in result.output
    assert snapshot(database) == before


def test_export_to_stdout_and_empty_template(run):
    result = run("roster", "export")
    assert result.stdout_bytes == "\ufeff班,氏名,LINE,要支援\r\n".encode()


# --- roles ---------------------------------------------------------------------------------
def test_grant_role_writes_audit(run, database):
    run("demo")
    result = run("roles", "grant", demo_user_id("佐藤 花子"), "officer")
    assert "佐藤 花子" in result.output and "役員" in result.output
    with database.session() as s:
        m = s.scalars(select(Member).where(Member.line_user_id == demo_user_id("佐藤 花子"))).one()
        assert m.role == Role.officer
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "role.grant")).one()
        assert audit.actor_id is None and audit.target == f"member:{m.id}" and audit.detail["role"] == "officer"


def test_grant_block_leader_of_another_block(run, database):
    run("demo")
    run("roles", "grant", demo_user_id("佐藤 花子"), "block_leader", "--block", "3班")
    with database.session() as s:
        m = s.scalars(select(Member).where(Member.line_user_id == demo_user_id("佐藤 花子"))).one()
        assert m.role == Role.block_leader and m.block.name == "3班" and m.household.block.name == "1班"
    run("roles", "grant", demo_user_id("佐藤 花子"), "member")
    with database.session() as s:
        m = s.scalars(select(Member).where(Member.line_user_id == demo_user_id("佐藤 花子"))).one()
        assert m.role == Role.member and m.block.name == "1班"
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 2


def test_grant_to_pending_member(run, database):
    run("demo")
    with database.session() as s:
        block = s.scalars(select(Block).where(Block.name == "2班")).one()
        s.add(Member(association_id=block.association_id, line_user_id="Upending", name="新人", block_id=block.id,
                     role=Role.prospective, status=MemberStatus.pending))
    result = run("roles", "grant", "Upending", "block_leader")
    assert "承認" in result.output
    with database.session() as s:
        m = s.scalars(select(Member).where(Member.line_user_id == "Upending")).one()
        assert (m.role, m.block_id, m.status) == (Role.block_leader, block.id, MemberStatus.pending)


def test_grant_to_unknown_user_writes_nothing(run, database):
    run("demo")
    with database.session() as s:
        s.add(Member(association_id=1, line_user_id="Ugone", status=MemberStatus.declined))
    before = snapshot(database)
    for uid in ("U" + "0" * 32, "Ugone"):
        assert uid in one_error_line(run("roles", "grant", uid, "chair", ok=False))
    assert "9班" in one_error_line(
        run("roles", "grant", demo_user_id("佐藤 花子"), "block_leader", "--block", "9班", ok=False))
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 0
        assert s.scalar(select(func.count()).where(Member.role != Role.member)) == 3
    assert snapshot(database) == before


def test_roles_list_shows_officers(run):
    run("demo")
    lines = run("roles", "list").output.splitlines()
    assert lines[0].split() == ["役職", "氏名", "班", "LINE", "ユーザーID"]
    assert lines[1].split() == ["会長", "山田", "太郎", "1班", demo_user_id("山田 太郎")]
    assert [line.split()[0] for line in lines[1:]] == ["会長", "防災担当", "班長"]


def test_commands_without_association_fail_cleanly(run):
    for args in (["roles", "list"], ["join-codes"], ["roles", "grant", "Ux", "chair"]):
        assert "自治会" in one_error_line(run(*args, ok=False))


# --- join codes, demo ------------------------------------------------------------------------
def test_join_codes_lists_every_household(run, database):
    run("demo")
    output = run("join-codes").output
    with database.session() as s:
        for h in s.scalars(select(Household)):
            assert re.search(rf"{h.block.name}\s+{h.name}\s+{h.join_code}", output)
    assert output.index("1班") < output.index("2班") < output.index("3班")


def test_demo_twice_does_not_duplicate(run, database):
    assert "作成しました" in run("demo").output
    assert "作成しませんでした" in run("demo").output
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 12
        assert s.scalar(select(func.count()).select_from(Association)) == 1


def test_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = CliRunner(env={"DATABASE_URL": url}).invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    db = Database(url)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
    db.dispose()


# --- serve wiring (without serving) ------------------------------------------------------------
@pytest.mark.parametrize("simulator", [True, False])
def test_serve_wiring(tmp_path, monkeypatch, simulator):
    import werkzeug.serving

    import scheduler.runner

    calls = {}
    monkeypatch.setattr(scheduler.runner, "start_background", lambda k: calls.setdefault("scheduler", k))
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, app, **kw: calls.update(serve=(host, port, kw), app=app))
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"  # not migrated yet: serve migrates
    env = {"DATABASE_URL": url, "PORT": None, "KAIRAN_BASE_URL": None, "LINE_API_BASE_URL": None,
           "LINE_DATA_API_BASE_URL": None}
    if not simulator:
        env.update(LINE_CHANNEL_SECRET="s", LINE_CHANNEL_ACCESS_TOKEN="t", KAIRAN_SECRET_KEY="x" * 43)
    else:
        env.update(LINE_CHANNEL_SECRET=None, LINE_CHANNEL_ACCESS_TOKEN=None, KAIRAN_SECRET_KEY=None)
    result = CliRunner(env=env).invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert calls["serve"] == ("0.0.0.0", 8123, {"threaded": True, "use_reloader": False})
    k = calls["app"].extensions["kairan"]
    assert calls["scheduler"] is k
    assert "http://127.0.0.1:8123/" in result.output
    assert ("http://127.0.0.1:8123/simulator" in result.output) == simulator
    assert k.settings.simulator == simulator
    if simulator:
        assert k.settings.line_api_base_url == "http://127.0.0.1:8123/_fake_line"
    with k.db.session() as s:
        # the simulator's demo: 東町自治会 (12) and, on the city channel, 西町自治会 (bot/dev/demo.py)
        assert s.scalar(select(func.count()).select_from(Household)) == (12 + 6 if simulator else 0)
    k.db.dispose()


def test_join_codes_renew_replaces_old_eight_digit_codes_only(run, database):
    run("demo")
    with database.session() as s:
        old = s.scalar(select(Household).where(Household.name == "吉田 勇"))
        old.join_code = "1234-5678"  # printed before codes got 12 digits
        kept = {h.name: h.join_code for h in s.scalars(select(Household)) if h.name != "吉田 勇"}
    listing = run("join-codes").output
    assert "1234-5678" in listing and "8桁の古い登録コードが1世帯あります" in listing
    output = run("join-codes", "--renew").output
    assert "1世帯の登録コードを新しくしました" in output and "1234-5678" not in output
    with database.session() as s:
        codes = {h.name: h.join_code for h in s.scalars(select(Household))}
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", codes["吉田 勇"])
    assert {n: c for n, c in codes.items() if n != "吉田 勇"} == kept


def test_the_last_chair_keeps_the_role_until_a_successor_has_it(run, database):
    run("demo")
    chair, sato = demo_user_id("山田 太郎"), demo_user_id("佐藤 花子")
    before = snapshot(database)
    assert "最後の会長" in one_error_line(run("roles", "grant", chair, "member", ok=False))
    assert snapshot(database) == before  # nothing written, not even the audit row
    run("roles", "grant", sato, "chair")  # the successor first: then the old chair may step down
    run("roles", "grant", chair, "officer")
    with database.session() as s:
        roles = {m.line_user_id: m.role for m in s.scalars(select(Member).where(Member.line_user_id.in_([chair, sato])))}
        assert roles == {chair: Role.officer, sato: Role.chair}

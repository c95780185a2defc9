"""The city's registry sheet (bot/registry_csv.py) and `kairan registry`: every association of the
municipality in one UTF-8-with-BOM CSV, formulas kept as text; an import shows exactly what
changes and writes nothing until it is applied; applying writes the changes and their history."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import registry_csv
from bot.cli import main
from handlers.messages import texts
from models import Association, Municipality, RegistryChange, RegistryEntry
from models.registry import Actor, apply_changes

from registry_kit import CITY, city_of_two, clock  # noqa: F401 - clock is a fixture

STAFF = Actor("staff", "神戸 花子（神戸市の担当者）", "csv", staff_id=None)
CHAIR = Actor("member", "山田 太郎（会長）", "web")


@pytest.fixture
def city(demo):
    """(municipality id, the demo association's id, the other's id), with a third association of
    another municipality."""
    ids = city_of_two(demo)
    with demo.session() as s:
        other_city = Municipality(name="明石市")
        s.add(other_city)
        s.flush()
        s.add(Association(slug="akashi", name="明石の自治会", municipality_id=other_city.id))
    return ids


def sheet_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def to_csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def history(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(RegistryChange.association_id, RegistryChange.field,
                                                   RegistryChange.before, RegistryChange.after,
                                                   RegistryChange.actor_label, RegistryChange.via)
                                            .order_by(RegistryChange.id))]


def fill(db, assoc_id: int, **changes) -> None:
    with db.session() as s:
        apply_changes(s, s.get(Association, assoc_id), changes, CHAIR)


def test_export_is_one_bom_sheet_with_a_row_per_association(demo, city, clock):
    city_id, ours, theirs = city
    fill(demo, ours, chair_name="山田 太郎", households=120, federation=True, chair_since=dt.date(2026, 4, 1))
    with demo.session() as s:
        data = registry_csv.export(s, city_id)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert b"\r\n" in data
    rows = sheet_rows(data)
    assert rows[0] == [texts.REGISTRY_CSV_ID] + list(texts.REGISTRY_FIELDS.values())
    assert [r[0] for r in rows[1:]] == [str(ours), str(theirs)]  # one row each; 明石市's is not there
    ours_row = dict(zip(rows[0], rows[1]))
    assert (ours_row["自治会名"], ours_row["会長氏名"], ours_row["世帯数"], ours_row["区分"], ours_row["会長就任日"],
            ours_row["状態"], ours_row["回覧物部数"]) == ("東町自治会", "山田 太郎", "120", "連合会加入", "2026-04-01",
                                                 "活動中", "")
    assert dict(zip(rows[0], rows[2]))["自治会名"] == "西町自治会"


def test_formulas_are_written_as_text(demo, city, clock):
    city_id, ours, _ = city
    fill(demo, ours, notes="=1+1", chair_name="@SUM(A1)", area="-2+3", circular_name="+81")
    with demo.session() as s:
        row = dict(zip(*sheet_rows(registry_csv.export(s, city_id))[:2]))
    assert (row["備考"], row["会長氏名"], row["区域"], row["回覧物受取担当者氏名"]) == ("'=1+1", "'@SUM(A1)", "'-2+3", "'+81")
    with demo.session() as s:  # and read back as what was written: no change
        assert registry_csv.preview(s, city_id, registry_csv.read(registry_csv.export(s, city_id))) == []


def test_preview_lists_exactly_the_changed_fields_and_writes_nothing(demo, city, clock):
    city_id, ours, theirs = city
    fill(demo, ours, chair_name="山田 太郎", households=120)
    before = history(demo)
    with demo.session() as s:
        rows = sheet_rows(registry_csv.export(s, city_id))
    head = rows[0]
    rows[1][head.index("会長氏名")] = "佐藤 花子"
    rows[1][head.index("世帯数")] = "118"
    rows[2][head.index("掲示板の数")] = "4"
    rows[2][head.index("マンション・団地")] = "該当"
    with demo.session() as s:
        planned = registry_csv.preview(s, city_id, registry_csv.read(to_csv(rows)))
    assert [(p.association, p.label, p.before, p.after) for p in planned] == [
        ("東町自治会", "会長氏名", "山田 太郎", "佐藤 花子"),
        ("東町自治会", "世帯数", "120", "118"),
        ("西町自治会", "掲示板の数", "", "4"),
        ("西町自治会", "マンション・団地", "", "該当"),
    ]
    assert history(demo) == before  # a preview writes nothing
    with demo.session() as s:
        assert s.scalar(select(RegistryEntry.chair_name).where(RegistryEntry.association_id == ours)) == "山田 太郎"
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 1


def test_apply_writes_the_changes_and_the_history_with_the_importer(demo, city, clock):
    city_id, ours, theirs = city
    fill(demo, ours, chair_name="山田 太郎")
    with demo.session() as s:
        rows = sheet_rows(registry_csv.export(s, city_id))
    head = rows[0]
    rows[1][head.index("会長氏名")] = "佐藤 花子"
    rows[2][head.index("状態")] = "解散"
    rows[2][head.index("回覧物部数")] = "３０"  # typed full-width in Excel
    with demo.session() as s:
        assert registry_csv.apply(s, city_id, registry_csv.read(to_csv(rows)), STAFF) == (3, 2)
    assert history(demo)[1:] == [
        (ours, "chair_name", "山田 太郎", "佐藤 花子", STAFF.label, "csv"),
        (theirs, "circular_copies", None, "30", STAFF.label, "csv"),
        (theirs, "status", "active", "dissolved", STAFF.label, "csv"),
    ]
    with demo.session() as s:
        assert s.scalar(select(RegistryEntry.status).where(RegistryEntry.association_id == theirs)) == "dissolved"
        assert registry_csv.preview(s, city_id, registry_csv.read(to_csv(rows))) == []  # applied: nothing left


def test_a_sheet_saved_again_by_excel_changes_nothing(demo, city, clock):
    """Excel saves as Shift_JIS, drops the BOM, and writes dates as 2026/4/1."""
    city_id, ours, _ = city
    fill(demo, ours, chair_since=dt.date(2026, 4, 1), chair_name="山田 太郎")
    with demo.session() as s:
        rows = sheet_rows(registry_csv.export(s, city_id))
    rows[1][rows[0].index("会長就任日")] = "2026/4/1"
    with demo.session() as s:
        assert registry_csv.preview(s, city_id, registry_csv.read(to_csv(rows, "cp932"))) == []


def test_columns_left_out_are_not_touched(demo, city, clock):
    city_id, ours, _ = city
    fill(demo, ours, chair_name="山田 太郎", households=120)
    data = to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(ours), "125"]])
    with demo.session() as s:
        sheet = registry_csv.read(data)
        assert [(p.label, p.after) for p in registry_csv.preview(s, city_id, sheet)] == [("世帯数", "125")]
        registry_csv.apply(s, city_id, sheet, STAFF)
    with demo.session() as s:
        e = s.scalar(select(RegistryEntry).where(RegistryEntry.association_id == ours))
        assert (e.chair_name, e.households) == ("山田 太郎", 125)


@pytest.mark.parametrize("rows, error", [
    ([["自治会名"], ["x"]], texts.REGISTRY_CSV_NO_ID),
    ([[texts.REGISTRY_CSV_ID, "電話"], ["1", "x"]], texts.REGISTRY_CSV_UNKNOWN_COLUMN.format(column="電話")),
    ([[texts.REGISTRY_CSV_ID, "世帯数", "世帯数"], ["1", "1", "2"]],
     texts.REGISTRY_CSV_DUPLICATE_COLUMN.format(column="世帯数")),
    ([[texts.REGISTRY_CSV_ID, "世帯数"], ["1", "たくさん"]],
     texts.REGISTRY_CSV_LINE.format(line=2, error=texts.REGISTRY_BAD_VALUE.format(
         label="世帯数", hint=texts.REGISTRY_HINTS["int"]))),
    ([[texts.REGISTRY_CSV_ID, "世帯数"], ["1", "3"], ["1", "4"]], texts.REGISTRY_CSV_DUPLICATE_ID.format(line=3, value=1)),
    ([[texts.REGISTRY_CSV_ID, "自治会名"], ["1", ""]], texts.REGISTRY_CSV_LINE.format(
        line=2, error=texts.REGISTRY_NAME_NEEDED)),
    ([[texts.REGISTRY_CSV_ID]], None),
])
def test_a_bad_file_is_refused_with_its_line(rows, error):
    data = to_csv(rows)
    if error is None:
        assert registry_csv.read(data).rows == {}
        return
    with pytest.raises(registry_csv.RegistryCsvError) as e:
        registry_csv.read(data)
    assert str(e.value) == error


def test_another_municipalitys_association_refuses_the_whole_file(demo, city, clock):
    city_id, ours, _ = city
    with demo.session() as s:
        akashi = s.scalar(select(Association.id).where(Association.slug == "akashi"))
    data = to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(ours), "5"], [str(akashi), "7"]])
    with demo.session() as s:
        sheet = registry_csv.read(data)
        for step in (lambda: registry_csv.preview(s, city_id, sheet), lambda: registry_csv.apply(s, city_id, sheet, STAFF)):
            with pytest.raises(registry_csv.RegistryCsvError) as e:
                step()
            assert str(e.value) == texts.REGISTRY_CSV_BAD_ID.format(line=3, value=akashi)
    assert history(demo) == []


# --- kairan registry ---------------------------------------------------------------------------


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


def test_cli_export_then_import_preview_and_apply(run, demo, city, tmp_path, clock):
    city_id, ours, theirs = city
    out = run("registry", "export", "--municipality", CITY)
    rows = sheet_rows(out.stdout_bytes)
    assert out.stdout_bytes.startswith(b"\xef\xbb\xbf") and len(rows) == 3
    rows[2][rows[0].index("会長氏名")] = "西町 次郎"
    path = tmp_path / "registry.csv"
    path.write_bytes(to_csv(rows))

    out = run("registry", "import", str(path))
    assert "西町自治会｜会長氏名：（空欄） → 西町 次郎" in out.output
    assert texts.REGISTRY_CLI_PREVIEW.format(n=1, associations=1) in out.output
    assert history(demo) == []

    out = run("registry", "import", str(path), "--apply")
    assert texts.REGISTRY_CLI_APPLIED.format(n=1, associations=1) in out.output
    assert history(demo) == [(theirs, "chair_name", None, "西町 次郎", texts.REGISTRY_ACTOR_OPERATOR, "cli")]
    assert texts.REGISTRY_CLI_NOTHING in run("registry", "import", str(path)).output


def test_cli_refuses_an_unknown_municipality_and_a_mixed_file(run, demo, city, tmp_path, clock):
    out = run("registry", "export", "--municipality", "大阪市", ok=False)
    assert out.exit_code == 1 and texts.REGISTRY_CLI_NO_MUNICIPALITY.format(name="大阪市") in out.output
    with demo.session() as s:
        akashi = s.scalar(select(Association.id).where(Association.slug == "akashi"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(to_csv([[texts.REGISTRY_CSV_ID, "世帯数"], [str(city[1]), "5"], [str(akashi), "7"]]))
    out = run("registry", "import", str(path), "--apply", ok=False)
    assert out.exit_code == 1 and texts.REGISTRY_CLI_MIXED in out.output
    out = run("registry", "import", str(path), "--municipality", CITY, "--apply", ok=False)
    assert texts.REGISTRY_CSV_BAD_ID.format(line=3, value=akashi) in out.output
    assert history(demo) == []

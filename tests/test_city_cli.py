"""`kairan city-staff grant | revoke | list`: staff on the municipality's city channel; revoke ends
their web sessions; mistakes are one line and change nothing."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from models import CityStaff, Database

from citystaff_kit import make_city
from conftest import user_id

NEW = user_id("新しい 担当")


@pytest.fixture
def run(db_url):
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None,
                            "LINE_CHANNEL_ACCESS_TOKEN": None, "KAIRAN_ASSOCIATION": None})

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args))
        assert (result.exit_code == 0) == ok, (result.output, result.exception)
        return result
    return run


@pytest.fixture
def database(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


def staff_rows(db):
    with db.session() as s:
        return [(r.municipality_id, r.channel_id, r.line_user_id, r.name, r.active, r.session_epoch)
                for r in s.scalars(select(CityStaff).order_by(CityStaff.id))]


def test_grant_list_revoke(run, database):
    city = make_city(database)
    run("city-staff", "grant", NEW, "--municipality", "さくら市", "--name", "新しい 担当")
    assert staff_rows(database)[-1] == (city.municipality_id, city.city_channel.id, NEW, "新しい 担当", True, 0)
    out = run("city-staff", "list", "--municipality", "さくら市").output
    assert NEW in out and "新しい 担当" in out and "隣の市" not in out
    run("city-staff", "revoke", NEW, "--municipality", "さくら市")
    assert staff_rows(database)[-1][4:] == (False, 1)
    run("city-staff", "grant", NEW, "--municipality", "さくら市")  # again: the same row, active
    assert len(staff_rows(database)) == 3 and staff_rows(database)[-1][3:5] == ("新しい 担当", True)


def test_mistakes_change_nothing(run, database):
    make_city(database)
    before = staff_rows(database)
    assert "ありません" in run("city-staff", "grant", NEW, "--municipality", "どこか市", ok=False).output
    assert "33文字" in run("city-staff", "grant", "nobody", "--municipality", "さくら市", ok=False).output
    assert "担当者ではありません" in run("city-staff", "revoke", NEW, "--municipality", "さくら市", ok=False).output
    assert staff_rows(database) == before

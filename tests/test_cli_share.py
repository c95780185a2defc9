"""`kairan association share-with-city S --on/--off`: the association's grant that lets city staff
see names (the unread chairs of a notice); off by default, every change in the audit log."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from models import Association, AuditLog, Database


@pytest.fixture
def run(db_url):
    env = {"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
           "KAIRAN_ASSOCIATION": None, "KAIRAN_SECRET_KEY": None}

    def run(*args: str, ok: bool = True):
        result = CliRunner(env=env).invoke(main, list(args))
        assert (result.exit_code == 0) == ok, (result.output, result.exception)
        return result
    return run


def test_sharing_with_the_city_is_off_until_the_association_turns_it_on(run, db_url):
    run("municipality", "add", "みなと市")
    run("association", "add", "西町自治会", "--municipality", "みなと市", "--slug", "nishi")
    db = Database(db_url)
    try:
        with db.session() as s:
            assert s.scalar(select(Association.shares_with_city).where(Association.slug == "nishi")) is False
        run("association", "share-with-city", "nishi", "--on")
        run("association", "share-with-city", "nishi", "--off")
        run("association", "share-with-city", "nowhere", "--on", ok=False)
        with db.session() as s:
            assert s.scalar(select(Association.shares_with_city).where(Association.slug == "nishi")) is False
            changes = [a.detail for a in s.scalars(select(AuditLog).where(
                AuditLog.action == "association.share_with_city").order_by(AuditLog.id))]
        assert changes == [{"before": False, "after": True, "via": "cli"}, {"before": True, "after": False, "via": "cli"}]
    finally:
        db.dispose()

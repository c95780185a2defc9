"""Migrations run both ways where the data allows it, and refuse clearly where it does not.

Each test gets a database of its own at the head revision: a fresh SQLite file, or (with
KAIRAN_TEST_DATABASE_URL) a schema of its own in that PostgreSQL database, dropped afterwards.
"""
import datetime as dt
import json
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from bot.dev.demo import seed
from models import Household
from models.db import Database, normalize_url
from models.migrate import alembic_config, upgrade

from conftest import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("KAIRAN_TEST_DATABASE_URL is not set")
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    base = normalize_url(PG_URL)
    admin = create_engine(base)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def seeded(url: str, codes: list[str] | None = None) -> list[tuple[str, str]]:
    """Migrate to the head, seed the demo association (12-digit codes), optionally replace its
    codes; returns (household, code) as stored."""
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            seed(s)
            households = s.scalars(select(Household).order_by(Household.id)).all()
            for h, code in zip(households, codes or []):
                h.join_code = code
        return stored_codes(db)
    finally:
        db.dispose()


def stored_codes(db: Database) -> list[tuple[str, str]]:
    with db.engine.connect() as c:
        return codes_in(c)


def codes_in(c) -> list[tuple[str, str]]:
    return [tuple(r) for r in c.execute(text("SELECT name, join_code FROM households ORDER BY id"))]


def revision_and_tables(url: str):
    db = Database(url)
    try:
        with db.engine.connect() as c:
            rev = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
            cols = {col["name"]: col for col in inspect(c).get_columns("households")}
            return rev, set(inspect(c).get_table_names()), cols["join_code"]["type"].length, codes_in(c)
    finally:
        db.dispose()


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_0009_downgrades_while_every_code_is_an_old_8_digit_one(fresh_url):
    before = seeded(fresh_url, [f"{1000 + i:04d}-{5678 + i:04d}" for i in range(12)])
    assert len(before) == 12 and all(len(code) == 9 for _, code in before)
    command.downgrade(alembic_config(fresh_url), "0008")
    rev, tables, length, after = revision_and_tables(fresh_url)
    assert rev == "0008" and "join_attempts" not in tables and length == 9
    assert after == before  # every household and its code kept
    upgrade(fresh_url)  # and up again
    rev, tables, length, after = revision_and_tables(fresh_url)
    assert rev == head() and "join_attempts" in tables and length == 16 and after == before


def test_0009_refuses_to_downgrade_while_longer_codes_exist(fresh_url):
    before = seeded(fresh_url)  # the demo's codes: 1234-5678-9012, 14 characters
    assert all(len(code) == 14 for _, code in before)
    with pytest.raises(RuntimeError) as refused:
        command.downgrade(alembic_config(fresh_url), "0008")
    message = str(refused.value)
    assert "cannot downgrade below 0009" in message and "12 household(s)" in message
    assert "longer than 9 characters" in message and "8-digit codes first" in message
    rev, tables, length, after = revision_and_tables(fresh_url)
    # nothing of 0009 was undone: its table and the wide column are there, every code intact
    assert rev in ("0009", head()) and "join_attempts" in tables and length == 16 and after == before
    upgrade(fresh_url)  # the database is still usable at the head
    assert revision_and_tables(fresh_url)[0] == head()


def test_a_populated_database_upgrades_through_0009(fresh_url):
    """0009 widens households.join_code: on SQLite that copies the table, which members point at
    (it failed with "FOREIGN KEY constraint failed" as soon as a household had a member)."""
    upgrade(fresh_url, "0008")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # any time: created_at only
    db = Database(fresh_url)
    try:
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO associations (id, slug, name, created_at) VALUES (1, 'a', '東町', :t)"),
                      {"t": now})
            c.execute(text("INSERT INTO blocks (id, association_id, name, position) VALUES (1, 1, '1班', 0)"))
            c.execute(text("INSERT INTO households (id, association_id, block_id, name, on_line, needs_support,"
                           " join_code, origin, created_at) VALUES (1, 1, 1, '山田 太郎', true, false, '1234-5678',"
                           " 'roster', :t)"), {"t": now})
            c.execute(text("INSERT INTO members (id, association_id, household_id, name, role, status, language,"
                           " created_at, session_epoch) VALUES (1, 1, 1, '山田 太郎', 'chair', 'active', 'ja', :t, 0)"),
                      {"t": now})
    finally:
        db.dispose()
    upgrade(fresh_url)
    rev, tables, length, codes = revision_and_tables(fresh_url)
    assert rev == head() and length == 16 and codes == [("山田 太郎", "1234-5678")]
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert c.execute(text("SELECT household_id FROM members")).scalar() == 1
    finally:
        db.dispose()


def test_the_models_match_the_migrations(fresh_url):
    """What autogenerate would write after the head revision: nothing (models.Base = the migrated schema)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models import Base

    upgrade(fresh_url)
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata) == []
    finally:
        db.dispose()


# --- 0012: receipts point at their subject with a real foreign key ----------------------------
RECEIPT = ("id, household_id, person_key, via_line, delivered_at, page_token, read_at, read_by_id, read_via, answer,"
           " answer_data, answered_at, answered_by_id, answered_by_proxy")
SUBJECT_OF = {"circular": "circular_id", "event": "event_id", "safety": "disaster_id"}


def frozen(r) -> tuple:
    """A row as a set member (PostgreSQL hands JSON back as dicts: compared as canonical text)."""
    return tuple(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in r)


def receipts_0011(c) -> set[tuple]:
    return {frozen(r) for r in c.execute(text(f"SELECT subject_type, subject_id, {RECEIPT} FROM deliveries"))}


def receipts_0012(c) -> set[tuple]:
    kind = "CASE " + " ".join(f"WHEN {col} IS NOT NULL THEN '{k}'" for k, col in SUBJECT_OF.items()) + " END"
    return {frozen(r) for r in c.execute(text(
        f"SELECT {kind}, COALESCE(circular_id, event_id, disaster_id), {RECEIPT} FROM deliveries"))}


def children(c) -> dict[str, set[tuple]]:
    """Every row hanging off a receipt, its delivery_id first."""
    return {t: {frozen(r) for r in c.execute(text(f"SELECT delivery_id, * FROM {t}"))}
            for t in ("delivery_history", "safety_locations", "safety_photos")}


def fill_0011(url: str) -> dict:
    """The demo association and, in the SQL of revision 0011, two circulars, an event (per person),
    a disaster, their receipts with reads, answers, answer data and history, locations and photos;
    and orphans: receipts of a circular and a disaster that no longer exist, and of an unknown kind."""
    from sqlalchemy import MetaData

    from models import Member

    db = Database(url)
    try:
        # the roster tables are the same at 0011 and at the head but for the city tier's columns of
        # associations (0013, 0014), the dashboard's of households (0017) and the reports' categories
        # (0020): added for the ORM's seed, then dropped again
        later = [("associations", "municipality_id INTEGER"), ("associations", "district VARCHAR(60)"),
                 ("associations", "shares_with_city BOOLEAN DEFAULT false NOT NULL"),
                 ("households", "paper BOOLEAN DEFAULT false NOT NULL"), ("households", "paper_by_id INTEGER"),
                 ("households", "paper_at TIMESTAMP"), ("associations", "report_categories TEXT"),
                 ("associations", "shelter_info TEXT")]
        with db.engine.begin() as c:
            for table, column in later:
                c.execute(text(f"ALTER TABLE {table} ADD COLUMN {column}"))
        with db.session() as s:
            seed(s)
        with db.engine.begin() as c:
            for table, column in later:
                c.execute(text(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}"))
        with db.session() as s:
            households = s.scalars(select(Household.id).order_by(Household.id)).all()
            members = s.execute(select(Member.id, Member.household_id).order_by(Member.id)).all()
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)  # any time: stored values only
        at = [now + dt.timedelta(minutes=i) for i in range(40)]
        with db.engine.begin() as c:
            t = MetaData()
            t.reflect(c)
            t = t.tables
            common = {"association_id": 1, "target": "all", "target_block_ids": [], "author_id": members[0].id,
                      "state": "sent", "version": 1, "created_at": at[0], "sent_at": at[1], "push_count": 3}
            for i in (1, 2):
                c.execute(t["circulars"].insert().values(id=i, title=f"回覧{i}", body="本文", reminder_plan=[2], **common))
            # the event has id 1 too: receipts of different kinds share subject ids
            c.execute(t["events"].insert().values(id=1, name="清掃", place="公園", deadline=at[30], per_person=True,
                                                  ask_count=True, note="", reminder_plan=[3], **common))
            c.execute(t["disasters"].insert().values(id=1, association_id=1, kind="quake", message="揺れ",
                                                     started_by_id=members[0].id, started_at=at[2]))
            rows, history, locations, photos = [], [], [], []
            next_id = iter(range(1, 10_000))

            def receipt(kind, subject, hid, key=0, **values):
                rid = next(next_id)
                rows.append({"id": rid, "association_id": 1, "subject_type": kind, "subject_id": subject,
                             "household_id": hid, "person_key": key, "via_line": True, "delivered_at": at[3],
                             "page_token": None, "read_at": None, "read_by_id": None, "read_via": None,
                             "answer": None, "answer_data": None, "answered_at": None, "answered_by_id": None,
                             "answered_by_proxy": False, **values})
                return rid

            for n, hid in enumerate(households):
                read = {"read_at": at[4 + n], "read_by_id": members[n % len(members)].id, "read_via": "button"} \
                    if n % 3 else {}
                receipt("circular", 1, hid, page_token=f"tok-1-{hid}", via_line=n % 4 != 0, **read)
                receipt("circular", 2, hid, page_token=f"tok-2-{hid}", **({"read_at": at[20], "read_via": "page"}
                                                                           if n % 2 else {}))
                answer = ("safe", "evacuated", "rescue", None)[n % 4]
                values = {} if answer is None else {
                    "answer": answer, "answered_at": at[10 + n], "answered_by_id": members[n % len(members)].id,
                    "answer_data": {"notes": [{"m": members[0].id, "t": f"メモ{n}"}], "comment": f"メモ{n}"},
                    "answered_by_proxy": n % 5 == 0, "read_at": at[10 + n],
                    "read_via": "proxy" if n % 5 == 0 else "button"}
                rid = receipt("safety", 1, hid, **values)
                if answer is not None:
                    history.append({"delivery_id": rid, "answer": "safe", "answer_data": None, "at": at[9]})
                    history.append({"delivery_id": rid, "answer": answer, "answer_data": values["answer_data"],
                                    "at": at[10 + n]})
                if answer == "rescue":
                    locations.append(dict(association_id=1, disaster_id=1, delivery_id=rid, member_id=members[0].id,
                                          latitude=35.681236, longitude=139.767125, address="丸の内", at=at[11]))
                    photos.append(dict(association_id=1, disaster_id=1, delivery_id=rid, member_id=members[0].id,
                                       line_message_id=f"m{rid}", content_type="image/jpeg", data=b"\xff\xd8",
                                       at=at[11], status="stored", attempts=1))
            for n, (mid, hid) in enumerate(members):  # per person: one receipt per member
                answer = ("yes", "no", "maybe", None)[n % 4]
                values = {} if answer is None else {
                    "answer": answer, "answered_at": at[25], "answered_by_id": mid, "read_at": at[24],
                    "read_by_id": mid, "read_via": "button",
                    "answer_data": {"count": n + 1, "comment": f"{n}人で参加"} if answer == "yes" else None}
                rid = receipt("event", 1, hid, mid, **values)
                if answer is not None:
                    history.append({"delivery_id": rid, "answer": answer, "answer_data": values["answer_data"],
                                    "member_id": mid, "at": at[25]})
            # orphans: their subject is gone (or never was one of the kinds); they go, with their history
            orphans = [receipt("circular", 99, households[0], read_at=at[5], read_via="button"),
                       receipt("safety", 99, households[1], answer="safe", answered_at=at[6]),
                       receipt("poll", 1, households[2])]
            history.append({"delivery_id": orphans[0], "answer": "read", "answer_data": None, "at": at[5]})
            history.append({"delivery_id": orphans[1], "answer": "safe", "answer_data": None, "at": at[6]})
            c.execute(t["deliveries"].insert(), rows)
            c.execute(t["delivery_history"].insert(), [
                {"association_id": 1, "member_id": None, "proxy": False, **h} for h in history])
            locations.append(dict(association_id=1, disaster_id=1, delivery_id=orphans[1], member_id=None,
                                  latitude=35.0, longitude=139.0, address=None, at=at[6]))
            c.execute(t["safety_locations"].insert(), locations)
            c.execute(t["safety_photos"].insert(), photos)
            before = receipts_0011(c)
            kids = children(c)
        return {"before": before, "kept": {r for r in before if r[2] not in orphans},
                "kept_children": {name: {r for r in rows if r[0] not in orphans} for name, rows in kids.items()},
                "children": kids, "orphans": orphans, "households": households, "members": len(members)}
    finally:
        db.dispose()


def test_0012_keeps_every_receipt_and_deletes_the_orphans(fresh_url):
    from sqlalchemy.exc import IntegrityError

    from models import Delivery
    from models.stats import read_stats

    upgrade(fresh_url, "0011")
    filled = fill_0011(fresh_url)
    people = filled["members"]
    yes = [n for n in range(people) if n % 4 == 0]  # the per-person answers: yes, no, maybe, none, yes, …
    assert len(filled["before"]) == 3 * 12 + people + 3  # 2 circulars + safety per household, members, orphans
    assert all(len(rows) > len(filled["kept_children"][name]) for name, rows in filled["children"].items()
               if name != "safety_photos")  # the orphans had history and a location

    upgrade(fresh_url)
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
            assert receipts_0012(c) == filled["kept"]  # every receipt but the orphans, every value as it was
            assert children(c) == filled["kept_children"]  # their history, locations, photos: the orphans' went
            columns = {col["name"] for col in inspect(c).get_columns("deliveries")}
            assert {"circular_id", "event_id", "disaster_id"} <= columns
            assert not {"subject_type", "subject_id"} & columns
        with db.session() as s:  # the models read them: 回覧1, 安否, 出欠 as before
            from models import Circular
            from models.events import Event, results
            from models.safety import Disaster, board

            st = read_stats(s, s.get(Circular, 1))
            assert (st.read, st.total) == (8, 12)  # households 1, 2, 4, 5, 7, 8, 10, 11 (n % 3) had read
            assert board(s, s.get(Disaster, 1)).counts == {"rescue": 3, "injured": 0, "evacuated": 3, "safe": 3}
            res = results(s, s.get(Event, 1))
            assert res.total == people and res.counts["yes"] == len(yes) and res.heads == sum(n + 1 for n in yes)
            r = s.scalar(select(Delivery).where(Delivery.of("event", 1), Delivery.answer == "yes")
                         .order_by(Delivery.id).limit(1))
            assert r.subject == ("event", 1) and r.answer_data == {"count": 1, "comment": "0人で参加"}
            assert [h.answer for h in r.history] == ["yes"]

        def insert(**subject):
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # any time: the row is refused
            with db.engine.begin() as c:
                c.execute(text("INSERT INTO deliveries (id, association_id, household_id, person_key, via_line,"
                               " delivered_at, answered_by_proxy, circular_id, event_id, disaster_id)"
                               " VALUES (:id, 1, :h, 0, true, :t, false, :c, :e, :d)"),
                          {"id": 90000 + len(subject), "h": filled["households"][0], "c": subject.get("c"),
                           "e": subject.get("e"), "d": subject.get("d"), "t": now})

        for subject in ({}, {"c": 1, "e": 1}, {"c": 2, "e": 1, "d": 1}):  # exactly one subject
            with pytest.raises(IntegrityError, match="ck_deliveries_one_subject"):
                insert(**subject)
        with pytest.raises(IntegrityError, match=r"uq_deliveries_circular|UNIQUE constraint failed: deliveries\.circ"):
            insert(c=1)  # one receipt per household and subject
        with pytest.raises(IntegrityError, match="fk_deliveries_circular_id_circulars|FOREIGN KEY constraint failed"):
            insert(c=99)  # a subject that exists

        with db.engine.begin() as c:  # deleting a circular deletes its receipts (and their history)
            receipts = [r for (r,) in c.execute(text("SELECT id FROM deliveries WHERE circular_id = 1"))]
            assert len(receipts) == 12
            c.execute(text("DELETE FROM circulars WHERE id = 1"))
        with db.engine.connect() as c:
            assert receipts_0012(c) == {r for r in filled["kept"] if r[:2] != ("circular", 1)}
            left = c.execute(text("SELECT count(*) FROM delivery_history")).scalar()
            assert left == len(filled["kept_children"]["delivery_history"])  # 回覧 receipts had none
        with db.engine.begin() as c:  # and a disaster its reports, with their history and locations
            c.execute(text("DELETE FROM disasters WHERE id = 1"))
        with db.engine.connect() as c:
            assert {r[0] for r in receipts_0012(c)} == {"circular", "event"}
            assert c.execute(text("SELECT count(*) FROM safety_locations")).scalar() == 0
            answered = sum(1 for n in range(people) if n % 4 != 3)
            assert c.execute(text("SELECT count(*) FROM delivery_history")).scalar() == answered  # the event's
    finally:
        db.dispose()


def test_0012_downgrades_keeping_every_receipt(fresh_url):
    upgrade(fresh_url, "0011")
    filled = fill_0011(fresh_url)
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "0011")
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0011"
            assert receipts_0011(c) == filled["kept"] and children(c) == filled["kept_children"]
            names = {i["name"] for i in inspect(c).get_indexes("deliveries")}
            assert "ix_deliveries_subject_unread" in names
    finally:
        db.dispose()
    upgrade(fresh_url)  # and up again
    db = Database(fresh_url)
    try:
        with db.engine.connect() as c:
            assert receipts_0012(c) == filled["kept"] and children(c) == filled["kept_children"]
    finally:
        db.dispose()

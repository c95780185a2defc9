"""The city-tier benchmarks (bench/city_*.py) still run: the data-set builder and each bench's
entry points on a tiny city, on the test database (SQLite, or PostgreSQL with
KAIRAN_TEST_DATABASE_URL). The figures themselves are in docs/benchmarks.md, not checked here.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from conftest import JST

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import city_dataset  # noqa: E402
from city_dataset import Spec, ensure  # noqa: E402

TINY = Spec(associations=6, households=120, own_channels=2, history=1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=JST), tick=True):
        yield


def test_the_builder_makes_the_city_once_and_finds_it_again(db_url):
    from models import Association, Database, Delivery, Household, Member, Role
    from models.tenancy import Channel, CityStaff, channel_id_for

    ds = ensure(db_url, TINY)
    assert ds.built_s is not None
    again = ensure(db_url, TINY)
    assert again.built_s is None, "a second call rebuilt the data set"
    db = Database(db_url)
    try:
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Association)) == 6
            assert s.scalar(select(func.count()).select_from(Household)) == 120
            members = s.scalar(select(func.count()).select_from(Member))
            assert 0.4 * 120 < members < 0.8 * 120
            chairs = s.execute(select(Member.association_id).where(Member.role == Role.chair)).scalars().all()
            assert sorted(chairs) == list(range(1, 7)), "one chair per association"
            assert s.scalar(select(func.count()).select_from(Channel)) == 3  # the city's and 2 own
            assert s.scalar(select(func.count()).select_from(CityStaff)) == 1
            assert s.scalar(select(func.count()).select_from(Delivery)) == 120  # one past circular each
            # the channels are the app's: an own channel, else the city's
            for a in range(1, 7):
                assert channel_id_for(s, a) == ds.channel_of(a)
            # ids were given explicitly: the next row the app writes still gets a fresh one
            s.add(Association(slug="new", name="新しい自治会"))
            s.flush()
    finally:
        db.dispose()
    assert city_dataset.counts(db_url)["associations"] == 7


def test_the_circular_bench_runs_and_finds_no_city_wide_scan(db_url):
    import city_circular

    ds = ensure(db_url, TINY)
    on_city = next(a for a in range(1, 7) if a not in ds.own_channel)
    rows, plans = city_circular.measure("city", ds, on_city, runs=1, explain=True)
    assert rows[0]["checks"] and rows[0]["households"] == 20 and rows[0]["outbox rows"] == 1
    if ds.url.startswith("postgresql"):
        assert plans and all(p["ms"] >= 0 for p in plans)
    from models import Circular, Database

    db = Database(db_url)
    try:
        with db.session() as s:  # the bench's circulars are gone again
            assert s.scalar(select(func.count()).select_from(Circular)) == 6
    finally:
        db.dispose()


def test_the_notice_bench_reaches_every_chair_through_their_channel(db_url):
    import city_notice
    from city_common import CityFake

    from bot.config import Settings
    from bot.state import build

    ds = ensure(db_url, TINY)
    fake = CityFake(0.0)
    k = build(Settings(channel_secret="", channel_access_token="", simulator=False, secret_key="k" * 40,
                       line_api_base_url=fake.url, line_data_api_base_url=fake.url, database_url=ds.url,
                       channel_keys=(city_dataset.CHANNEL_KEY,)))
    try:
        fake.name_channels(ds.channels)
        r = city_notice.run(k, ds, fake, 0)
        loop = city_notice.enqueue_per_association(k.db, ds)
        by_channel = fake.call("by_channel")
    finally:
        city_notice.cleanup(k.db)
        k.db.dispose()
        fake.close()
    assert r["chairs"] == 6 and r["channels"] == 3 and r["outbox rows"] == 3  # 2 pushes, 1 multicast
    assert r["exactly once"] and r["right channel"]
    assert loop["per-association rows"] == 6
    # what LINE saw: the city's chairs through the city's token, the others through their own
    city = {u for u in by_channel[f"ch{ds.city_channel_id}"]}
    assert len(city) == 4 and all(len(by_channel[f"ch{c}"]) == 1 for c in ds.own_channel.values())


def test_the_webhook_bench_bodies_are_routed_to_their_channel(db_url, fake, served_fake):
    import city_webhook

    from bot.app import create_app
    from bot.config import Settings

    ds = ensure(db_url, TINY)
    routing = city_webhook.routing_alone(ds, lookups=50)
    assert routing["channels"] == 3 and routing["table reads"] == 1
    app = create_app(Settings(channel_secret="", channel_access_token="", simulator=False, secret_key="k" * 40,
                              line_api_base_url=served_fake.url, line_data_api_base_url=served_fake.url,
                              database_url=ds.url, channel_keys=(city_dataset.CHANNEL_KEY,),
                              handle_events_inline=True, base_url="https://kairan.example.jp"))
    client = app.test_client()
    fake.tokens.update({city_dataset.channel_token(i): f"ch{i}" for i in ds.channels})  # a reply must use its own

    class Issuer:  # the test's fake LINE in this process, behind the bench's pipe protocol
        def call(self, cmd, arg):
            assert cmd == "issue"
            return [fake.issue_reply_token(u, ch) for u, ch in arg]

    for target in ("city-own", "city-city"):
        who, made = city_webhook.tappers(ds, target, per_side=2)
        bodies = city_webhook.CityBodies(Issuer(), who)
        for body, sig in bodies.make(6, "T" + target.replace("-", "")):
            resp = client.post("/callback", data=body, headers={"X-Line-Signature": sig,
                                                                "Content-Type": "application/json"})
            assert resp.status_code == 200
        checked = city_webhook.check_reads(ds.url, bodies.tapped, bodies.events)
        assert (checked["taps_unread"], checked["read_not_tapped"]) == (0, 0)
        city_webhook.delete_circulars_and_events(ds.url, made)
    app.extensions["kairan"].db.dispose()
    assert len(fake.sends("/reply")) == 12

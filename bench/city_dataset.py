"""A city's data set for the city-tier benchmarks: municipality → associations → 班 → households,
members, a chair per association, channels (some associations' own, the rest on the city's), and
a history of sent circulars with their receipts.

    .venv/bin/python bench/city_dataset.py [--db kairan_citybench_city] [--associations 1000]
        [--households 300000] [--registered 0.6] [--own-channels 200] [--history 2] [--rebuild]

Built with bulk writes (PostgreSQL: psycopg `COPY`; SQLite: one Core INSERT per batch) and
explicit ids, so 300,000 households take about a minute, not an hour. The database is built once
and reused: `ensure()` migrates it, looks for the municipality whose name carries the data set's
parameters (`Spec.marker`) and builds only when it is missing (or with `--rebuild`). A database
name (no `://`) is a local PostgreSQL database (created when missing), never dropped here.

What is in it (defaults):
- 1 municipality (ベンチ市), 1,000 associations in 20 地区, 300 households each in 班 of 20;
- 60 % of households registered: one active LINE member each; every association's first
  household is its chair's (role chair), its second an officer's;
- channels: 200 associations with their own channel (spread evenly over the ids), the other 800
  on the city channel (one per municipality); each channel's secret and token are Fernet tokens
  under `CHANNEL_KEY` (give it to the app as KAIRAN_CHANNEL_KEYS); a city staff member on the
  city channel;
- `--history` sent circulars per association, each with a receipt per household (70 % of the
  LINE households read): 600,000 receipts by default, so per-association queries run among a
  city's receipts, not an empty table.

Users are `user_id(member id)` (U + 32 hex digits); a channel's bot user id, secret and token are
`bot_user_id(id)`, `channel_secret(id)`, `channel_token(id)`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import random
import secrets as pysecrets
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PG_ADMIN, user_id  # noqa: E402

# The data set's Fernet key (not a secret: bench data only). The app reads it as KAIRAN_CHANNEL_KEYS.
CHANNEL_KEY = "nxU2LAGOMm3FNGcoEwFuMnrKwEWqBii0BVdo4KyXPf8="
DEFAULT_DB = "kairan_citybench_city"
VERSION = 1  # bump when what is built changes: an older build is rebuilt
BATCH = 20_000


def bot_user_id(channel_id: int) -> str:
    return f"U{'b0' * 4}{channel_id:024x}"


def channel_secret(channel_id: int) -> str:
    return f"bench-channel-secret-{channel_id}"


def channel_token(channel_id: int) -> str:
    return f"bench-channel-token-{channel_id}"


@dataclass(frozen=True)
class Spec:
    associations: int = 1000
    households: int = 300_000
    registered: float = 0.6  # share of households with one active LINE member
    own_channels: int = 200  # associations with their own channel
    city_channel: bool = True  # the municipality's channel, for every association without one
    populated: Optional[int] = None  # associations that hold the households (None: all)
    per_block: int = 20  # households per 班
    history: int = 2  # sent circulars per populated association, a receipt per household each
    read_share: float = 0.7  # of the LINE households, per past circular
    seed: int = 1

    @property
    def marker(self) -> str:
        """The municipality's name: says which data set the database holds (≤ 60 characters)."""
        return (f"ベンチ市 v{VERSION} a{self.associations} h{self.households} r{self.registered:g} "
                f"c{self.own_channels}{'+' if self.city_channel else ''} p{self.populated or 0} "
                f"b{self.per_block} k{self.history} s{self.seed}")


@dataclass
class Dataset:
    """What a benchmark needs to know about a built data set (read back from the database)."""

    url: str
    spec: Spec
    municipality_id: int
    city_channel_id: Optional[int]
    channels: dict[int, Optional[int]]  # channel id → its association (None: the city channel)
    own_channel: dict[int, int]  # association id → its own channel id
    built_s: Optional[float] = None  # seconds, when this call built it

    def channel_of(self, association_id: int) -> Optional[int]:
        return self.own_channel.get(association_id, self.city_channel_id)


def db_url(name_or_url: str) -> str:
    if "://" in name_or_url:
        return name_or_url
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name_or_url}"


def create_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            c.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- writing -------------------------------------------------------------------------------
class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, Core INSERT batches elsewhere."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.rows = 0

    def write(self, table, rows: Iterable[dict]) -> int:
        from sqlalchemy import insert

        n = 0
        batch: list[dict] = []
        cols: list[str] | None = None
        for r in rows:
            cols = cols or list(r)
            batch.append(r)
            if len(batch) >= BATCH:
                n += self._flush(table, cols, batch, insert)
                batch = []
        if batch:
            n += self._flush(table, cols, batch, insert)
        self.rows += n
        return n

    def _flush(self, table, cols: list[str], batch: list[dict], insert) -> int:
        if not self.pg:
            self.conn.execute(insert(table), batch)
            return len(batch)
        raw = self.conn.connection.driver_connection  # psycopg 3
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in batch:
                    copy.write_row([_pg_value(r[c]) for c in cols])
        return len(batch)


def _pg_value(v):
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).replace(tzinfo=None)  # UTCDateTime stores naive UTC
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v


def _tables():
    from models import Association, Block, Circular, Delivery, Household, Member
    from models.tenancy import Channel, CityStaff, Municipality

    return {m.__tablename__: m.__table__ for m in (Municipality, Association, Block, Household, Member, Channel,
                                                   CityStaff, Circular, Delivery)}


def build(url: str, spec: Spec) -> float:
    """Write the data set into an empty, migrated database; returns the seconds it took."""
    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine, text

    from models.roster import PRIVACY_POLICY_VERSION, format_code

    t0 = time.perf_counter()
    T = _tables()
    rng = random.Random(spec.seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    A, H = spec.associations, spec.households
    P = min(spec.populated or A, A)
    engine = create_engine(url)
    fernet = Fernet(CHANNEL_KEY.encode())
    with engine.begin() as conn:
        w = Writer(conn)
        w.write(T["municipalities"], [{"id": 1, "name": spec.marker, "code": "999999", "created_at": now}])
        districts = max(1, math.ceil(A / 50))
        w.write(T["associations"], ({"id": a, "slug": f"a{a:04d}", "name": f"ベンチ第{a}自治会", "municipality_id": 1,
                                     "district": f"第{(a - 1) * districts // A + 1}地区", "created_at": now}
                                    for a in range(1, A + 1)))
        # households per populated association, evenly (the first ones one more)
        sizes = [H // P + (1 if a < H % P else 0) for a in range(P)]
        blocks, households, members, hh_of_assoc = [], [], [], []
        bid = hid = mid = 0
        for a, size in enumerate(sizes, start=1):
            first = hid + 1
            for b in range(math.ceil(size / spec.per_block)):
                bid += 1
                blocks.append({"id": bid, "association_id": a, "name": f"{b + 1}班", "position": b + 1})
                for _ in range(min(spec.per_block, size - b * spec.per_block)):
                    hid += 1
                    k = hid - first  # the household's place in its association
                    on_line = k < 2 or rng.random() < spec.registered
                    households.append({"id": hid, "association_id": a, "block_id": bid, "name": f"世帯{hid}",
                                       "on_line": on_line, "needs_support": rng.random() < 0.03,
                                       "join_code": format_code(f"{hid:012d}"), "origin": "roster",
                                       "created_at": now})
                    if on_line:
                        mid += 1
                        role = "chair" if k == 0 else ("officer" if k == 1 else "member")
                        members.append({"id": mid, "association_id": a, "line_user_id": user_id(mid),
                                        "household_id": hid, "block_id": bid, "name": f"会員{mid}", "role": role,
                                        "status": "active", "language": "ja", "consent_at": now,
                                        "consent_policy_version": PRIVACY_POLICY_VERSION, "created_at": now,
                                        "session_epoch": 0})
            hh_of_assoc.append((a, first, hid))
        w.write(T["blocks"], blocks)
        w.write(T["households"], households)
        w.write(T["members"], members)
        # channels: the city's (id 1) and the associations' own, spread evenly over the ids
        own = min(spec.own_channels, A)
        own_ids = sorted({1 + (i * A) // own for i in range(own)}) if own else []
        chans = []
        cid = 0
        if spec.city_channel:
            cid += 1
            chans.append({"id": cid, "municipality_id": 1, "association_id": None, "label": "ベンチ市 公式"})
        for a in own_ids:
            cid += 1
            chans.append({"id": cid, "municipality_id": None, "association_id": a, "label": f"ベンチ第{a}自治会"})
        w.write(T["channels"], ({**c, "bot_user_id": bot_user_id(c["id"]),
                                 "secret_enc": fernet.encrypt(channel_secret(c["id"]).encode()).decode(),
                                 "token_enc": fernet.encrypt(channel_token(c["id"]).encode()).decode(),
                                 "version": 1, "created_at": now, "updated_at": now} for c in chans))
        if spec.city_channel:
            w.write(T["city_staff"], [{"id": 1, "municipality_id": 1, "channel_id": 1,
                                       "line_user_id": f"U{'5' * 8}{1:024x}", "name": "市 担当", "active": True,
                                       "session_epoch": 0, "created_at": now}])
        # history: sent circulars with a receipt per household (the LINE ones 70 % read)
        member_of = {m["household_id"]: m["id"] for m in members}
        circulars, k = [], 0
        for step in range(spec.history):
            sent = now - dt.timedelta(days=7 * (spec.history - step))
            for a, first, last in hh_of_assoc:
                k += 1
                circulars.append({"id": k, "association_id": a, "title": f"回覧{step + 1}", "body": "お知らせです。",
                                  "reminder_plan": [], "target": "all", "target_block_ids": [], "state": "sent",
                                  "version": 1, "created_at": sent, "sent_at": sent,
                                  "push_count": sum(1 for h in range(first, last + 1) if h in member_of),
                                  "_range": (first, last)})
        w.write(T["circulars"], ({c: v for c, v in r.items() if c != "_range"} for r in circulars))

        def receipts():
            d = 0
            for c in circulars:
                first, last = c["_range"]
                for h in range(first, last + 1):
                    d += 1
                    m = member_of.get(h)
                    read = m is not None and rng.random() < spec.read_share
                    yield {"id": d, "association_id": c["association_id"], "circular_id": c["id"], "event_id": None,
                           "disaster_id": None, "household_id": h, "person_key": 0, "via_line": m is not None,
                           "delivered_at": c["sent_at"], "page_token": pysecrets.token_urlsafe(16),
                           "read_at": c["sent_at"] + dt.timedelta(hours=5) if read else None,
                           "read_by_id": m if read else None, "read_via": "button" if read else None,
                           "answered_by_proxy": False}
        w.write(T["deliveries"], receipts())
        if w.pg:  # the ids were given: move each table's sequence past them
            for name in T:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"GREATEST((SELECT max(id) FROM {name}), 1))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def _clear(url: str) -> None:
    """Empty every table (the schema stays): for a rebuild."""
    from sqlalchemy import create_engine, text

    from models import Base

    engine = create_engine(url)
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(Base.metadata.sorted_tables):
                c.execute(t.delete())
    engine.dispose()


def ensure(db: str = DEFAULT_DB, spec: Spec = Spec(), rebuild: bool = False) -> Dataset:
    """The data set in `db` (a local PostgreSQL database name, or a URL): migrated, and built
    unless it is already there."""
    from sqlalchemy import create_engine, select

    from models.migrate import upgrade
    from models.tenancy import Channel, Municipality

    url = db_url(db)
    if "://" not in db and not db.startswith("sqlite"):
        create_pg_database(db)
    upgrade(url)  # also brings an older build's schema up to date
    engine = create_engine(url)
    with engine.connect() as c:
        marker = c.scalar(select(Municipality.name).order_by(Municipality.id).limit(1))
    engine.dispose()
    built = None
    if rebuild or marker != spec.marker:
        if marker is not None:
            _clear(url)
        built = build(url, spec)
    engine = create_engine(url)
    with engine.connect() as c:
        mid = c.scalar(select(Municipality.id).where(Municipality.name == spec.marker))
        chans = c.execute(select(Channel.id, Channel.association_id)).all()
    engine.dispose()
    return Dataset(url, spec, mid, next((i for i, a in chans if a is None), None), {i: a for i, a in chans},
                   {a: i for i, a in chans if a is not None}, built)


def counts(url: str) -> dict:
    from sqlalchemy import create_engine, func, select

    T = _tables()
    engine = create_engine(url)
    with engine.connect() as c:
        out = {name: c.scalar(select(func.count()).select_from(t)) for name, t in T.items()}
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB, help="a local PostgreSQL database name, or a URL")
    d = Spec()
    ap.add_argument("--associations", type=int, default=d.associations)
    ap.add_argument("--households", type=int, default=d.households)
    ap.add_argument("--registered", type=float, default=d.registered)
    ap.add_argument("--own-channels", type=int, default=d.own_channels)
    ap.add_argument("--no-city-channel", action="store_true")
    ap.add_argument("--populated", type=int, default=None)
    ap.add_argument("--history", type=int, default=d.history)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    spec = Spec(associations=args.associations, households=args.households, registered=args.registered,
                own_channels=args.own_channels, city_channel=not args.no_city_channel, populated=args.populated,
                history=args.history)
    t = time.perf_counter()
    ds = ensure(args.db, spec, args.rebuild)
    print(f"# {spec.marker}: {'built in %.1f s' % ds.built_s if ds.built_s else 'already there'} "
          f"({time.perf_counter() - t:.1f} s in all)")
    print(json.dumps({"spec": asdict(spec), "counts": counts(ds.url), "channels": len(ds.channels),
                      "city_channel": ds.city_channel_id}, ensure_ascii=False))


if __name__ == "__main__":
    main()

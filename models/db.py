"""Engine and sessions: one session per request or job, framed by the caller."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY = "kairan_read_only"  # execution option of the engine behind Database.read()


def normalize_url(url: str) -> str:
    # Heroku-style URLs name the old driver; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


POOL_OVERFLOW = 4  # connections opened beyond the pool's size at a peak, closed again when returned


def make_engine(url: str, pool_size: int | None = None, **kw) -> Engine:
    """`pool_size`: connections kept open (None: SQLAlchemy's 5). A process that uses more at once
    than its pool keeps opens one for each use beyond it and closes it again at once: on
    PostgreSQL a new server process per connection, every few events of a burst (issue 15)."""
    url = normalize_url(url)
    if pool_size and ":memory:" not in url and "poolclass" not in kw:
        kw.setdefault("pool_size", pool_size)
        kw.setdefault("max_overflow", POOL_OVERFLOW)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, see below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # BEGIN IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
            # instead of failing half-way with "database is locked". A read session (Database.read)
            # takes a plain BEGIN: in WAL mode it reads a snapshot and never waits for the writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # hide_parameters: errors and logs never carry the names, texts or coordinates being written
    engine = create_engine(url, hide_parameters=True, **kw)
    _ping_when_idle(engine)
    return engine


PING_AFTER = 5.0  # seconds a pooled PostgreSQL connection may sit unused before its checkout pings it


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for a connection that sat in the pool longer than PING_AFTER: a
    restarted or failed-over server (or a NAT that dropped an idle socket) is found before a
    transaction uses the connection, while a busy pool (a burst: every checkout right after a
    checkin) pays no `SELECT 1` round trip per transaction. A dead connection found by the ping
    is replaced by a fresh one (the pool retries the checkout); one that dies within PING_AFTER
    of its last use fails that transaction, as any query can fail, and the pool is refreshed."""
    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn, record):
        record.info["kairan_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("kairan_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER:
            return
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT 1")
            if not dbapi_conn.autocommit:
                dbapi_conn.rollback()
        except Exception as e:  # noqa: BLE001 - any failure: the pool replaces the connection
            raise exc.DisconnectionError(f"stale connection ({type(e).__name__})") from e


class Database:
    def __init__(self, url: str, pool_size: int | None = None):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool_size)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}),
                                              expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error, always closes."""
        with self.sessionmaker() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def one_statement(self, read_only: bool = False) -> Iterator[Connection]:
        """A connection for a single statement that is a transaction by itself: on PostgreSQL in
        autocommit (the statement commits as it ends, as durably as a COMMIT: no BEGIN and COMMIT
        round trips, two of the three the webhook's inbox insert cost); on SQLite a transaction as
        engine.begin() gives (BEGIN IMMEDIATE, or a plain BEGIN for `read_only`). Never for two
        statements that must be atomic together."""
        if self.is_sqlite:
            engine = self.engine.execution_options(**{READ_ONLY: True}) if read_only else self.engine
            with engine.begin() as conn:
                yield conn
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not take the write lock (a plain BEGIN, not
        BEGIN IMMEDIATE), so many threads can look things up while one writes. Never write in it."""
        with self.read_sessionmaker() as s:
            try:
                yield s
            finally:
                s.rollback()

    def dispose(self) -> None:
        self.engine.dispose()

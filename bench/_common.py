"""Shared helpers for the benchmarks: machine facts, a fake LINE API in its own process,
throw-away databases, gunicorn processes, roster seeding and result tables.

Everything here talks to 127.0.0.1 only.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- machine -------------------------------------------------------------------------------
def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem = next((ln.split()[1] for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), "0")
    info = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "cpu": cpu, "mem_gib": round(int(mem) / 2**20, 1), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}
    with contextlib.suppress(Exception):
        import gunicorn
        info["gunicorn"] = gunicorn.__version__
    with contextlib.suppress(Exception):
        import psycopg
        with psycopg.connect(PG_ADMIN) as c:
            info["postgresql"] = c.execute("SHOW server_version").fetchone()[0]
    return info


# --- the fake LINE API, in a process of its own (no GIL shared with the load generator) ----
def _fake_main(conn, latency: float) -> None:
    import logging

    from bot.dev.fake_line import FakeLine, ServedFake

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    served = ServedFake(FakeLine())
    fake = served.fake
    fake.latency, fake.quota_limit = latency, None
    conn.send(served.url)
    while True:
        cmd, arg = conn.recv()
        if cmd == "issue":  # [user id, ...] -> [reply token, ...]
            conn.send([fake.issue_reply_token(u) for u in arg])
        elif cmd == "stats":  # {"POST /v2/bot/message/reply 200": n, ...}
            with fake._lock:
                conn.send(dict(Counter(f"{r.method} {r.path} {r.status}" for r in fake.requests)))
        elif cmd == "delivered":  # via -> Counter(user id)
            with fake._lock:
                out: dict[str, Counter] = {}
                for d in fake.delivered:
                    out.setdefault(d.via, Counter())[d.user_id] += 1
                conn.send({k: dict(v) for k, v in out.items()})
        elif cmd == "invalid":
            conn.send(list(fake.invalid))
        elif cmd == "reset":
            fake.reset()
            conn.send(True)
        elif cmd == "close":
            served.close()
            conn.send(True)
            return


class FakeProcess:
    """`bot.dev.fake_line.ServedFake` in a child process, driven over a pipe."""

    def __init__(self, latency: float = 0.0):
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_fake_main, args=(child, latency), daemon=True)
        self.proc.start()
        self.url = self._conn.recv()

    def call(self, cmd: str, arg=None):
        self._conn.send((cmd, arg))
        return self._conn.recv()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("close")
        self.proc.join(5)


def count(stats: dict, suffix: str, status: int = 200) -> int:
    return sum(n for k, n in stats.items() if k.endswith(f"{suffix} {status}"))


# --- databases -----------------------------------------------------------------------------
def sqlite_url(tmpdir: str, name: str = "bench.sqlite3") -> str:
    return f"sqlite:///{Path(tmpdir) / name}"


@contextlib.contextmanager
def pg_database(name: str):
    """A fresh PostgreSQL database on 127.0.0.1, dropped afterwards; yields its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def user_id(i: int) -> str:
    return f"U{i:032x}"


def add_roster(session, association_id: int, n: int, per_block: int = 500, start: int = 1) -> list[str]:
    """n households with one active LINE member each, in 班 of `per_block`; returns their user ids."""
    from sqlalchemy import insert, select

    from models import Block, Household, Member, MemberStatus, Role, utcnow
    from models.roster import PRIVACY_POLICY_VERSION

    now = utcnow()
    nblocks = (n + per_block - 1) // per_block
    base = session.scalar(select(Block.position).order_by(Block.position.desc()).limit(1)) or 0
    session.execute(insert(Block), [{"association_id": association_id, "name": f"B{start + b:05d}",
                                     "position": base + 1 + b} for b in range(nblocks)])
    block_ids = list(session.scalars(select(Block.id).where(Block.name.like("B%")).order_by(Block.id)))[-nblocks:]
    hh = [{"association_id": association_id, "block_id": block_ids[i // per_block], "name": f"世帯{start + i}",
           "on_line": True, "needs_support": False, "join_code": f"99{(start + i) // 10000:02d}-{(start + i) % 10000:04d}",
           "created_at": now} for i in range(n)]
    for k in range(0, n, 5000):
        session.execute(insert(Household), hh[k:k + 5000])
    ids = list(session.scalars(select(Household.id).where(Household.join_code.like("99%")).order_by(Household.id)))[-n:]
    users = [user_id(start + i) for i in range(n)]
    mm = [{"association_id": association_id, "line_user_id": users[i], "household_id": ids[i],
           "block_id": block_ids[i // per_block], "name": f"会員{start + i}", "role": Role.member,
           "status": MemberStatus.active, "language": "ja", "consent_at": now,
           "consent_policy_version": PRIVACY_POLICY_VERSION, "created_at": now} for i in range(n)]
    for k in range(0, n, 5000):
        session.execute(insert(Member), mm[k:k + 5000])
    return users


# --- processes -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn --workers 3 --access-logfile -` as in the Procfile, but bound to 127.0.0.1."""

    def __init__(self, app: str, env: dict, logdir: str, name: str, workers: int = 3, extra: list | None = None,
                 cwd: Path | str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = open(Path(logdir) / f"{name}.out.log", "wb")
        self.err_path = Path(logdir) / f"{name}.err.log"
        self.err = open(self.err_path, "wb")
        cmd = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
               "--access-logfile", "-", *(extra or []), app]
        # cwd: the code gunicorn imports the app from (another checkout: bench/webhook.py --baseline)
        self.proc = subprocess.Popen(cmd, cwd=cwd or ROOT, env={**os.environ, **env}, stdout=self.out, stderr=self.err)
        self._wait(workers)

    def _wait(self, workers: int, timeout: float = 30) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.err_path.read_text()[-2000:]}")
            if self.err_path.read_text(errors="replace").count("Booting worker") >= workers:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
                    time.sleep(0.5)  # let the workers finish importing the app
                    return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def errors(self) -> tuple[int, int]:
        """(failed log records, other tracebacks and ERROR lines) in the server's stderr."""
        text = self.err_path.read_text(errors="replace")
        logging_errors = text.count("--- Logging error ---")
        return logging_errors, text.count("Traceback") - logging_errors + text.count(" ERROR ")

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        if self.proc.poll() is None:
            self.proc.kill()
        self.out.close()
        self.err.close()


# --- numbers -------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[dict], cols: list[str] | None = None) -> str:
    cols = cols or list(rows[0])
    def fmt(v) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"
        return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
    cells = [[fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vals: "| " + " | ".join(v.rjust(w) for v, w in zip(vals, widths)) + " |"  # noqa: E731
    return "\n".join([line(cols), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def summary(name: str, **data) -> None:
    print("SUMMARY " + json.dumps({"bench": name, **data}, ensure_ascii=False, default=str))


def _ticks(pid: int) -> int:
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])  # utime + stime
    except (OSError, IndexError):
        return 0


def tree(pid: int) -> list[int]:
    """pid and its children (one level: gunicorn's master and workers)."""
    try:
        kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        kids = []
    return [pid, *map(int, kids)]


def postgres_pids() -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            with contextlib.suppress(OSError):
                if open(f"/proc/{p}/comm").read().strip() == "postgres":
                    out.append(int(p))
    return out


def cpu_snapshot(pids: list[int]) -> dict[int, int]:
    return {p: _ticks(p) for p in pids}


def cpu_used(before: dict[int, int], pids: list[int]) -> float:
    """CPU seconds the processes used since `before` (processes born since then count from 0)."""
    return sum(max(0, _ticks(p) - before.get(p, 0)) for p in pids) / os.sysconf("SC_CLK_TCK")


def rss_mib(pids: list[int]) -> float:
    """Resident memory of the processes now (MiB, summed)."""
    total = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024

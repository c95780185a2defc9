"""APScheduler 3: `kairan scheduler` runs it blocking (the Procfile's scheduler: process);
`kairan serve` (make run) runs the same jobs in a background thread. gunicorn workers never do."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import signal
import threading
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.runtime import Runtime

from . import inquiries, jma, jobs, mimamori, outage, reports, safety

log = logging.getLogger(__name__)


def _guarded(fn: Callable[[Runtime], object], k: Runtime) -> Callable[[], None]:
    @functools.wraps(fn)
    def run() -> None:
        try:
            fn(k)
        except Exception:  # noqa: BLE001 - a crashing job is logged and tried again next tick
            log.exception("job %s failed; it runs again at its next tick", fn.__name__)
    return run


def add_jobs(sched: BaseScheduler, k: Runtime) -> BaseScheduler:
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    # the outbox goes at once on start (a restart after a crash or deploy), then every 2 s
    sched.add_job(_guarded(jobs.dispatch_outbox, k), "interval", seconds=2, id="dispatch",
                  next_run_time=dt.datetime.now(dt.timezone.utc), **common)
    sched.add_job(_guarded(jobs.sweep_inbox, k), "interval", seconds=20, id="sweep", **common)
    sched.add_job(_guarded(jobs.send_reminders, k), "interval", seconds=60, id="reminders", **common)
    sched.add_job(_guarded(safety.reask, k), "interval", seconds=60, id="safety-reask", **common)
    sched.add_job(_guarded(safety.start_planned_drills, k), "interval", seconds=30, id="drills", **common)
    sched.add_job(_guarded(safety.fetch_photos, k), "interval", seconds=3, id="safety-photos", **common)
    sched.add_job(_guarded(reports.fetch_photos, k), "interval", seconds=3, id="report-photos", **common)
    sched.add_job(_guarded(reports.purge_drafts, k), "interval", minutes=30, id="report-drafts", **common)
    sched.add_job(_guarded(jma.tick, k), "interval", seconds=k.settings.jma_poll_seconds, id="jma", **common)
    sched.add_job(_guarded(outage.tick, k), "interval", seconds=60, id="line-outage", **common)
    sched.add_job(_guarded(inquiries.fetch_photos, k), "interval", seconds=3, id="inquiry-photos", **common)
    sched.add_job(_guarded(mimamori.tick, k), "interval", seconds=60, id="mimamori", **common)
    sched.add_job(_guarded(jobs.purge, k), "cron", hour=3, minute=17, id="purge",
                  timezone=k.settings.timezone, **common)
    return sched


# the jobs that act at a time of day or after a delay (not the outbox, the polls or the photos)
TIMED = (jobs.send_reminders, safety.reask, safety.start_planned_drills, mimamori.tick)


def run_timed_once(k: Runtime) -> dict[str, object]:
    """Each timed job once, now (the simulator, after it moved the clock): what each returned."""
    return {fn.__module__.rsplit(".", 1)[-1] + "." + fn.__name__: fn(k) for fn in TIMED}


def start_background(k: Runtime) -> BackgroundScheduler:
    sched = add_jobs(BackgroundScheduler(timezone=k.settings.timezone), k)
    sched.start()
    return sched


def run_blocking(k: Runtime) -> None:
    """Until SIGTERM (a deploy) or SIGINT: then the send in flight finishes and settles, nothing
    more is claimed, and the process exits — no row is left `sending` behind a lease."""
    stopping = k.extras.setdefault("stopping", threading.Event())
    sched = add_jobs(BlockingScheduler(timezone=k.settings.timezone), k)

    def stop(signum, _frame) -> None:
        if stopping.is_set():
            return
        log.info("scheduler: %s received, finishing the jobs running now", signal.Signals(signum).name)
        stopping.set()
        sched.shutdown(wait=True)  # waits for running jobs (the dispatcher stops after its send)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: %s", ", ".join(j.id for j in sched.get_jobs()))
    sched.start()
    log.info("scheduler stopped")

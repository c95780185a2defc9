"""The webhook's handling pool: a few dozen threads per web process, fed by /callback.

The request thread only verifies, stores and answers; it hands the new event ids to this pool
and returns. Threads start lazily on the first event, in the process that receives it (so after
gunicorn forks, never in the master). The queue is bounded: when it is full the event simply
stays in the durable inbox, and a thread that runs out of work, or the scheduler's sweep, picks
it up from there. A process that stops leaves its queued events in the inbox the same way.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
import time

from bot.config import Settings

log = logging.getLogger(__name__)


class InboxPool:
    def __init__(self, processor, settings: Settings):
        self.processor = processor
        self.threads = settings.inbox_workers
        self.size = settings.inbox_queue
        self.order_wait = settings.inbox_order_wait_ms / 1000
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        self._overflow = threading.Event()
        self._busy = 0

    def submit(self, ids: list[str]) -> int:
        """Queue the events for handling; returns how many were queued (the rest wait in the inbox)."""
        q = self._started()
        due = time.monotonic() + self.order_wait
        queued = 0
        for event_id in ids:
            try:
                q.put_nowait((due, event_id))
                queued += 1
            except queue.Full:
                self._overflow.set()
        if queued < len(ids):
            log.warning("handling queue full: %d event(s) left in the inbox", len(ids) - queued)
        return queued

    def _started(self) -> queue.Queue:
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:  # first event in this process (threads do not survive a fork)
                    self._queue = queue.Queue(self.size)
                    self._stop.clear()
                    for n in range(self.threads):
                        threading.Thread(target=self._run, name=f"inbox-{n}", daemon=True).start()
                    if self._pid is None:
                        atexit.register(self.stop, 5.0)  # a deploy's SIGTERM: finish what is in hand
                    self._pid = pid
        assert self._queue is not None
        return self._queue

    def _run(self) -> None:
        q = self._queue
        while not self._stop.is_set():
            try:
                due, event_id = q.get(timeout=1.0)
            except queue.Empty:
                if self._overflow.is_set():
                    self._overflow.clear()
                    self._backlog()
                continue
            try:
                wait = due - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return  # stopping: the event stays in the inbox
                with self._lock:
                    self._busy += 1
                try:
                    self.processor.handle(event_id)
                finally:
                    with self._lock:
                        self._busy -= 1
            except Exception:  # noqa: BLE001 - the event stays in the inbox for the sweep
                log.exception("webhook handling thread: unexpected error")
            finally:
                q.task_done()

    def _backlog(self) -> None:
        """Events the full queue turned away: take them from the inbox now, not at the next sweep."""
        with self._lock:
            self._busy += 1
        try:
            while self.processor.sweep(limit=50, after=dt.timedelta(seconds=self.order_wait)):
                pass
        except Exception:  # noqa: BLE001
            log.exception("webhook handling thread: backlog sweep failed")
        finally:
            with self._lock:
                self._busy -= 1

    def idle(self) -> bool:
        q = self._queue
        return q is None or (q.unfinished_tasks == 0 and self._busy == 0)

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event is handled (tests, benchmarks); False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.idle():
                return True
            time.sleep(0.02)
        return False

    def stop(self, wait: float = 0.0) -> None:
        """Threads finish the event in hand (waiting up to `wait` s for them) and exit; queued
        events stay in the inbox for the sweep."""
        self._stop.set()
        end = time.monotonic() + wait
        while self._busy and time.monotonic() < end:
            time.sleep(0.05)

"""Fair queueing: the runs of a class wait here, one line per student, served round-robin.

The server hands the pool at most `pool.workers` runs at a time, so the pool never holds a
queue of its own. When a worker frees, the next run comes from the waiting student who was
served least recently (one never served first; between equals, who queued first): round-robin
among the students who are waiting. The bound: while student B waits, each dispatch serves a
student last served before B was, or B; a student served is then more recent than B, so no one
is served twice before B. B's run waits for the runs already running plus at most one run of
each other waiting student: a student who queues twenty runs delays another's by one of them,
not by twenty.
The waiting runs of the class are bounded by the pool's queue (`--queue`): past it, 429 `busy`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future

from sandbox import QueueFull


class _Job:
    def __init__(self, who: str, start: Callable[[], Future]):
        self.who, self.start = who, start
        self.future: Future = Future()
        self.queued_at = time.monotonic()
        self.on_start: list[Callable[[float], None]] = []


class FairQueue:
    def __init__(self, pool):
        self.pool = pool
        self._lines: OrderedDict[str, deque[_Job]] = OrderedDict()
        self._running = 0
        self._served: dict[str, int] = {}  # student -> the number of the dispatch that last served them
        self._count = 0
        self._lock = threading.Lock()

    def submit(self, who: str, start: Callable[[], Future], on_start: Callable[[float], None] | None = None) -> Future:
        """Queue `start` (which hands one run to the pool and returns its future) for `who`."""
        job = _Job(who, start)
        if on_start is not None:
            job.on_start.append(on_start)
        with self._lock:
            if self._waiting() >= self.pool.queue and self._running >= self.pool.workers:
                raise QueueFull(
                    f"All {self.pool.workers} workers are busy and {self.pool.queue} runs are waiting.",
                    retry_after_s=self.pool.retry_after_s(),
                )
            self._lines.setdefault(who, deque()).append(job)
        self._pump()
        return job.future

    def waiting(self) -> dict[str, int]:
        """Runs waiting now, per student (a run whose client left, and so was cancelled, is not)."""
        with self._lock:
            counts = {who: sum(not job.future.cancelled() for job in line) for who, line in self._lines.items()}
        return {who: n for who, n in counts.items() if n}

    def _waiting(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def _next(self) -> _Job | None:
        """The next job: from the waiting student served least recently (never served first; a tie,
        the one who queued first)."""
        while self._lines:
            who = min(self._lines, key=lambda w: self._served.get(w, -1))  # min keeps the first of equals
            line = self._lines[who]
            job = line.popleft()
            if not line:
                del self._lines[who]
            if job.future.set_running_or_notify_cancel():
                self._count += 1
                self._served[who] = self._count
                return job
        return None

    def _pump(self) -> None:
        while True:
            with self._lock:
                if self._running >= self.pool.workers:
                    return
                job = self._next()
                if job is None:
                    return
                self._running += 1
            waited = time.monotonic() - job.queued_at
            for hook in job.on_start:
                hook(waited)
            try:
                inner = job.start()
            except BaseException as exc:  # noqa: BLE001 - told to the one waiting for this run
                self._done()
                job.future.set_exception(exc)
                continue
            inner.add_done_callback(functools.partial(self._finished, job=job))

    def _finished(self, inner: Future, job: _Job) -> None:
        self._done()
        if inner.cancelled():
            job.future.set_exception(CancelledError())
        elif inner.exception() is not None:
            job.future.set_exception(inner.exception())
        else:
            job.future.set_result(inner.result())
        self._pump()

    def _done(self) -> None:
        with self._lock:
            self._running -= 1

    def cancel_all(self) -> None:
        """Cancel every waiting run (the server is stopping)."""
        with self._lock:
            jobs = [job for line in self._lines.values() for job in line]
            self._lines.clear()
        for job in jobs:
            job.future.cancel()

"""A bounded worker pool: at most N sandboxes at once, a short queue behind them, and a fast "no".

Each run holds a container, half a CPU and up to 128 MiB, so a host can only afford a few at a
time. The pool runs at most `workers` of them; up to `queue` more wait their turn; anything beyond
that is refused at once with `QueueFull` (a web server turns it into 429 + Retry-After) instead of
piling up threads and memory while the caller waits for nothing.

    >>> from sandbox import PROFILES
    >>> from sandbox import Pool, QueueFull
    >>> with Pool(workers=5, queue=20) as pool:  # doctest: +ENGINE
    ...     futures = [pool.submit(f"print({i} * {i})") for i in range(10)]
    ...     [f.result().stdout for f in futures][:3]
    ...     pool.stats()
    ['0\\n', '1\\n', '4\\n']
    {'running': 0, 'queued': 0, 'workers': 5, 'queue': 20}
    >>> with Pool(workers=1, queue=0) as pool:  # doctest: +ENGINE
    ...     busy = pool.submit("import time; time.sleep(2)")
    ...     try:
    ...         pool.submit("print(1)", PROFILES["seed"])
    ...     except QueueFull as full:
    ...         full.retry_after_s >= 1  # a guess at when a slot frees, in whole seconds
    True

`submit(code, limits, **kw)` takes the same arguments as `sandbox.run` and returns a
`concurrent.futures.Future` whose result is the `Result` (or whose exception is the one `run`
raised, e.g. `EngineUnavailable`). Bad code is refused by `submit` itself, before it takes a slot.
A queued future can be cancelled (`future.cancel()`), which frees its slot. A running one is
stopped through its `cancel` event (`submit(..., cancel=event)`, then `event.set()`): the
container is killed at once and the Result's status is `killed`. `kill_running()` does that to
every run in progress, e.g. for a forced shutdown.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .errors import InvalidLimits, PoolClosed, QueueFull
from .files import check_files
from .languages import DEFAULT_LANGUAGE
from .limits import HARDENED, Limits
from .result import Result
from .runner import program_argv

log = logging.getLogger(__name__)


class Pool:
    """At most `workers` runs at once and `workers + queue` accepted in all; `submit` never blocks.

    (While a worker passes from one run to the next, a run may count as waiting a moment longer,
    so `queued` can briefly read above `queue`; running + queued never passes the total.)
    """

    DEFAULT_WORKERS = 5  # the seed's "up to 5 containers concurrently"
    DEFAULT_QUEUE = 20

    def __init__(
        self, workers: int = DEFAULT_WORKERS, queue: int = DEFAULT_QUEUE, runner: Callable[..., Result] | None = None
    ):
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 64:
            raise InvalidLimits(f"workers must be a whole number from 1 to 64, not {workers!r}.")
        if isinstance(queue, bool) or not isinstance(queue, int) or not 0 <= queue <= 10_000:
            raise InvalidLimits(f"queue must be a whole number from 0 to 10000, not {queue!r}.")
        if runner is None:
            from .runner import run as runner
        self.workers, self.queue = workers, queue
        self._runner: Callable[..., Result] = runner  # type: ignore[assignment]  # the default is set above
        # One slot per run that is running or waiting; taken in submit, given back when done.
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-pool")
        self._lock = threading.Lock()
        self._running = 0
        self._queued = 0
        self._closed = False
        self._mean_run_s = 1.0  # a moving average of run durations, for Retry-After
        self._active: set[threading.Event] = set()  # the cancel events of the runs in progress

    def submit(
        self, code: str, limits: Limits | None = None, *, cancel: threading.Event | None = None, **kw: Any
    ) -> Future[Result]:
        """Queue one run; raises QueueFull at once when there is no room, InvalidCode for bad code.

        Setting `cancel` kills the run at once (a queued one then ends as soon as it starts).
        """
        program_argv(code, kw.get("language", DEFAULT_LANGUAGE))  # refuse bad input before it takes a slot
        check_files(kw.get("files"), limits if isinstance(limits, Limits) else HARDENED)
        kw["cancel"] = cancel if cancel is not None else threading.Event()
        if self._closed:
            raise PoolClosed("The pool is shut down.")
        if not self._slots.acquire(blocking=False):
            log.debug("queue full: %d workers busy, %d runs waiting", self.workers, self.queue)
            raise QueueFull(
                f"All {self.workers} workers are busy and {self.queue} runs are waiting.",
                retry_after_s=self.retry_after_s(),
            )
        with self._lock:
            self._queued += 1
        try:
            future = self._executor.submit(self._work, code, limits, kw)
        except RuntimeError as exc:  # shut down between the check above and here
            self._release(started=False)
            raise PoolClosed("The pool is shut down.") from exc
        future.add_done_callback(self._on_done)
        return future

    def stats(self) -> dict[str, int]:
        """How many runs are running and waiting now, and the pool's bounds."""
        with self._lock:
            return {"running": self._running, "queued": self._queued, "workers": self.workers, "queue": self.queue}

    def retry_after_s(self) -> int:
        """A whole-second guess at when a slot frees: the queue ahead, shared among the workers."""
        with self._lock:
            ahead = self._queued + 1
            mean = self._mean_run_s
        return max(1, min(120, math.ceil(mean * ahead / self.workers)))

    def kill_running(self) -> int:
        """Kill every run in progress at once (each removes its container); returns how many."""
        with self._lock:
            events = list(self._active)
        for event in events:
            event.set()
        return len(events)

    def shutdown(self, wait: bool = True, cancel_pending: bool = True, kill_running: bool = False) -> None:
        """Take no more work; cancel what waits (by default); with `wait`, let running runs end.

        Runs already started are never abandoned half way: each ends within its own timeout (or
        at once, with `kill_running`) and removes its container.
        """
        self._closed = True
        if kill_running:
            self.kill_running()
        self._executor.shutdown(wait=wait, cancel_futures=cancel_pending)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- inside -------------------------------------------------------------------------
    def _work(self, code: str, limits: Limits | None, kw: dict[str, Any]) -> Result:
        cancel = kw["cancel"]
        with self._lock:
            self._queued -= 1
            self._running += 1
            self._active.add(cancel)
        started = time.monotonic()
        try:
            return self._runner(code, limits, **kw)
        finally:
            elapsed = time.monotonic() - started
            with self._lock:
                self._running -= 1
                self._active.discard(cancel)
                self._mean_run_s = 0.8 * self._mean_run_s + 0.2 * elapsed

    def _on_done(self, future: Future[Result]) -> None:
        # A cancelled future never reached _work, so it still counts as queued.
        self._release(started=not future.cancelled())

    def _release(self, started: bool) -> None:
        if not started:
            with self._lock:
                self._queued -= 1
        self._slots.release()

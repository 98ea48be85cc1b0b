"""Per-student quotas and the slowdown of an address that keeps sending bad codes.

Defaults (flags of `python -m server`): 30 runs a minute and 2 at once per student
(`--per-minute`, `--at-once`); an address with 10 refused codes within a minute is answered 429
for the rest of that minute (`FAILURES_PER_MINUTE`). Each is a sliding window of 60 s, so
`Retry-After` is when the oldest counted event leaves it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

WINDOW_S = 60.0
DEFAULT_PER_MINUTE = 30
DEFAULT_AT_ONCE = 2
FAILURES_PER_MINUTE = 10
MAX_TRACKED = 10_000  # addresses or students remembered at once; the oldest are forgotten


class Window:
    """Events per key within the last WINDOW_S seconds."""

    def __init__(self, limit: int, clock=time.monotonic):
        self.limit, self.clock = limit, clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        seen = self._seen[key]
        while seen and seen[0] <= now - WINDOW_S:
            seen.popleft()
        return seen

    def full(self, key: str) -> int:
        """0 when `key` may go on, else the whole seconds until it may."""
        with self._lock:
            now = self.clock()
            seen = self._trim(key, now)
            if len(seen) < self.limit:
                return 0
            return max(1, math.ceil(seen[0] + WINDOW_S - now))

    def add(self, key: str) -> None:
        with self._lock:
            if len(self._seen) > MAX_TRACKED:
                self._seen.pop(next(iter(self._seen)))
            self._trim(key, self.clock()).append(self.clock())


class Quotas:
    """Runs a minute and runs at once (queued or running), per student."""

    def __init__(self, per_minute: int = DEFAULT_PER_MINUTE, at_once: int = DEFAULT_AT_ONCE):
        self.per_minute, self.at_once = per_minute, at_once
        self.started = Window(per_minute)
        self._inflight: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def take(self, who: str) -> tuple[str, int] | None:
        """Count a new run of `who`, or (the reason, Retry-After seconds) it is refused."""
        with self._lock:
            if self._inflight[who] >= self.at_once:
                return "student_at_once", 1
            wait = self.started.full(who)
            if wait:
                return "student_per_minute", wait
            self._inflight[who] += 1
            self.started.add(who)
            return None

    def give_back(self, who: str) -> None:
        with self._lock:
            self._inflight[who] = max(0, self._inflight[who] - 1)

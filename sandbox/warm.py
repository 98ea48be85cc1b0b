"""Warm containers: started before their program arrives, each used for exactly one run.

Starting a container is most of what a run costs, and it can be paid before the code arrives.
A `WarmPool` keeps `size` boxes (box.py) per set of limits started and waiting: each one's
supervisor blocks on its stdin, and has already started the language's interpreter as its
child, blocked reading its code from a pipe (languages.py's bootstrap), so that the run pays
neither the container's start nor the interpreter's. Nothing of any program exists in it yet:
the interpreter is the program's own process under the run's controls (uid, rlimits, seccomp,
working directory, environment), used once; it gets the code at delivery, when the clocks
start, and the program sees what a cold run's would (tests/engine/test_warm_pool.py compares
them: environment, open descriptors, working directory, argv, globals, sys.modules). `run()` takes one
whose limits, image and (empty) environment are exactly the run's, delivers the program, and
removes it afterwards like any other. Nothing is ever reused: a box holds one program, then it
is killed and removed, and a background thread starts its replacement.

    >>> from sandbox import WarmPool, run, PROFILES
    >>> with WarmPool(size=2):  # hardened, Python: the default        # doctest: +ENGINE
    ...     run("print(2 + 2)").stdout  # delivered to a container already waiting
    '4\\n'

Runs whose limits differ (a removed control, another value) start their own container, as do
runs with an environment. Idle boxes live at most `max_idle_s`, then are replaced. Each carries
the kit's labels (role "warm"), so the reaper knows them; and if this process dies, the
engine closes their stdin, their supervisors exit, and `cleanup()` removes what is left.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Iterable

from .box import Box
from .errors import InvalidLimits, SandboxError
from .languages import DEFAULT_LANGUAGE, LANGUAGES
from .limits import HARDENED, Limits

log = logging.getLogger(__name__)

_open: list[WarmPool] = []
_open_lock = threading.Lock()


def take(limits: Limits, image: str, env: dict[str, str]) -> Box | None:
    """A waiting box made for exactly these limits and image, from any open pool; else None."""
    if env:
        return None  # a pooled box was started without this run's environment
    with _open_lock:
        pools = list(_open)
    for pool in pools:
        box = pool.take(limits, image)
        if box is not None:
            return box
    return None


class WarmPool:
    """`size` started boxes for each of `limits` (hardened by default) in each language's image."""

    def __init__(
        self,
        size: int = 2,
        limits: Iterable[Limits] = (HARDENED,),
        languages: Iterable[str] = (DEFAULT_LANGUAGE,),
        max_idle_s: float = 300.0,
    ):
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 32:
            raise InvalidLimits(f"size must be a whole number from 1 to 32, not {size!r}.")
        self.size, self.max_idle_s = size, max_idle_s
        self.keys = [(lim, LANGUAGES[lang].image) for lim in limits for lang in languages]
        self._idle: dict[tuple[Limits, str], collections.deque[tuple[float, Box]]] = {
            key: collections.deque() for key in self.keys
        }
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._closed = False
        self.starting = self.busy = self.started = self.taken = self.failures = 0
        self.last_error = ""
        self._thread = threading.Thread(target=self._refill, name="sandbox-warm", daemon=True)
        with _open_lock:
            _open.append(self)
        self._thread.start()
        self._wanted.set()

    def take(self, limits: Limits, image: str) -> Box | None:
        key = next((k for k in self.keys if k[0] == limits and k[1] == image), None)
        if key is None or self._closed:
            return None
        with self._lock:
            idle = self._idle[key]
            box = idle.popleft()[1] if idle else None
            if box is not None:
                self.taken += 1
                self.busy += 1
        self._wanted.set()
        if box is not None:
            box.on_close = self._returned
        return box

    def _returned(self) -> None:
        with self._lock:
            self.busy -= 1

    def stats(self) -> dict[str, int]:
        with self._lock:
            idle = sum(len(q) for q in self._idle.values())
            return {
                "idle": idle,
                "starting": self.starting,
                "busy": self.busy,
                "size": self.size,
                "kinds": len(self.keys),
                "taken": self.taken,
                "failures": self.failures,
            }

    def wait_ready(self, timeout_s: float = 60.0) -> bool:
        """Block until every kind has its `size` boxes waiting (for benchmarks and tests)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if all(len(q) >= self.size for q in self._idle.values()):
                    return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """Stop refilling and remove every waiting box."""
        self._closed = True
        self._wanted.set()
        with _open_lock:
            if self in _open:
                _open.remove(self)
        self._thread.join(timeout=30)
        with self._lock:
            boxes = [box for q in self._idle.values() for _, box in q]
            for q in self._idle.values():
                q.clear()
        for box in boxes:
            box.close()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the refill thread ----------------------------------------------------------------------
    def _refill(self) -> None:
        while not self._closed:
            self._wanted.wait(timeout=min(5.0, self.max_idle_s / 2))
            self._wanted.clear()
            self._expire()
            for key in self.keys:
                while not self._closed and self._short(key):
                    self._start_one(key)

    def _short(self, key: tuple[Limits, str]) -> bool:
        with self._lock:
            return len(self._idle[key]) < self.size

    def _start_one(self, key: tuple[Limits, str]) -> None:
        limits, image = key
        with self._lock:
            self.starting += 1
        try:
            box = Box.start(limits, image=image, role="warm")
        except SandboxError as exc:
            log.warning("could not start a warm box (trying again in 1 s): %s", exc)
            with self._lock:
                self.failures += 1
                self.last_error = str(exc)
            time.sleep(1.0)  # an engine that is down: try again later, do not spin
            return
        finally:
            with self._lock:
                self.starting -= 1
        with self._lock:
            if not self._closed:
                self._idle[key].append((time.monotonic(), box))
                self.started += 1
                return
        log.debug("warm box %s discarded: the pool closed while it started", box.short_id)
        box.close()

    def _expire(self) -> None:
        now, old = time.monotonic(), []
        with self._lock:
            for q in self._idle.values():
                while q and now - q[0][0] > self.max_idle_s:
                    old.append(q.popleft()[1])
        for box in old:
            log.info("warm box %s discarded: idle longer than %g s", box.short_id, self.max_idle_s)
            box.close()

"""The host's CPU figures for a run, from the engine's own record while it runs (docker stats).

Under gVisor the program's clocks (os.times, getrusage) and the cgroup files it sees are
gVisor's bookkeeping, not the host's: four spinning processes there count more than one CPU
second per second while the host's cgroup gives the whole sandbox half a CPU. The engine reads
the host's cgroup of the container, so the lab judges a CPU attack under gVisor by that.

    >>> from sandbox import PROFILES, run
    >>> from sandbox.lab.hostcpu import watch_cpu
    >>> spin = "import time\\nend = time.time() + 3\\nwhile time.time() < end: pass"
    >>> with watch_cpu() as figures:  # doctest: +ENGINE
    ...     run(spin, PROFILES["hardened"]).status
    <Status.OK: 'ok'>
    >>> figures.get("cpu_per_wall", 0) < 0.8  # half a CPU (no figures: the engine gave too few samples)
    ... # doctest: +ENGINE
    True
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from sandbox import engine
from sandbox.engine import LABEL_ROLE, LABEL_SESSION, SESSION

FIND_WITHIN_S = 20.0  # the run's container must show up by then (a busy engine is slow to create)


@contextlib.contextmanager
def watch_cpu(role: str = "run") -> Iterator[dict]:
    """Yield a dict that, after the block, holds the host's `cpu_per_wall` and
    `throttled_periods` for the session's next running container of `role` (empty if the
    engine gave fewer than two samples, e.g. a run that ended at once)."""
    figures: dict = {}
    done = threading.Event()
    thread = threading.Thread(target=_sample, args=(role, figures, done), daemon=True, name="sandbox-hostcpu")
    thread.start()
    try:
        yield figures
    finally:
        done.set()
        thread.join(timeout=10)


def _sample(role: str, figures: dict, done: threading.Event) -> None:
    api = engine.client().api
    wanted = {"label": [f"{LABEL_SESSION}={SESSION}", f"{LABEL_ROLE}={role}"], "status": "running"}
    deadline = time.monotonic() + FIND_WITHIN_S
    found: list[dict[str, Any]] = []
    while not found and not done.is_set() and time.monotonic() < deadline:
        found = api.containers(filters=wanted)
        if not found:
            done.wait(0.1)
    if not found:
        return
    first = None
    try:
        for sample in api.stats(found[0]["Id"], stream=True, decode=True):
            cpu = sample.get("cpu_stats") or {}
            usage = (cpu.get("cpu_usage") or {}).get("total_usage")
            if not usage:  # the container has ended: its cgroup is gone
                return
            now = time.monotonic()
            throttled = (cpu.get("throttling_data") or {}).get("throttled_periods", 0)
            if first is None:
                first = (usage, now, throttled)
            elif now > first[1]:
                figures["cpu_per_wall"] = round((usage - first[0]) / 1e9 / (now - first[1]), 3)
                figures["throttled_periods"] = throttled - first[2]
            if done.is_set():
                return
    except Exception:  # noqa: BLE001 - a container removed mid-stream ends the samples, nothing more
        return

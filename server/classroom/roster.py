"""What the teacher's page shows: each student's recent runs and the class's totals, in memory.

Kept for the life of the server process (a restart starts a fresh view); each student's last
RUNS_KEPT runs, with their status while queued and running, then how each ended: the status,
the control that stopped it and the kernel's usage. Never the code, its input or its output.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque

RUNS_KEPT = 20


class Roster:
    def __init__(self, students: list[str]):
        self._runs: dict[str, deque[dict]] = {who: deque(maxlen=RUNS_KEPT) for who in students}
        self._counts: Counter[str] = Counter()  # runs per student, all of them
        self._status: Counter[str] = Counter()
        self._stopped: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def queued(self, who: str, language: str, profile: str) -> dict:
        run = {
            "id": next(self._ids),
            "status": "queued",
            "stopped_by": None,
            "language": language,
            "profile": profile,
            "queued_at": round(time.time(), 3),
            "wait_s": None,
            "duration_s": None,
            "usage": None,
        }
        with self._lock:
            self._runs.setdefault(who, deque(maxlen=RUNS_KEPT)).append(run)
            self._counts[who] += 1
        return run

    def started(self, run: dict, waited_s: float) -> None:
        with self._lock:
            run["status"], run["wait_s"] = "running", round(waited_s, 3)

    def ended(self, run: dict, status: str, stopped_by: str | None = None, duration_s=None, usage=None) -> None:
        with self._lock:
            run.update(status=status, stopped_by=stopped_by, duration_s=duration_s, usage=usage)
            self._status[status] += 1
            if stopped_by:
                self._stopped[stopped_by] += 1

    def report(self, klass: str, waiting: dict[str, int]) -> dict:
        with self._lock:
            students = [
                {"name": who, "runs_total": self._counts[who], "runs": [dict(r) for r in reversed(runs)]}
                for who, runs in self._runs.items()
            ]
            return {
                "class": klass,
                "students": students,
                "totals": {
                    "runs": sum(self._counts.values()),
                    "by_status": dict(self._status),
                    "by_stopped_by": dict(self._stopped),
                },
                "queue": {"waiting": sum(waiting.values()), "by_student": waiting},
            }

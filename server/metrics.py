"""/metrics in Prometheus' text format (prometheus_client), one registry per app.

    safe_python_runs_total{status}              runs that ended, by status
    safe_python_runs_stopped_total{stopped_by}  runs a control stopped, by control
    safe_python_run_seconds                     how long runs took (the Result's duration)
    safe_python_queue_wait_seconds              from the request to the run's start (a class's
                                                server: to the pool; otherwise the answer's time
                                                less the run's, which includes the container's start)
    safe_python_queue_depth                     runs waiting now
    safe_python_workers_busy                    runs running now
    safe_python_warm{state}                     warm containers idle and starting
    safe_python_too_many_requests_total{reason} 429s: busy, student_at_once, student_per_minute,
                                                too_many_failures
    safe_python_engine_errors_total{reason}     runs that could not happen: engine_unavailable,
                                                image_missing, run_refused, ...

Answered only to loopback, or with the teacher's code (server/app.py).
"""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, pool, warm=None, fair=None):
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.runs = Counter("safe_python_runs", "Runs that ended, by status.", ["status"], registry=registry)
        self.stopped = Counter(
            "safe_python_runs_stopped", "Runs a control stopped, by control.", ["stopped_by"], registry=registry
        )
        self.duration = Histogram("safe_python_run_seconds", "Run durations.", buckets=BUCKETS, registry=registry)
        self.wait = Histogram(
            "safe_python_queue_wait_seconds", "Waits before a run starts.", buckets=BUCKETS, registry=registry
        )
        self.too_many = Counter(
            "safe_python_too_many_requests", "429 answers, by reason.", ["reason"], registry=registry
        )
        self.engine_errors = Counter(
            "safe_python_engine_errors", "Runs that could not happen, by reason.", ["reason"], registry=registry
        )
        depth = Gauge("safe_python_queue_depth", "Runs waiting now.", registry=registry)
        busy = Gauge("safe_python_workers_busy", "Runs running now.", registry=registry)
        warmth = Gauge("safe_python_warm", "Warm containers, by state.", ["state"], registry=registry)
        depth.set_function(lambda: pool.stats()["queued"] + (sum(fair.waiting().values()) if fair else 0))
        busy.set_function(lambda: pool.stats()["running"])
        for state in ("idle", "starting"):
            warmth.labels(state).set_function(functools.partial(_warm_count, warm, state))

    def ended(self, status: str, stopped_by: str | None, duration_s: float) -> None:
        self.runs.labels(status).inc()
        if stopped_by:
            self.stopped.labels(stopped_by).inc()
        self.duration.observe(duration_s)

    def refused(self, status: int, reason: str) -> None:
        if status == 429:
            self.too_many.labels(reason).inc()
        elif status >= 500 and reason not in ("shutting_down", "internal_error"):
            self.engine_errors.labels(reason).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)


def _warm_count(warm, state: str) -> float:
    return warm.stats()[state] if warm is not None else 0

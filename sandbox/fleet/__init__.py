"""Past one machine: runs through a Redis broker to Celery workers, one pool per engine.

    python -m sandbox worker --broker unix:///run/safe-python/redis.sock   # on each engine's machine
    python -m server --broker unix:///run/safe-python/redis.sock           # the server submits there

The worker (`worker.py`) runs each run on its own machine's engine through the unchanged
`sandbox.run()`; the server's side (`client.py`, `FleetPool`) answers as `sandbox.Pool` does, so
the server's routes and answers do not change; `protocol.py` holds the JSON that travels between
them and the names of the broker's keys. docs/scale.md tells the deployment.

Nothing here is imported by the core, and importing this package loads neither Celery nor
redis-py: they are imported when a worker or a `FleetPool` is made (the `queue` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .protocol import BrokerUnavailable, NoWorkers, RemoteResult, urls, visibility_timeout

if TYPE_CHECKING:
    from .client import FleetPool


def __getattr__(name: str) -> Any:
    """`FleetPool` on first use: it imports redis-py and Celery."""
    if name == "FleetPool":
        from .client import FleetPool

        return FleetPool
    raise AttributeError(f"module 'sandbox.fleet' has no attribute {name!r}")


def worker(broker: str, concurrency: int | None = None, max_run_s: float | None = None, name: str | None = None) -> int:
    """Run a worker in this process until it is stopped (see worker.py)."""
    from .worker import main

    return main(broker, concurrency, max_run_s, name)


def default_concurrency(cpus: int | None = None) -> int:
    """Runs at once a worker takes by default: the host's CPUs over each run's CPU share."""
    from .worker import default_concurrency as rule

    return rule(cpus)


__all__ = [
    "FleetPool",
    "worker",
    "default_concurrency",
    "BrokerUnavailable",
    "NoWorkers",
    "RemoteResult",
    "urls",
    "visibility_timeout",
]

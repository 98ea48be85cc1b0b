"""The server's side of the queue: `FleetPool`, a pool whose runs happen on the workers.

It answers what the server asks of `sandbox.Pool` (`submit` -> a Future of the Result,
`stats`, `workers`, `queue`, `retry_after_s`, `kill_running`, `shutdown`), so the server's
routes, its fair queue and its answers stay the same; only where a run happens changes.

Each run: the server subscribes to the run's events channel, then sends the task; a thread of
this process waits on that channel for `started`, `output` (only when streamed) and then one
`result` or `error`, and fulfils the Future with the first answer: a run that a redelivery
answers again is answered once. A client that left sets the run's `cancel` event: the run is
flagged `cancelled` (a worker that takes it later skips it) and its id published on the
`cancel` channel (the worker running it kills it at once).

Bounds, all fast refusals (`QueueFull`, so 429 with Retry-After):
- the runs this server waits on: `workers + queue` (its HTTP threads are sized by the same);
- the runs waiting in the broker's queue, from every server: `queue` (the list's length).
Redis that does not answer: `BrokerUnavailable` (503 `broker_unavailable`) at submit, or for a
run whose events stop arriving because the connection broke; nothing is retried in the
background, and the next request finds Redis again by itself. No worker's heartbeat: `NoWorkers`
(503 `no_workers`) at submit, and for a waiting run when none has beaten for `LOST_S`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sandbox import (
    EngineUnavailable,
    ImageMissing,
    InvalidCode,
    InvalidLimits,
    Limits,
    PoolClosed,
    QueueFull,
    RunRefused,
    RuntimeMissing,
    SandboxError,
    check_files,
    program_argv,
)

from . import protocol as P

log = logging.getLogger("sandbox.fleet.client")

# A run still waiting when no worker has beaten for this long is answered `no_workers`.
LOST_S = 15.0
POLL_S = 0.5
# How often a waiting run checks that Redis still holds it (a restarted Redis has lost its queue).
CHECK_S = 2.0
# Celery's publish: one reconnection (a connection left broken by a Redis restart), no waiting.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2}
# Errors a worker reports by name become the same kit errors here, so the server answers the same.
KNOWN = {
    cls.__name__: cls
    for cls in (EngineUnavailable, ImageMissing, RuntimeMissing, InvalidCode, InvalidLimits, SandboxError)
}


class FleetPool:
    def __init__(self, broker: str, workers: int = 5, queue: int = 20, visibility_s: float | None = None):
        redis = P.needs("redis")
        from .worker import celery_app

        self.broker = broker
        self.workers, self.queue = workers, queue
        celery_url, redis_url = P.urls(broker)
        # No retries inside redis-py: Redis gone is told at once (503), and the next request tries afresh.
        no_retry = P.needs("redis.retry").Retry(P.needs("redis.backoff").NoBackoff(), 0)
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=2, retry=no_retry)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.app = celery_app(celery_url, visibility_s or P.visibility_timeout(60))
        self._executor = ThreadPoolExecutor(max_workers=workers + queue, thread_name_prefix="fleet-wait")
        self._lock = threading.Lock()
        self._waiting = 0
        self._running = 0
        self._closed = False
        self._mean_run_s = 1.0
        self._active: set[threading.Event] = set()

    # -- what the server calls ------------------------------------------------------------
    def submit(
        self, code: str, limits: Limits | None = None, *, cancel: threading.Event | None = None, **kw: Any
    ) -> Future[Any]:
        limits = limits or Limits(name="hardened")
        program_argv(code, kw.get("language", "python"))
        check_files(kw.get("files"), limits)
        if self._closed:
            raise PoolClosed("The server is shutting down.")
        queued = self._queued_in_broker()
        if not self.workers_answering():
            raise P.NoWorkers("No worker is connected to the broker.")
        with self._lock:
            waiting = self._waiting
            full = waiting >= self.workers + self.queue or queued >= self.queue
            if not full:
                self._waiting += 1
        if full:
            raise QueueFull(
                f"{queued} runs are waiting in the queue and this server waits on {waiting}.",
                retry_after_s=self._retry_after(queued),
            )
        cancel = cancel if cancel is not None else threading.Event()
        run_id = uuid.uuid4().hex
        pubsub = None
        try:
            message = P.task(
                run_id,
                code,
                limits,
                language=kw.get("language", "python"),
                stdin=kw.get("stdin"),
                files=kw.get("files"),
                streamed=kw.get("on_output") is not None,
            )
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(P.events(run_id))  # before the task is sent: no event can be missed
            # the run's mark while it waits: gone if Redis restarts and loses its queue with it
            self.redis.set(P.key("pending", run_id), "1", ex=P.RUN_KEY_TTL_S)
            self.app.send_task(P.TASK, args=[message], task_id=run_id, retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # redis-py's and kombu's errors alike: the broker did not take it
            self._release(False)
            if pubsub is not None:
                pubsub.close()
            if isinstance(exc, SandboxError):
                raise
            raise P.BrokerUnavailable(f"The broker did not take the run: {type(exc).__name__}: {exc}") from None
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        try:
            self._executor.submit(self._wait, run_id, pubsub, future, cancel, kw.get("on_output"))
        except RuntimeError:  # shut down since the check above: nobody would wait for its answer
            self._cancel(run_id)
            pubsub.close()
            self._release(False)
            raise PoolClosed("The server is shutting down.") from None
        return future

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "running": self._running,
                "queued": self._waiting - self._running,
                "workers": self.workers,
                "queue": self.queue,
            }

    def retry_after_s(self) -> int:
        return self._retry_after(0)

    def kill_running(self) -> int:
        with self._lock:
            events = list(self._active)
        for event in events:
            event.set()
        return len(events)

    def shutdown(self, wait: bool = True, cancel_pending: bool = True, kill_running: bool = False) -> None:
        self._closed = True
        if kill_running:
            self.kill_running()
        self._executor.shutdown(wait=wait, cancel_futures=False)

    def health(self) -> dict[str, Any]:
        """The broker and the workers that answer, for /health."""
        try:
            self.redis.ping()
            queued = int(self.redis.llen(P.QUEUE))
        except self.errors as exc:
            return {
                "ok": False,
                "detail": str(P.BrokerUnavailable(f"Redis does not answer: {_said(exc)}")),
                "workers": [],
            }
        workers = self.workers_answering()
        detail = f"Redis answers; {len(workers)} worker(s) answering, {queued} run(s) queued"
        return {"ok": bool(workers), "detail": detail, "queued": queued, "workers": workers}

    def workers_answering(self) -> list[dict[str, Any]]:
        """The workers whose heartbeat is current (raises BrokerUnavailable if Redis does not answer)."""
        try:
            names = sorted(self.redis.scan_iter(match=P.key("worker", "*"), count=100))
            beats = self.redis.mget(names) if names else []
        except self.errors as exc:
            raise P.BrokerUnavailable(f"Redis does not answer: {_said(exc)}") from None
        return [json.loads(b) for b in beats if b]

    # -- inside ---------------------------------------------------------------------------
    def _queued_in_broker(self) -> int:
        try:
            return int(self.redis.llen(P.QUEUE))
        except self.errors as exc:
            raise P.BrokerUnavailable(f"Redis does not answer: {_said(exc)}") from None

    def _retry_after(self, queued: int) -> int:
        with self._lock:
            mean = self._mean_run_s
        return max(1, min(120, math.ceil(mean * (queued + 1) / max(1, self.workers))))

    def _wait(
        self,
        run_id: str,
        pubsub: Any,
        future: Future[Any],
        cancel: threading.Event,
        on_output: Callable[[str, str], None] | None,
    ) -> None:
        started_at: float | None = None
        told_cancel = False
        last_seen_worker = last_check = time.monotonic()
        with self._lock:
            self._active.add(cancel)
        try:
            while True:
                if cancel.is_set() and not told_cancel:
                    told_cancel = True
                    self._cancel(run_id)
                try:
                    message = pubsub.get_message(timeout=POLL_S)
                except self.errors as exc:
                    raise P.BrokerUnavailable(
                        f"The connection to Redis broke while the run waited: {_said(exc)}"
                    ) from None
                if message is None or message.get("type") != "message":
                    if time.monotonic() - last_check > CHECK_S:
                        last_check = time.monotonic()
                        self._still_held(run_id)
                    if time.monotonic() - last_seen_worker > 2 * P.HEARTBEAT_S:
                        if self._any_worker():
                            last_seen_worker = time.monotonic()
                        elif time.monotonic() - last_seen_worker > LOST_S:
                            raise P.NoWorkers(f"No worker has answered for {LOST_S:g} s; the run was not answered.")
                    continue
                event = json.loads(message["data"])
                kind = event.get("event")
                if kind == "started":
                    if started_at is None:
                        started_at = time.monotonic()
                        with self._lock:
                            self._running += 1
                elif kind == "output" and on_output is not None:
                    on_output(event.get("stream", "stdout"), event.get("text", ""))
                elif kind == "result":
                    future.set_result(P.RemoteResult(event["result"], int(event["attempt"]), str(event["worker"])))
                    return
                elif kind == "error":
                    future.set_exception(worker_error(event))
                    return
                elif kind == "skipped":
                    future.set_exception(PoolClosed("The run was cancelled before a worker started it."))
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            if not future.done():
                future.set_exception(exc)
        finally:
            try:
                pubsub.close()
                self.redis.delete(P.key("pending", run_id))
            except self.errors:
                pass
            self._release(started_at is not None, started_at)
            with self._lock:
                self._active.discard(cancel)

    def _still_held(self, run_id: str) -> None:
        try:
            held = self.redis.exists(P.key("pending", run_id))
        except self.errors as exc:
            raise P.BrokerUnavailable(f"Redis stopped answering while the run waited: {_said(exc)}") from None
        if not held:
            raise P.BrokerUnavailable("Redis restarted while the run waited, and lost it with its queue.")

    def _any_worker(self) -> bool:
        try:
            return bool(self.workers_answering())
        except P.BrokerUnavailable:
            return False

    def _cancel(self, run_id: str) -> None:
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(P.key("cancelled", run_id), "1", ex=P.RUN_KEY_TTL_S)
                pipe.publish(P.CANCEL, run_id)
                pipe.execute()
        except self.errors as exc:
            log.warning("run %s: could not tell the workers its client left (%s)", run_id, exc)

    def _release(self, started: bool, started_at: float | None = None) -> None:
        with self._lock:
            self._waiting -= 1
            if started:
                self._running -= 1
                if started_at is not None:
                    self._mean_run_s = 0.8 * self._mean_run_s + 0.2 * (time.monotonic() - started_at)


def worker_error(event: dict[str, Any]) -> SandboxError:
    """The kit's error a worker reported, as the same class here (RunRefused keeps its message)."""
    message = str(event.get("message", "The worker could not run the program."))
    hint = str(event.get("hint") or "") or None
    kind = event.get("kind")
    if kind == "RunRefused":
        return RunRefused(message, hint=hint)
    return KNOWN.get(str(kind), SandboxError)(message, hint=hint)


def _said(exc: BaseException) -> str:
    """An error's words as the end of a sentence (redis-py's already end with a period)."""
    text = str(exc).strip()
    return text if text.endswith(".") else text + "."

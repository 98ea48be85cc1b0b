"""The worker: `python -m sandbox worker --broker URL` takes runs off the broker and runs each on
this machine's engine through the unchanged `sandbox.run()`.

A Celery worker with its pool of threads (each run is a container; the thread only waits on it),
JSON as its only serializer, late acknowledgement (a message is acknowledged after its run has
answered), `reject_on_worker_lost`, a prefetch of one run per thread, and a visibility timeout
past the longest run it accepts plus the kill's grace (`protocol.visibility_timeout`): a run
still going is never handed to a second worker, and one whose worker was lost is handed to
another once that timeout has passed.

Beside Celery's loop, two threads: a heartbeat (`safe-python:worker:<name>`, read by the server's
/health and its refusal when no worker is there) and a listener on the `cancel` channel, which
kills a run in progress here when its client has left. At start, before it takes any run, the
reaper removes what an earlier worker on this machine left behind (a worker killed mid-run
leaves its container).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from sandbox import PROFILES, SandboxError, cleanup, engine_ping, run

from . import protocol as P

log = logging.getLogger("sandbox.fleet.worker")


def default_concurrency(cpus: int | None = None) -> int:
    """The server's rule for its workers: runs at once × each run's CPU share within the host's CPUs."""
    share = PROFILES["hardened"].cpus or 1.0
    return max(1, int((cpus or os.cpu_count() or 1) / share))


class Worker:
    """What a worker process does with each task, apart from Celery's own loop."""

    def __init__(self, broker: str, concurrency: int, max_run_s: float, name: str | None = None):
        redis = P.needs("redis")
        self.celery_url, self.redis_url = P.urls(broker)
        self.concurrency, self.max_run_s = concurrency, float(max_run_s)
        self.name = name or f"safe-python-{socket.gethostname()}-{os.getpid()}"
        self.redis = redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- one run --------------------------------------------------------------------------
    def handle(self, message: dict[str, Any]) -> None:
        run_id = str(message.get("id", "")) if isinstance(message, dict) else ""
        if not run_id:
            log.error("a task with no run id was dropped")
            return
        channel = P.events(run_id)
        if self._get(P.key("done", run_id)):
            log.warning("run %s was answered already; it is not run again", run_id)
            return
        if self._get(P.key("cancelled", run_id)):
            self._finish(run_id, {"event": "skipped", "reason": "client_gone"})
            return
        attempt = self._attempt(run_id)
        try:
            kwargs = P.run_arguments(message)
            longest = P.longest(kwargs["limits"])
            if longest > self.max_run_s:
                raise SandboxError(
                    f"This worker takes runs of at most {self.max_run_s:g} s, and this one may last {longest:g} s.",
                    hint="Start the workers with a larger --max-run-s (their visibility timeout grows with it).",
                )
        except (SandboxError, KeyError, TypeError, ValueError) as exc:
            self._finish(run_id, _error(exc, attempt, self.name))
            return
        cancel = threading.Event()
        with self._lock:
            self.running[run_id] = cancel
        if attempt > 1:
            log.warning("run %s redelivered: attempt %d (its first worker was lost mid-run)", run_id, attempt)
        self._publish(channel, {"event": "started", "attempt": attempt, "worker": self.name})

        def on_output(stream: str, text: str) -> None:
            self._publish(channel, {"event": "output", "stream": stream, "text": text})

        try:
            if self._get(P.key("cancelled", run_id)):  # the client left while this was starting
                cancel.set()
            result = run(**kwargs, cancel=cancel, on_output=on_output if message.get("streamed") else None)
            answer = {"event": "result", "result": result.to_dict(), "attempt": attempt, "worker": self.name}
        except SandboxError as exc:
            answer = _error(exc, attempt, self.name)
        except Exception as exc:  # told to the waiting server as a generic error, logged here
            log.exception("run %s failed unexpectedly", run_id)
            answer = _error(SandboxError(f"The worker failed: {type(exc).__name__}."), attempt, self.name)
        finally:
            with self._lock:
                self.running.pop(run_id, None)
        self._finish(run_id, answer)

    def _finish(self, run_id: str, answer: dict[str, Any]) -> None:
        """Mark the run done and publish its answer in one transaction: a redelivery after this
        never runs it again, and none before it has been answered."""
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(P.key("done", run_id), "1", ex=P.RUN_KEY_TTL_S)
                pipe.publish(P.events(run_id), P.dumps(answer))
                pipe.execute()
        except self.errors as exc:
            log.warning("run %s: its answer could not be published (%s); its server answers 503", run_id, exc)

    def _attempt(self, run_id: str) -> int:
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(P.key("attempt", run_id))
                pipe.expire(P.key("attempt", run_id), P.RUN_KEY_TTL_S)
                return int(pipe.execute()[0])
        except self.errors:
            return 1

    def _get(self, name: str) -> bool:
        try:
            return bool(self.redis.exists(name))
        except self.errors:
            return False

    def _publish(self, channel: str, event: dict[str, Any]) -> None:
        try:
            self.redis.publish(channel, P.dumps(event))
        except self.errors as exc:
            log.debug("could not publish to %s: %s", channel, exc)

    # -- beside Celery's loop -------------------------------------------------------------
    def start_threads(self) -> None:
        threading.Thread(target=self._heartbeat, name="fleet-heartbeat", daemon=True).start()
        threading.Thread(target=self._listen_for_cancels, name="fleet-cancel", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self.redis.delete(P.key("worker", self.name))
        except self.errors:
            pass

    def beat(self) -> dict[str, Any]:
        with self._lock:
            busy = len(self.running)
        return {"name": self.name, "concurrency": self.concurrency, "running": busy, "max_run_s": self.max_run_s}

    def _heartbeat(self) -> None:
        while not self._stop.is_set():
            try:
                self.redis.set(P.key("worker", self.name), json.dumps(self.beat()), ex=P.HEARTBEAT_TTL_S)
            except self.errors:
                pass  # Redis is gone for now; the next beat tries again
            self._stop.wait(P.HEARTBEAT_S)

    def _listen_for_cancels(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(P.CANCEL)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        self.cancel(message["data"].decode("utf-8", "replace"))
            except self.errors:
                self._stop.wait(1.0)  # reconnect once Redis is back

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            event = self.running.get(run_id)
        if event is not None:
            log.info("run %s: its client left; killing it", run_id)
            event.set()
        return event is not None


def _error(exc: BaseException, attempt: int, worker: str) -> dict[str, Any]:
    kind = type(exc).__name__
    message = exc.message if isinstance(exc, SandboxError) else str(exc)
    hint = exc.hint if isinstance(exc, SandboxError) else ""
    return {"event": "error", "kind": kind, "message": message, "hint": hint, "attempt": attempt, "worker": worker}


def celery_app(celery_url: str, visibility_s: float, handle: Callable[[dict[str, Any]], None] | None = None) -> Any:
    """The Celery app both sides share: JSON only, late acks, a prefetch of one, the visibility timeout."""
    Celery = P.needs("celery").Celery

    app = Celery("safe_python", broker=celery_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        event_serializer="json",
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=P.QUEUE,
        broker_transport_options={
            "visibility_timeout": visibility_s,
            # look for unacknowledged runs past their timeout every second, not every 100 s
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
            "socket_timeout": 5,
        },
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    if handle is not None:

        @app.task(  # type: ignore[untyped-decorator]
            name=P.TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True
        )
        def run_task(message: dict[str, Any]) -> None:
            handle(message)

    return app


def main(broker: str, concurrency: int | None = None, max_run_s: float | None = None, name: str | None = None) -> int:
    """Run a worker until SIGTERM/Ctrl+C (Celery's warm shutdown: running runs finish)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    max_run = float(max_run_s if max_run_s is not None else 60)
    worker = Worker(broker, concurrency or default_concurrency(), max_run, name)
    engine_ping()  # an engine that does not answer: say so now, take no run
    removed = cleanup()  # orphans only: what a killed worker on this machine left behind
    log.info(
        "the reaper removed %d container(s) and %d network(s) left behind", removed["containers"], removed["networks"]
    )
    visibility = P.visibility_timeout(max_run)
    app = celery_app(worker.celery_url, visibility, worker.handle)
    worker.start_threads()
    log.info(
        "worker %s: %d run(s) at once, runs of at most %gs, visibility timeout %gs, broker %s",
        worker.name,
        worker.concurrency,
        max_run,
        visibility,
        _shown(broker),
    )
    try:
        app.Worker(
            hostname=f"{worker.name}@{socket.gethostname()}",
            pool="threads",
            concurrency=worker.concurrency,
            loglevel="INFO",
            without_mingle=True,
            without_gossip=True,
            without_heartbeat=True,
            quiet=True,
        ).start()
    finally:
        worker.stop()
    return 0


def _shown(broker: str) -> str:
    """The broker's address without its password, for the log."""
    head, at, tail = broker.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else broker

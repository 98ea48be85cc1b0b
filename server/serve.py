"""Start waitress with the app, and stop cleanly on Ctrl+C or SIGTERM.

Stopping, as it really happens:
1. The first Ctrl+C (or SIGTERM) closes the listening socket (new connections are refused),
   cancels every queued run (its request answers 503 `shutting_down`) and lets the running
   ones finish within their own timeout. Their answers are still delivered: waitress keeps
   serving the open connections until the last run has ended and its answer is sent.
2. A second Ctrl+C (or SIGTERM) while runs are going kills them at once: each request answers
   200 with status `killed`, and each run removes its own container.
3. Then waitress stops, this process's target container and internal networks are removed, the
   engine is asked whether anything of this server is left (anything found is removed and
   named in the log), and the process exits: 0 after a normal stop, 130 after a forced one.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
import threading
import time

from sandbox import SESSION, Pool, SandboxError, WarmPool, cleanup, leftovers, teardown

from . import waitress_internals
from .app import create_app, health_report, served_limits
from .body import MAX_BODY_BYTES
from .classroom import ClassError, Classroom, Store, data_dir
from .classroom.fair import FairQueue
from .connections import ACCEPT_LIMIT, IDLE_TIMEOUT_S
from .health import HealthCheck, fleet_probe
from .settings import Settings

log = logging.getLogger("server")

# After the last run, how long to wait for waitress to send the answers still buffered.
FLUSH_S = 5.0


def serve(settings: Settings) -> int:
    """Serve until stopped; return the process's exit code."""
    _configure_logging()
    if not settings.loopback and settings.klass is None and not settings.open:
        log.error(
            "refusing to listen on %s without a class: anyone who can reach it could run code here. "
            "Make a class with 'python -m server class new NAME --students 30' and start with "
            "'python -m server --host %s --class NAME', or pass --open if an open server is what you mean.",
            settings.host,
            settings.host,
        )
        return 2
    pool = _pool(settings)
    if pool is None:
        return 2
    classroom = None
    if settings.klass is not None:
        try:
            store = Store(settings.data or data_dir())
            classroom = Classroom(store, settings.klass, pool, settings.per_minute, settings.at_once)
        except (ClassError, OSError, sqlite3.Error) as exc:
            pool.shutdown()
            log.error("cannot serve class %r: %s", settings.klass, exc)
            return 2
    health = HealthCheck(probe=fleet_probe) if settings.broker else HealthCheck()
    warm = _warm_pool(settings)
    sockets: dict = {}
    try:
        server = waitress_internals.create(
            create_app(settings, pool, health, warm, classroom),
            sockets,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            # Waitress refuses a larger body from its Content-Length before reading it, and stops
            # reading a chunked one past the same bound.
            max_request_body_size=MAX_BODY_BYTES + 1,
            # Lets a request see that its client went away (waitress.client_disconnected).
            channel_request_lookahead=1,
            # The connection bounds (server/connections.py): idle ones go, the sweep runs each second,
            # and waitress keeps accepting past CONNECTION_LIMIT so a newcomer can take an idle slot.
            connection_limit=ACCEPT_LIMIT,
            channel_timeout=IDLE_TIMEOUT_S,
            cleanup_interval=1,
            ident="safe-python",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        pool.shutdown()
        if warm is not None:
            warm.close()
        log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc.strerror or exc)
        return 2
    waitress_internals.guard_connections(server)
    stop = Stopper(sockets, pool, warm, classroom.fair if classroom else None, local=settings.broker is None)
    stop.install()
    _announce(settings, pool, health)
    server.run()  # returns when Stopper has closed every socket
    return stop.finish()


class Stopper:
    """The signal handler and the drain described in the module's docstring."""

    def __init__(
        self, sockets: dict, pool: Pool, warm: WarmPool | None = None, fair: FairQueue | None = None, local: bool = True
    ):
        self.sockets = sockets  # waitress's map: listeners, their wake-up triggers, connections
        self.listeners = waitress_internals.listeners(sockets)
        self.pool = pool
        self.warm = warm
        self.fair = fair  # a class's waiting runs, in front of the pool
        self.state = "serving"  # -> draining -> forced -> stopped
        self.local = local  # runs on this machine's engine (not through a broker)

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)

    def on_signal(self, signum, frame) -> None:
        # Runs in the main thread between two steps of waitress's loop, maybe holding one of its
        # locks: so only a state change here, and the work in a thread of its own. Nothing is
        # raised, so waitress's own KeyboardInterrupt handling never runs.
        if self.state == "serving":
            self.state = "draining"
            threading.Thread(target=self._drain, name="server-drain", daemon=True).start()
        elif self.state == "draining":
            self.state = "forced"
            threading.Thread(target=self._force, name="server-force", daemon=True).start()
        # Later signals change nothing: killed runs end within a second or two.

    def finish(self) -> int:
        """After waitress's loop: close what is left, remove this server's things, the exit code."""
        forced = self.state == "forced"
        self.state = "stopped"
        waitress_internals.stop_task_threads(self.listeners[0])  # they are idle by now
        if self.fair is not None:
            self.fair.cancel_all()
        self.pool.shutdown(wait=True, cancel_pending=True)
        if self.warm is not None:
            self.warm.close()  # the waiting containers go too
        if not self.local:
            log.info("stopped: the runs it sent were answered or cancelled on the workers")
            return 130 if forced else 0
        try:
            teardown()
            left = leftovers(session=SESSION)
            if left:
                cleanup(session=SESSION)
                log.warning("removed %d container(s) of this server that were still there", len(left))
        except Exception as exc:  # noqa: BLE001 - engine gone: orphans are the reaper's job
            log.warning(
                "could not check this server's containers (%s); 'python -m sandbox cleanup' removes orphans", exc
            )
            return 130 if forced else 1
        log.info("stopped: no container of this server is left")
        return 130 if forced else 0

    # -- inside ---------------------------------------------------------------------------
    def _drain(self) -> None:
        self._in_loop(self._stop_listening)
        if self.fair is not None:
            self.fair.cancel_all()
        self.pool.shutdown(wait=False, cancel_pending=True)  # queued requests answer 503 now
        log.info(
            "stopping: no new connections; %d running run(s) will end within their timeout "
            "(Ctrl+C again kills them now)",
            self.pool.stats()["running"],
        )
        self.pool.shutdown(wait=True)
        self._wait_for_answers(FLUSH_S)
        # Closing every socket empties waitress's map, and its loop ends by itself.
        self._in_loop(lambda: waitress_internals.close_all(self.sockets))

    def _force(self) -> None:
        log.warning("forced stop: killing %d running run(s) now", self.pool.kill_running())

    def _in_loop(self, work) -> None:
        """Run `work` in the main thread, between two steps of waitress's loop, and wait for it."""
        done = threading.Event()

        def thunk():
            try:
                work()
            finally:
                done.set()

        # The trigger belongs to the listener but outlives its closed listening socket.
        try:
            waitress_internals.call_in_loop(self.listeners[0], thunk)
        except OSError:
            # Waitress queues the thunk before it writes the wake-up byte. If another thread
            # (a task sending its answer) woke the loop in between, the loop has run the thunk
            # already; the last thunk closes the trigger, so the byte has nowhere to go. Either
            # way the loop is done with this work, or gone: there is nothing left to wait for.
            return
        done.wait(10)

    def _wait_for_answers(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not waitress_internals.answers_pending(self.sockets):
                return
            time.sleep(0.05)

    def _stop_listening(self) -> None:
        for listener in self.listeners:
            waitress_internals.stop_listening(listener)  # the trigger stays: answers still wake the loop


def _pool(settings: Settings):
    """This machine's pool, or with --broker the workers' (sandbox.fleet: imported only then)."""
    if settings.broker is None:
        return Pool(workers=settings.workers, queue=settings.queue)
    try:
        from sandbox.fleet import FleetPool

        return FleetPool(settings.broker, workers=settings.workers, queue=settings.queue)
    except SandboxError as exc:
        log.error("cannot use the broker: %s", exc)
        return None


def _warm_pool(settings: Settings) -> WarmPool | None:
    """Containers of the default run (hardened, Python, this server's limits) started ahead."""
    if settings.warm_size == 0:
        return None
    try:
        return WarmPool(size=settings.warm_size, limits=[served_limits("hardened", (), settings)])
    except SandboxError as exc:
        log.warning("no warm containers (%s); every run starts its own", exc)
        return None


def _announce(settings: Settings, pool: Pool, health: HealthCheck) -> None:
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    limits = served_limits("hardened", (), settings)
    log.info(
        "serving http://%s:%d (workers %d, queue %d, timeout %gs, session %s)",
        shown_host,
        settings.port,
        pool.workers,
        pool.queue,
        limits.timeout_s,
        SESSION,
    )
    if settings.allow_ablation:
        log.warning("--allow-ablation is ON: visitors can remove controls. Use this only on your own machine.")
    if settings.klass is not None:
        log.info(
            "serving class %s: each run needs a join code (%d runs a minute, %d at once per student)",
            settings.klass,
            settings.per_minute,
            settings.at_once,
        )
    elif not settings.loopback:
        log.warning(
            "--open: listening on %s without a class: anyone who can reach this address can run code here",
            settings.host,
        )
    found = health_report(health, pool)
    if "broker" in found:
        log.info(
            "runs go through the broker %s: %s", settings.broker and _hidden(settings.broker), found["broker"]["detail"]
        )
    if not found["ok"]:
        detail = found["engine"]["detail"] if not found["engine"]["ok"] else found["image"]["detail"]
        if "broker" in found and not found["broker"]["ok"]:
            detail = found["broker"]["detail"] + " (start a worker: python -m sandbox worker --broker URL)"
        log.warning("not ready yet, /run will answer 503 until this is fixed: %s", detail)
        return
    for name, state in found["languages"].items():
        if not state["available"]:
            log.warning("%s is unavailable, its runs will answer 503 until this is fixed: %s", name, state["detail"])


def _hidden(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url


def _configure_logging() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

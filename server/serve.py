"""Start waitress with the app, and stop cleanly on Ctrl+C or SIGTERM.

Shutting down, in order:
1. The first Ctrl+C (or SIGTERM) cancels every queued run and stops the HTTP loop.
2. The listening sockets close; runs already in a container finish within their own timeout
   and remove their containers.
3. This process's target container and internal network (made only if a run used the network)
   are removed.
A second Ctrl+C while step 2 waits force-removes this process's containers and exits at once.
"""

from __future__ import annotations

import logging
import signal
import sys

from waitress.server import create_server

from sandbox import engine, network, reaper
from sandbox.pool import Pool

from .app import create_app, health_report, limits_for
from .body import MAX_BODY_BYTES
from .httperrors import use_json_errors
from .settings import Settings

log = logging.getLogger("server")


def serve(settings: Settings) -> int:
    """Serve until interrupted; return the process's exit code."""
    _configure_logging()
    pool = Pool(workers=settings.workers, queue=settings.queue)
    try:
        server = create_server(
            create_app(settings, pool),
            host=settings.host, port=settings.port, threads=settings.threads,
            # Waitress refuses a larger body from its Content-Length before reading it, and stops
            # reading a chunked one past the same bound.
            max_request_body_size=MAX_BODY_BYTES + 1,
            # Lets a request see that its client went away (waitress.client_disconnected).
            channel_request_lookahead=1,
            ident="safe-python", expose_tracebacks=False, clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        pool.shutdown()
        log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc.strerror or exc)
        return 2
    use_json_errors(server)
    _announce(settings, pool)
    _on_stop_signals(pool)
    interrupted = False
    try:
        server.run()   # returns after Ctrl+C/SIGTERM (waitress catches KeyboardInterrupt)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        code = _shutdown(server, pool)
    return code or (130 if interrupted else 0)


def _shutdown(server, pool: Pool) -> int:
    _close(server)
    running = pool.stats()["running"]
    if running:
        log.info("stopping: waiting for %d running run(s) to end (Ctrl+C again to force)", running)
    try:
        pool.shutdown(wait=True, cancel_pending=True)
    except KeyboardInterrupt:
        removed = _force_cleanup()
        log.warning("forced stop: removed %d container(s) of this server", removed)
        return 130
    network.teardown()
    log.info("stopped: no container of this server is left running")
    return 0


def _close(server) -> None:
    try:
        server.close()
    except Exception as exc:  # noqa: BLE001 - closing on the way out must not hide the rest
        log.debug("closing the listener: %s", exc)


def _force_cleanup() -> int:
    try:
        removed = reaper.cleanup(session=engine.SESSION)["containers"]
        network.teardown()
        return removed
    except Exception as exc:  # noqa: BLE001 - engine gone: the reaper will get them later
        log.warning("could not remove this server's containers (%s); run 'python -m sandbox cleanup'", exc)
        return 0


def _on_stop_signals(pool: Pool) -> None:
    def stop(signum, frame):
        # Queued runs are cancelled now, so their requests answer 503 at once instead of
        # waiting for workers that will never come.
        pool.shutdown(wait=False, cancel_pending=True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _announce(settings: Settings, pool: Pool) -> None:
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    limits = limits_for("hardened", (), settings)
    log.info("serving http://%s:%d (workers %d, queue %d, timeout %gs, session %s)", shown_host,
             settings.port, pool.workers, pool.queue, limits.timeout_s, engine.SESSION)
    if settings.allow_ablation:
        log.warning("--allow-ablation is ON: visitors can remove controls. Use this only on your own machine.")
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: anyone who can reach this address can run code here", settings.host)
    found = health_report(pool)
    if not found["ok"]:
        detail = found["engine"]["detail"] if not found["engine"]["ok"] else found["image"]["detail"]
        log.warning("not ready yet, /run will answer 503 until this is fixed: %s", detail)


def _configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

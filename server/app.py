"""The Bottle app: /run, /health, /api/examples, /api/config, /metrics, /openapi.json, a class's
/api/class/me, /api/class and /grade (server/classroom/, server/grading.py), and the page under
web/ (teacher.html too).

    status  when
    200     a run happened, whatever became of the program (ok, error, timeout, memory,
            output_limit, killed): {"output": ...} or {"error": ...} plus the whole Result,
            the profile and the language it ran in
    400/411/413/415/422   input refused before any container starts (see server/body.py)
    401     a class's server (--class): no join code, or one unknown, revoked or expired
    403     a control removal asked of a server started without --allow-ablation,
            or a POST from another origin (see server/guard.py)
    404/405 no such page / wrong method
    421     a Host header this server does not answer to (DNS rebinding)
    429     every worker busy and the queue full; on a class's server also a student's quota
            (student_at_once, student_per_minute) or an address's wrong codes (too_many_failures);
            Retry-After says when to try again
    499     (log only) the client hung up; its run was cancelled or killed at once
    500     run_refused: the engine answered but would not start a container with this
            profile's limits (the server offered something its engine cannot apply; the
            message carries the engine's one-line reason); otherwise anything unexpected:
            a generic message, the details only in the server's log
    503     the Docker Engine or the sandbox image of the run's language is missing (the
            message says what to do), or the server is shutting down; with --broker also
            broker_unavailable (Redis does not answer) and no_workers (no worker's heartbeat)

`"language"` picks one of sandbox.LANGUAGES (default "python"); every language runs
under the same profiles and controls. /health is 503 only when Python cannot run; another
language's missing image shows there as unavailable and its runs answer 503 image_missing.

Over HTTP every profile keeps the hardened output cap (64 KiB): a profile without one (seed,
naive) would let one answer grow to the core's 16 MiB safety net, and each busy worker hold as
much. Only a teacher's server (--allow-ablation) can remove it, with `"without": ["output_cap"]`.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import mimetypes
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import bottle
from bottle import Bottle, HTTPError, HTTPResponse, request, static_file

from sandbox import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MAX_CODE_CHARS,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_STDIN_BYTES,
    MAX_TOTAL_BYTES,
    PROFILES,
    REGISTRY,
    EngineUnavailable,
    ImageMissing,
    Limits,
    PoolClosed,
    QueueFull,
    Result,
    RunRefused,
    RuntimeMissing,
    SandboxError,
)
from sandbox.lab import EXAMPLES

from .body import check_run_files, parse_run, read_json
from .classroom import Classroom, Member
from .grading import Grading, parse_grade
from .guard import Guard
from .health import HealthCheck, removals
from .jsonerr import GENERIC_500, JSON_HEADERS, Refusal, dumps
from .metrics import Metrics
from .openapi import OPENAPI
from .settings import Settings

log = logging.getLogger("server")
T = TypeVar("T")

# How often a waiting request checks whether its client is still there.
POLL_S = 0.25
# A quiet stream says it is still running this often: a client can show progress, and a write
# to a client that has gone is what tells waitress it has gone once the answer has begun.
HEARTBEAT_S = 2.0
NDJSON_TYPE = "application/x-ndjson; charset=utf-8"
# How long a request whose client left waits for its killed run to end, only to log how it ended.
KILLED_RUN_WAIT_S = 15
# The cap every profile keeps over HTTP unless a teacher's server removes it (see above).
SERVER_OUTPUT_CAP_BYTES = PROFILES["hardened"].output_cap_bytes


def create_app(
    settings: Settings, pool, health: HealthCheck | None = None, warm=None, classroom: Classroom | None = None
) -> Callable:
    """The whole WSGI application: the Bottle routes behind the Host/Origin guard.

    With a `classroom`, /run and /run/stream need a join code of its class, each student's runs
    are counted against the quotas and queued round-robin, and the teacher's endpoints answer.
    """
    return Guard(build_bottle(settings, pool, health or HealthCheck(), warm, classroom), settings)


def build_bottle(
    settings: Settings, pool, health_check: HealthCheck, warm=None, classroom: Classroom | None = None
) -> Bottle:
    app = Bottle(catchall=True)
    app.default_error_handler = _error_page  # every error, ours or Bottle's, answers JSON
    metrics = Metrics(pool, warm, classroom.fair if classroom else None)

    def json_route(handler):
        def wrapper(*args, **kwargs):
            try:
                status, payload, headers = handler(*args, **kwargs)
            except Refusal as refusal:
                request.environ.setdefault("server.note", f"refused={refusal.reason}")
                metrics.refused(refusal.status, refusal.reason)
                status, payload, headers = refusal.status, refusal.payload(), refusal.headers
            return _json(status, payload, headers)

        wrapper.__name__ = handler.__name__
        return wrapper

    grading = Grading()

    def member(teacher: bool = False) -> Member | None:
        return classroom.member(request.environ, teacher) if classroom is not None else None

    def submit(wanted, limits: Limits, who: Member | None, streamed: bool = False) -> Submitted:
        return _submit(pool, wanted, limits, streamed, classroom, who)

    def note(environ: dict, wanted, result: Result, submitted: Submitted) -> None:
        _note(environ, wanted, result)
        status = str(getattr(result.status, "value", result.status))
        metrics.ended(status, result.stopped_by, result.duration_s)
        metrics.wait.observe(max(0.0, time.monotonic() - submitted.at - result.duration_s))

    @app.post("/run")
    @json_route
    def run_code():
        who = member()
        wanted = parse_run(read_json(request.environ), settings)
        limits = served_limits(wanted.profile, wanted.without, settings)
        check_run_files(wanted.files, limits)
        run = submit(wanted, limits, who)
        try:
            result = _wait(run.future, run.cancel, request.environ)
        except BaseException as exc:  # noqa: BLE001 - _refusal_for answers what it knows, the rest is raised as it is
            raise _refusal_for(exc, limits) from None
        note(request.environ, wanted, result, run)
        return 200, run_payload(result, wanted.profile, wanted.language), {}

    @app.post("/run/stream")
    def run_streamed():
        """The same run as /run, its output as it arrives: newline-delimited JSON events."""
        try:
            who = member()
            wanted = parse_run(read_json(request.environ), settings)
            limits = served_limits(wanted.profile, wanted.without, settings)
            check_run_files(wanted.files, limits)
            run = submit(wanted, limits, who, streamed=True)
        except Refusal as refusal:
            request.environ.setdefault("server.note", f"refused={refusal.reason}")
            metrics.refused(refusal.status, refusal.reason)
            return _json(refusal.status, refusal.payload(), refusal.headers)
        body = _stream(run, wanted, limits, request.environ, note, metrics)
        response = HTTPResponse(body=body, status=200)
        for name, value in (("Content-Type", NDJSON_TYPE), ("Cache-Control", "no-store")):
            response.set_header(name, value)
        return response

    @app.route("/run", method=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
    @json_route
    def run_wrong_method():
        # Answered here, not by the page route, so that GET /run says "use POST" rather than
        # "no such file". OPTIONS is refused too: there is no CORS preflight to pass.
        raise Refusal(405, "method_not_allowed", "Use POST /run with a JSON body.", {"Allow": "POST"})

    @app.post("/grade")
    @json_route
    def grade_submission():
        """A submission graded with the instructor's tests: a class's teacher only (server/grading.py)."""
        if classroom is None:
            raise Refusal(
                404,
                "no_class",
                "Grading over HTTP needs a class and its teacher's code: start the server with --class NAME "
                "(python -m server class new NAME --students N), or grade here with python -m sandbox grade.",
            )
        who = classroom.member(request.environ, teacher=True)
        submission, tests, profile = parse_grade(read_json(request.environ), settings)
        limits = served_limits(profile, (), settings)
        cancel = threading.Event()

        def start_run(code: str, run_limits: Limits, **kw) -> concurrent.futures.Future:
            return classroom.fair.submit(who.who, lambda: pool.submit(code, run_limits, **kw))

        future = grading.submit(submission, tests, limits, start_run, cancel)
        try:
            document = _wait(future, cancel, request.environ)
        except QueueFull as full:
            raise Refusal(429, "busy", str(full), {"Retry-After": str(full.retry_after_s)}) from None
        except BaseException as exc:  # noqa: BLE001 - _refusal_for answers what it knows, the rest is raised as it is
            raise _refusal_for(exc, limits) from None
        request.environ["server.note"] = f"graded score={document['score']}"
        return 200, document, {}

    @app.get("/health")
    @json_route
    def health():
        found = health_report(health_check, pool, warm)
        return (200 if found["ok"] else 503), found, {}

    @app.get("/api/examples")
    @json_route
    def examples():
        return 200, {"examples": [e.to_dict() for e in EXAMPLES]}, {}

    @app.get("/api/config")
    @json_route
    def config():
        return 200, config_report(settings, pool), {}

    @app.get("/api/class/me")
    @json_route
    def whoami():
        """Who a join code belongs to: the page checks a code with this before keeping it."""
        if classroom is None:
            return 200, {"class": None, "who": None, "role": None}, {}
        found = classroom.member(request.environ)
        quotas = {"per_minute": classroom.quotas.per_minute, "at_once": classroom.quotas.at_once}
        return 200, {"class": found.klass, "who": found.who, "role": found.role, "quotas": quotas}, {}

    @app.get("/api/class")
    @json_route
    def class_view():
        """The teacher's view: each student's recent runs and the class's totals (teacher's code)."""
        if classroom is None:
            raise Refusal(404, "no_class", "This server was not started for a class (--class NAME).")
        classroom.member(request.environ, teacher=True)
        return 200, classroom.report(), {}

    @app.get("/metrics")
    def metrics_text():
        if not _loopback(request.environ):
            try:
                if classroom is None:
                    raise Refusal(403, "loopback_only", "/metrics answers only on this machine (127.0.0.1).")
                classroom.member(request.environ, teacher=True)
            except Refusal as refusal:
                metrics.refused(refusal.status, refusal.reason)
                return _json(refusal.status, refusal.payload(), refusal.headers)
        response = HTTPResponse(body=metrics.text(), status=200)
        response.set_header("Content-Type", metrics.content_type)
        response.set_header("Cache-Control", "no-store")
        return response

    @app.get("/openapi.json")
    @json_route
    def openapi():
        return 200, OPENAPI, {}

    @app.get("/")
    def index():
        return static_file("index.html", root=str(settings.web_root))

    @app.get("/<path:path>")
    def files(path):
        # A file of unknown type goes out as plain text, never as Bottle's default text/html.
        known = mimetypes.guess_type(path)[0]
        return static_file(path, root=str(settings.web_root), mimetype=known or "text/plain")

    return app


def served_limits(profile: str, without: tuple[str, ...], settings: Settings) -> Limits:
    """The limits this server runs a request under: the profile, with the server's timeout
    where the profile has one and the hardened output cap, minus the controls in `without`."""
    base = PROFILES[profile]
    if settings.timeout_s is not None and base.timeout_s is not None:
        base = base.replace(timeout_s=settings.timeout_s, name=base.name)
    if base.output_cap_bytes is None:
        base = base.replace(output_cap_bytes=SERVER_OUTPUT_CAP_BYTES, name=base.name)
    return base.without(*without) if without else base


def run_payload(result: Result, profile: str, language: str = DEFAULT_LANGUAGE) -> dict:
    """The seed's contract ({"output"} on success, {"error"} otherwise) plus the whole Result."""
    head = {"output": result.output} if result.ok else {"error": result.message}
    return {**head, **result.to_dict(), "profile": profile, "language": language}


def health_report(health_check: HealthCheck, pool, warm=None) -> dict:
    found = health_check.check()
    idle = warm.stats() if warm is not None else {"idle": 0, "starting": 0, "busy": 0, "size": 0}
    # through a broker (--broker): Redis and the workers that answer; each worker checks its own engine
    broker = {"broker": pool.health()} if hasattr(pool, "health") else {}
    return {
        "ok": found["engine"]["ok"] and found["image"]["ok"] and broker.get("broker", {}).get("ok", True),
        **found,
        **broker,
        "pool": pool.stats(),
        "warm": {key: idle[key] for key in ("idle", "starting", "busy", "size")},
        "removals": removals(),
    }


def config_report(settings: Settings, pool) -> dict:
    return {
        "profiles": list(settings.profiles),
        "default_profile": "hardened",
        "allow_ablation": settings.allow_ablation,
        "controls": [spec.to_dict() for spec in REGISTRY.values()],
        "max_code_chars": MAX_CODE_CHARS,
        "max_stdin_bytes": MAX_STDIN_BYTES,
        # the page checks a file it is given against these before sending it; the server decides
        "files": {"max_files": MAX_FILES, "max_file_bytes": MAX_FILE_BYTES, "max_total_bytes": MAX_TOTAL_BYTES},
        "languages": [
            {"name": name, "title": lang.title, "extension": lang.extension} for name, lang in LANGUAGES.items()
        ],
        "default_language": DEFAULT_LANGUAGE,
        "limits": {p: served_limits(p, (), settings).to_dict() for p in settings.profiles},
        "pool": {"workers": pool.workers, "queue": pool.queue},
        # a class's server asks for a join code before the first run (and sends it as a Bearer token)
        "join_code_required": settings.klass is not None,
    }


class Submitted:
    """A run handed to the pool: its future, its cancel event and its output (filled only when streamed)."""

    def __init__(self, future, cancel: threading.Event, output: queue.Queue[tuple[str, str]]):
        self.future, self.cancel, self.output = future, cancel, output
        self.at = time.monotonic()


def _submit(
    pool, wanted, limits: Limits, streamed: bool = False, classroom: Classroom | None = None, who: Member | None = None
) -> Submitted:
    cancel, output = threading.Event(), queue.Queue[tuple[str, str]]()
    extra: dict = {"on_output": lambda stream, text: output.put((stream, text))} if streamed else {}
    if wanted.files:
        extra["files"] = wanted.files

    def start():
        return pool.submit(wanted.code, limits, cancel=cancel, language=wanted.language, stdin=wanted.stdin, **extra)

    try:
        if classroom is not None and who is not None:
            future = classroom.submit(who, start, wanted.language, wanted.profile)[0]
        else:
            future = start()
    except QueueFull as full:
        raise Refusal(429, "busy", str(full), {"Retry-After": str(full.retry_after_s)}) from None
    except PoolClosed as closed:
        raise Refusal(503, "shutting_down", str(closed)) from None
    except SandboxError as exc:  # through a broker: Redis or every worker gone (sandbox.fleet)
        refusal = _refusal_for(exc, limits)
        if isinstance(refusal, Refusal):
            raise refusal from None
        raise
    return Submitted(future, cancel, output)


def _refusal_for(exc: BaseException, limits: Limits) -> BaseException:
    """The HTTP answer for a run that could not happen (anything else is raised as it is)."""
    if isinstance(exc, (concurrent.futures.CancelledError, PoolClosed)):
        return Refusal(503, "shutting_down", str(PoolClosed("The run was waiting for a worker and was cancelled.")))
    if isinstance(exc, EngineUnavailable):
        return Refusal(503, "engine_unavailable", str(exc))
    if isinstance(exc, ImageMissing):
        return Refusal(503, "image_missing", str(exc))
    if isinstance(exc, RuntimeMissing):
        return Refusal(
            503,
            "runtime_missing",
            f"The {limits.name} profile needs gVisor, which this server's engine does not have. {exc}",
        )
    if isinstance(exc, RunRefused):
        # Not the visitor's fault and not a passing state: retrying the same profile cannot help.
        log.warning("the engine refused a run under %s: %s", limits.name, exc.message)
        return Refusal(
            500,
            "run_refused",
            f"{exc.message} This server's engine cannot apply the "
            f"limits of the {limits.name} profile; whoever runs the server can check it with "
            "'python -m sandbox doctor'.",
        )
    if isinstance(exc, SandboxError) and isinstance(getattr(exc, "reason", None), str):
        # the queue's own (sandbox.fleet): broker_unavailable, no_workers; Retry-After: it passes
        return Refusal(503, exc.reason, str(exc), {"Retry-After": "5"})  # type: ignore[attr-defined]
    if isinstance(exc, SandboxError):
        log.warning("sandbox refused a run: %s", exc)
        return Refusal(503, "sandbox_error", str(exc))
    return exc


def _note(environ: dict, wanted, result: Result) -> None:
    environ["server.note"] = f"language={wanted.language} run={result.status}" + (
        f" stopped_by={result.stopped_by}" if result.stopped_by else ""
    )


def _stream(run: Submitted, wanted, limits: Limits, environ: dict, note, metrics: Metrics) -> Iterator[bytes]:
    """Events, one JSON object a line: output as it arrives, then the Result (or why there is none).

    A quiet run sends a `running` event every HEARTBEAT_S with the seconds since the stream
    began. A client that goes away ends the iteration (waitress closes it on a failed write) or
    is noticed while the run is quiet: either way the run is cancelled or killed at once.
    """
    gone = environ.get("waitress.client_disconnected") or (lambda: False)
    began = last_write = time.monotonic()
    try:
        yield _line({"event": "start", "profile": wanted.profile, "language": wanted.language})
        while True:
            try:
                stream, text = run.output.get(timeout=POLL_S)
                yield _line({"event": "output", "stream": stream, "text": text})
                last_write = time.monotonic()
                continue
            except queue.Empty:
                pass
            if run.future.done() and run.output.empty():
                break
            if time.monotonic() - last_write >= HEARTBEAT_S:
                last_write = time.monotonic()
                yield _line({"event": "running", "seconds": round(last_write - began, 1)})
            if gone():
                environ["server.note"] = "client_gone " + _stop(run.future, run.cancel)
                return
        try:
            result = run.future.result()
        except BaseException as exc:  # noqa: BLE001 - told to the client as the last event
            refusal = _refusal_for(exc, limits)
            if not isinstance(refusal, Refusal):
                log.error("unexpected %s in a streamed run: %s", type(exc).__name__, exc)
                refusal = Refusal(500, "internal_error", GENERIC_500)
            metrics.refused(refusal.status, refusal.reason)
            yield _line({"event": "error", "status": refusal.status, **refusal.payload()})
            return
        note(environ, wanted, result, run)
        yield _line({"event": "result", **run_payload(result, wanted.profile, wanted.language)})
    finally:
        if not run.future.done():
            environ.setdefault("server.note", "client_gone " + _stop(run.future, run.cancel))


# JSON leaves these raw in a string, but str.splitlines() (and some other line readers) split on
# them: one event would arrive as unparsable pieces. JSON already escapes \x0b, \x0c and \x1c-\x1e.
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


def _line(event: dict) -> bytes:
    """One NDJSON line: nothing inside it is a line break to any reader, not even splitlines()."""
    return json.dumps(event, ensure_ascii=False).translate(_LINE_BREAKS).encode("utf-8") + b"\n"


def _wait(future: concurrent.futures.Future[T], cancel: threading.Event, environ: dict) -> T:
    """The run's Result (or a grading's document); when the client has gone (waitress tells us), stop the run at once.

    A run still queued is cancelled and frees its place; a running one is killed through its
    cancel event, so its container dies now rather than at the end of its timeout.
    """
    gone = environ.get("waitress.client_disconnected")
    if gone is None:
        return future.result()
    while True:
        try:
            return future.result(timeout=POLL_S)
        except concurrent.futures.TimeoutError:
            if gone():
                environ["server.note"] = "client_gone " + _stop(future, cancel)
                raise Refusal(499, "client_gone", "The client closed the connection.") from None


def _stop(future: concurrent.futures.Future, cancel: threading.Event) -> str:
    """Cancel or kill the run of a client that left; say which, for the log."""
    cancel.set()
    if future.cancel():
        return "queued run cancelled"
    try:
        ended = future.result(timeout=KILLED_RUN_WAIT_S)
    except concurrent.futures.TimeoutError:
        return "run killed, still ending"
    except Exception as exc:  # noqa: BLE001 - only for the log line: nobody is left to answer
        return f"run killed ({type(exc).__name__})"
    return f"run killed (status {ended.status})"


def _loopback(environ: dict) -> bool:
    return environ.get("REMOTE_ADDR", "") in ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def _json(status: int, payload: dict, headers: dict[str, str]) -> HTTPResponse:
    response = HTTPResponse(body=dumps(payload), status=status)
    for name, value in (*JSON_HEADERS, *headers.items()):
        response.set_header(name, value)
    return response


def _error_page(error: HTTPError) -> bytes:
    """Bottle's errors (no route, wrong method, a crash) as JSON, never a traceback."""
    bottle.response.set_header("Content-Type", JSON_HEADERS[0][1])
    bottle.response.set_header("Cache-Control", "no-store")
    status = error.status_code
    if status >= 500:
        cause = error.exception
        log.error(
            "unexpected %s on %s %s: %s (traceback on stderr)",
            type(cause).__name__,
            request.method,
            request.path,
            cause,
        )
        return dumps({"error": GENERIC_500, "reason": "internal_error"})
    reason = {404: "not_found", 405: "method_not_allowed"}.get(status, "refused")
    message = error.body if isinstance(error.body, str) and error.body else bottle.HTTP_CODES.get(status, "Error")
    return dumps({"error": message, "reason": reason})

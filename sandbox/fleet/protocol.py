"""What travels through the broker, as JSON only: a run's request, its events, its answer.

Nothing here imports Celery or redis-py: the shapes and names are shared by the worker
(`worker.py`) and the server's side (`client.py`), and the unit tests check them without a broker.

A task carries the program, its stdin, its files (base64), its language and the limits' fields;
never a callable, never a pickle. The worker rebuilds `Limits` from those fields, and `Limits`
checks each of them as it always does, so a malformed task is refused like a malformed call.

Keys and channels in Redis (PREFIX `safe-python:`):

    queue                     the Celery queue of runs (a list); its length is the global bound
    events:<id>               pub/sub: started, output, result, error, skipped, for one run
    cancel                    pub/sub: the id of a run whose client left (every worker listens)
    pending:<id>              set by the server while it waits: gone means Redis lost the run
    cancelled:<id>            a flag: a worker that picks that run up later skips it
    attempt:<id>              how many times a worker has started that run
    done:<id>                 the run ended and its answer was published: never run it again
    worker:<name>             each worker's heartbeat (JSON, expires after HEARTBEAT_TTL_S)
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any
from urllib.parse import quote, urlsplit

from sandbox import DEFAULT_LANGUAGE, KILL_GRACE_S, SAFETY_TIMEOUT_S, Limits, SandboxError

PREFIX = "safe-python:"
QUEUE = PREFIX + "queue"
CANCEL = PREFIX + "cancel"
TASK = "safe_python.run"
VERSION = 1
HEARTBEAT_S = 2.0
HEARTBEAT_TTL_S = 10
# Keys about one run live a day: long after any redelivery could happen, short enough to vanish.
RUN_KEY_TTL_S = 24 * 3600
# Between the end of a run's own clock and its answer: the kill's grace, the container's start,
# the harvest of out/ and the publication. A message is redelivered only after the visibility
# timeout, which is this margin more than the longest run a worker takes.
MARGIN_S = 2 * KILL_GRACE_S + 10


class BrokerUnavailable(SandboxError):
    """The broker (Redis) does not answer: runs cannot be queued or answered now."""

    reason = "broker_unavailable"
    hint = "Check that redis-server runs and that --broker names it; the server recovers by itself when it is back."


class NoWorkers(SandboxError):
    """No worker has sent a heartbeat recently: a queued run would wait for nobody."""

    reason = "no_workers"
    hint = "Start one: python -m sandbox worker --broker URL (on each machine with an engine)."


def needs(module: str) -> Any:
    """Import Celery or redis-py, or say which extra brings them."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise SandboxError(
            f"The queue needs {module}, which is not installed.",
            hint="Install the kit's queue extra: pip install -e '.[queue]' (make setup does).",
        ) from None


def events(run_id: str) -> str:
    return f"{PREFIX}events:{run_id}"


def key(kind: str, run_id: str) -> str:
    return f"{PREFIX}{kind}:{run_id}"


def visibility_timeout(max_run_s: float) -> float:
    """The broker's visibility timeout for workers that take runs of at most `max_run_s`:
    always past the run's own clock plus the kill's grace, so a run still going is never
    handed to a second worker."""
    return float(max_run_s) + MARGIN_S


def longest(limits: Limits) -> float:
    """The longest a run under `limits` can last: its timeout, or the kit's safety net without one."""
    return float(limits.timeout_s) if limits.timeout_s is not None else float(SAFETY_TIMEOUT_S)


# -- broker addresses -----------------------------------------------------------------------
def urls(broker: str) -> tuple[str, str]:
    """(Celery's URL, redis-py's URL) for a broker given as redis://, rediss:// or unix://.

    unix:///run/redis.sock (with ?password=... or unix://:PASSWORD@/path) is a unix socket, the
    recommended way on one machine; redis://:PASSWORD@10.0.0.5:6379/0 a private address.
    """
    parts = urlsplit(broker)
    if parts.scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise SandboxError(f"--broker {broker!r} names no host.", hint="e.g. redis://:PASSWORD@10.0.0.5:6379/0")
        return broker, broker
    if parts.scheme in ("unix", "redis+socket"):
        if not parts.path.startswith("/"):
            raise SandboxError(
                f"--broker {broker!r} names no socket path.", hint="e.g. unix:///run/safe-python/redis.sock"
            )
        auth = ""
        if parts.password:
            auth = f"{quote(parts.username or '', safe='')}:{quote(parts.password, safe='')}@"
        query = f"?{parts.query}" if parts.query else ""
        return f"redis+socket://{auth}{parts.path}{query}", f"unix://{auth}{parts.path}{query}"
    raise SandboxError(
        f"--broker {broker!r} is not a Redis address.",
        hint="Use unix:///path/redis.sock or redis://:PASSWORD@HOST:PORT/0.",
    )


# -- the task -------------------------------------------------------------------------------
def limits_fields(limits: Limits) -> dict[str, Any]:
    """The limits as JSON fields (the name included); refuses what JSON cannot carry (mounts)."""
    if limits.mounts:
        raise SandboxError("A run with host mounts cannot go through the queue: the worker's host is another.")
    fields = {f.name: getattr(limits, f.name) for f in dataclasses.fields(limits) if f.name != "mounts"}
    fields["ulimits"] = [list(u) for u in limits.ulimits] if limits.ulimits is not None else None
    fields["cap_add"] = list(limits.cap_add)
    return fields


def limits_from(fields: dict[str, Any]) -> Limits:
    """Limits rebuilt from `limits_fields`, each field checked by Limits itself."""
    if not isinstance(fields, dict) or "mounts" in fields:
        raise SandboxError("The task's limits are not a plain object of fields.")
    name = fields.get("name", "custom")
    known = {f.name for f in dataclasses.fields(Limits)} - {"mounts", "name"}
    unknown = set(fields) - known - {"name"}
    if unknown:
        raise SandboxError(f"The task's limits have unknown fields: {', '.join(sorted(unknown))}.")
    return Limits(**{k: v for k, v in fields.items() if k in known}, name=str(name))


def task(
    run_id: str,
    code: str,
    limits: Limits,
    *,
    language: str = DEFAULT_LANGUAGE,
    stdin: str | bytes | None = None,
    files: dict[str, str | bytes] | None = None,
    streamed: bool = False,
) -> dict[str, Any]:
    """One run as the JSON a worker takes."""
    if isinstance(stdin, bytes):
        stdin_field: dict[str, str] | str = {"base64": base64.b64encode(stdin).decode("ascii")}
    else:
        stdin_field = stdin or ""
    return {
        "v": VERSION,
        "id": run_id,
        "code": code,
        "language": language,
        "stdin": stdin_field,
        "files": {name: _b64(data) for name, data in (files or {}).items()},
        "limits": limits_fields(limits),
        "streamed": streamed,
    }


def run_arguments(message: dict[str, Any]) -> dict[str, Any]:
    """The worker's side: `run()`'s keyword arguments from a task (code and limits included)."""
    if not isinstance(message, dict) or message.get("v") != VERSION:
        raise SandboxError("The task is not a safe-python run of this version.")
    stdin = message.get("stdin", "")
    if isinstance(stdin, dict):
        stdin = base64.b64decode(str(stdin.get("base64", "")), validate=True)
    files = message.get("files") or {}
    if not isinstance(files, dict):
        raise SandboxError("The task's files are not an object of name to base64.")
    return {
        "code": message["code"],
        "limits": limits_from(message["limits"]),
        "language": message.get("language", DEFAULT_LANGUAGE),
        "stdin": stdin,
        "files": {str(n): base64.b64decode(str(d), validate=True) for n, d in files.items()} or None,
    }


def _b64(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def dumps(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


# -- the answer -----------------------------------------------------------------------------
class RemoteResult:
    """A Result as a worker sent it (its `to_dict()`), plus where and how many times it ran.

    It answers what the server reads of a Result (`status`, `ok`, `output`, `message`,
    `stopped_by`, `duration_s`, `to_dict()`); `to_dict()` adds `attempt` (2 or more: the
    broker redelivered the run after its first worker was lost, so the program ran again) and
    `worker`.
    """

    def __init__(self, data: dict[str, Any], attempt: int, worker: str):
        self.data, self.attempt, self.worker = data, attempt, worker

    status = property(lambda self: self.data["status"])
    stopped_by = property(lambda self: self.data.get("stopped_by"))
    duration_s = property(lambda self: float(self.data.get("duration_s") or 0.0))
    message = property(lambda self: self.data.get("message", ""))
    stdout = property(lambda self: self.data.get("stdout", ""))
    stderr = property(lambda self: self.data.get("stderr", ""))
    ok = property(lambda self: self.status == "ok")
    output = property(lambda self: self.stdout + self.stderr)

    def to_dict(self) -> dict[str, Any]:
        return {**self.data, "attempt": self.attempt, "worker": self.worker}

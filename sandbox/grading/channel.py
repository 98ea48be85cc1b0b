"""The narrow channel between the trusted runner (here, on the host) and the student's sandbox.

A sandbox run answers one test's calls, or several tests' calls each in a child process of its
own (the first, shared run of a suite; see grader.py). Into the container go the submission (a
file, `submission.py`), the program below (the kit's, as the run's code) and, on stdin, the
calls: JSON of `{"token": ..., "calls": [[name, args, kwargs], ...]}` (or `"tests": [[calls,
seconds], ...]`), nothing else. The tests' source, their expected values and the grade never
enter it. Out of it comes one line per call on the program's standard output, `TOKEN KEY JSON`
(KEY: the call's index, or TEST.INDEX), where JSON is `{"value": ...}`, `{"raised": "..."}` or
`{"bad": "..."}` (a value that is not JSON data); the host parses the line into plain data
(dicts, lists, str, numbers, bools, None), so no object of the student's ever reaches the
comparison, and a line the student forges is only an answer it could have returned anyway.

The student's own prints are moved to standard error (file descriptor 1 is kept for the
answers only), so a stray print never looks like an answer. Everything stays bounded: the
calls by the kit's stdin limit (64 KiB), each answer by MAX_ANSWER_CHARS, all of them by the
run's output cap.
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

from sandbox import MAX_STDIN_BYTES

SUBMISSION_FILE = "submission.py"
MAX_ANSWER_CHARS = 32 * 1024
MAX_CALLS = 100  # per test

# The program the sandbox runs: the kit's, trusted only to be a faithful messenger (the student's
# code shares its process and may rewrite it; what it could forge is only its own answers).
HARNESS = r"""
import importlib.util, json, os, sys, time
request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
token = request["token"]
channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)

def clip(text, n=500):
    text = str(text)
    return text if len(text) <= n else text[:n] + "..."

def said(exc):
    try:
        return clip(type(exc).__name__ + (": " + str(exc) if str(exc) else ""))
    except BaseException:
        return type(exc).__name__

def send(key, answer):
    try:
        text = json.dumps(answer, allow_nan=False, ensure_ascii=True)
    except BaseException as exc:
        kind = type(answer.get("value")).__name__
        text = json.dumps({"bad": clip(f"returned a {kind}, which is not JSON data ({said(exc)})")})
    channel.write(f"{token} {key} {text}\n")
    channel.flush()

try:
    spec = importlib.util.spec_from_file_location("submission", "submission.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)
except BaseException as exc:
    send(-1, {"raised": said(exc)})
    channel.close()
    os._exit(0)
send(-1, {"value": None})

def answer(prefix, calls):
    for index, (name, args, kwargs) in enumerate(calls):
        function = getattr(module, name, None)
        if not callable(function):
            send(f"{prefix}{index}", {"bad": "is not a function of the submission"})
            continue
        try:
            result = {"value": function(*args, **kwargs)}
        except BaseException as exc:
            result = {"raised": said(exc)}
        send(f"{prefix}{index}", result)

if "calls" in request:
    answer("", request["calls"])
for number, (calls, seconds) in enumerate(request.get("tests", [])):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            answer(f"{number}.", calls)
        finally:
            os._exit(0)
    deadline = time.monotonic() + seconds
    while not os.waitpid(pid, os.WNOHANG)[0]:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            break
        time.sleep(0.01)
channel.close()
"""


class ChannelError(ValueError):
    """A call the channel cannot carry (its arguments are not JSON data, or too big)."""


Call = tuple[str, tuple[Any, ...], dict[str, Any]]


def request(calls: list[Call]) -> tuple[str, bytes]:
    """(token, the stdin that carries `calls`), or ChannelError."""
    token = secrets.token_hex(8)
    try:
        data = json.dumps(
            {"token": token, "calls": [[n, list(a), k] for n, a, k in calls]}, allow_nan=False, ensure_ascii=True
        ).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise ChannelError(f"a call's arguments must be JSON data (str, numbers, lists, dicts...): {exc}") from exc
    if len(data) > MAX_STDIN_BYTES:
        raise ChannelError(f"the calls' arguments add up to {len(data)} bytes; the channel carries {MAX_STDIN_BYTES}")
    return token, data


def batch_request(tests: list[tuple[list[Call], float]]) -> tuple[str, bytes]:
    """(token, stdin) for several tests' calls in one run, each test in a child process of its own
    with its own deadline (seconds); ChannelError if they do not fit the channel."""
    token = secrets.token_hex(8)
    try:
        data = json.dumps(
            {"token": token, "tests": [[[[n, list(a), k] for n, a, k in calls], s] for calls, s in tests]},
            allow_nan=False,
            ensure_ascii=True,
        ).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise ChannelError(f"a call's arguments must be JSON data: {exc}") from exc
    if len(data) > MAX_STDIN_BYTES:
        raise ChannelError(f"the calls' arguments add up to {len(data)} bytes; the channel carries {MAX_STDIN_BYTES}")
    return token, data


def of_test(found: dict[str, dict[str, Any]], prefix: str = "") -> dict[int, dict[str, Any]]:
    """One test's answers by call index, from answers() keyed "INDEX" (one test) or "TEST.INDEX"."""
    picked = {}
    for key, answer in found.items():
        rest = key[len(prefix) :] if key.startswith(prefix) else ""
        if rest.isdigit():
            picked[int(rest)] = answer
    return picked


def answers(stdout: str, token: str) -> dict[str, dict[str, Any]]:
    """The answers in a run's output by key ("-1": the import; "INDEX"; "TEST.INDEX"), first one kept."""
    found: dict[str, dict[str, Any]] = {}
    prefix = token + " "
    for line in stdout.splitlines():
        if not line.startswith(prefix):
            continue
        parts = line.split(" ", 2)
        if len(parts) != 3 or len(parts[2]) > MAX_ANSWER_CHARS:
            continue
        index = parts[1]
        if not (index == "-1" or all(p.isdigit() and len(p) < 6 for p in index.split(".", 1))):
            continue
        try:
            answer = json.loads(parts[2], parse_constant=_no_constant)
        except (ValueError, RecursionError):
            continue
        if index in found or not isinstance(answer, dict) or len(answer) != 1:
            continue
        key = next(iter(answer))
        if key not in ("value", "raised", "bad") or (key != "value" and not isinstance(answer[key], str)):
            continue
        if key == "value" and not _finite(answer["value"]):
            continue
        found[index] = answer
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON data")


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True

"""Turn the raw facts of a finished container into a status, the control that fired and a message.

Kept apart from the runner so the rules can be unit-tested without an engine. The facts come
from the engine (`State.ExitCode`, `State.OOMKilled`) and from the kit itself (did *we* kill it
for time or for output?), never from exit code 137 alone: 137 only says "SIGKILL", not who sent it.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from . import result as R
from .limits import Limits
from .text import clip


@dataclass(frozen=True)
class Facts:
    exit_code: int | None
    oom_killed: bool
    killed_for: str | None        # "timeout", "output" or "cancel" when the kit killed the run, else None
    by_safety_net: bool           # the kill came from the kit's ceiling, not a control
    stderr: str
    language: str = "python"


@dataclass(frozen=True)
class Verdict:
    status: str
    stopped_by: str | None
    message: str


# Signals a program may die of inside the sandbox, and the control that sends them.
_SIGNAL_CONTROL = {signal.SIGXFSZ: "ulimits"}  # the kit sets RLIMIT_FSIZE, not RLIMIT_CPU
_SIGNAL_MEANING = {
    signal.SIGXFSZ: "file size limit exceeded",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
}

# The errno in a program's last error line, and the control whose refusal it is. Only a control
# that is actually on is named; EPERM is left unnamed because capabilities, seccomp and
# no_new_privileges all answer with it.
_ERROR_CONTROL = (
    (re.compile(r"\[Errno 101\]|Network is unreachable|name resolution|Name or service not known"
                r"|Name does not resolve|gaierror|ENETUNREACH|EAI_AGAIN"), "network"),
    (re.compile(r"\[Errno 30\]|Read-only file system|EROFS"), "read_only"),
    # ENOSPC: the size cap on /tmp and /dev/shm, which belongs to the read_only control.
    (re.compile(r"\[Errno 28\]|No space left on device|ENOSPC"), "read_only"),
    (re.compile(r"can't start new thread"), "pids"),
    (re.compile(r"\[Errno 24\]|Too many open files|EMFILE|\[Errno 27\]|File too large|EFBIG"), "ulimits"),
    (re.compile(r"\[Errno 13\]|Permission denied|EACCES"), "user"),
    (re.compile(r"^MemoryError|heap out of memory"), "memory"),
)

_MAX_MESSAGE = 300


def classify(facts: Facts, limits: Limits) -> Verdict:
    if facts.killed_for == "output":
        return _output_limit(facts, limits)
    if facts.killed_for == "timeout":
        return _timeout(facts, limits)
    if facts.killed_for == "cancel":
        return Verdict(R.KILLED, None, "Cancelled: the caller stopped the run")
    if facts.oom_killed:
        return _memory(limits)
    code = facts.exit_code
    if code == 0:
        return Verdict(R.OK, None, "Exited normally")
    if code is not None and code > 128 and _is_signal(code - 128):
        return _killed(signal.Signals(code - 128), limits)
    return _error(facts, limits)


def _output_limit(facts: Facts, limits: Limits) -> Verdict:
    if facts.by_safety_net:
        return Verdict(R.OUTPUT_LIMIT, R.SAFETY_NET,
                       f"Output limit exceeded ({_bytes(R.SAFETY_OUTPUT_BYTES)}, the kit's safety net)")
    return Verdict(R.OUTPUT_LIMIT, "output_cap",
                   f"Output limit exceeded ({_bytes(limits.output_cap_bytes or 0)})")


def _timeout(facts: Facts, limits: Limits) -> Verdict:
    if facts.by_safety_net:
        return Verdict(R.TIMEOUT, R.SAFETY_NET,
                       f"Execution timed out after {_seconds(R.SAFETY_TIMEOUT_S)} seconds "
                       "(the kit's safety net; the timeout control was off)")
    return Verdict(R.TIMEOUT, "timeout", f"Execution timed out after {_seconds(limits.timeout_s)} seconds")


def _memory(limits: Limits) -> Verdict:
    if limits.memory_mib is None:
        return Verdict(R.MEMORY, None, "Killed by the out-of-memory killer (no memory limit was set)")
    return Verdict(R.MEMORY, "memory", f"Memory limit exceeded ({limits.memory_mib} MiB)")


def _killed(sig: signal.Signals, limits: Limits) -> Verdict:
    control = _SIGNAL_CONTROL.get(sig)
    if control and not limits.is_on(control):
        control = None
    meaning = _SIGNAL_MEANING.get(sig)
    text = f"Killed by {sig.name}" + (f" ({meaning})" if meaning else "")
    return Verdict(R.KILLED, control, text)


def _error(facts: Facts, limits: Limits) -> Verdict:
    line = error_line(facts.stderr, facts.language)
    message = line or f"Exited with code {facts.exit_code}"
    return Verdict(R.ERROR, _control_for_error(line, limits), message)


# Node.js prints the error first, then its stack ("    at ..."), the error's properties and
# "Node.js v18..."; Python prints the stack first and the error last.
_JS_ERROR = re.compile(r"^(Uncaught )?([A-Za-z_$][\w$.]*)?(Error|Exception)\b")


def error_line(stderr: str, language: str = "python") -> str:
    """The one line that says what went wrong, for the language's way of reporting errors."""
    if language == "javascript":
        for line in stderr.splitlines():
            if _JS_ERROR.match(line.strip()):
                return clip(line.strip(), _MAX_MESSAGE)
        lines = [l for l in stderr.splitlines() if not l.strip().startswith(("at ", "Node.js v"))]
        return last_error_line("\n".join(lines))
    return last_error_line(stderr)


def last_error_line(stderr: str) -> str:
    """The last non-blank stderr line: for a Python traceback, `ExceptionType: detail`."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if line:
            return clip(line, _MAX_MESSAGE)
    return ""


# An uncaught EAGAIN under a pids limit is almost always a refused fork or thread. (A
# non-blocking socket's EAGAIN would be misnamed; the kernel's own count, pids.events, vanishes
# with the container's cgroup when it exits, so there is no fact to read instead.)
_EAGAIN = re.compile(r"\[Errno 11\]|Resource temporarily unavailable|EAGAIN")


def _control_for_error(line: str, limits: Limits) -> str | None:
    if _EAGAIN.search(line):
        return "pids" if limits.is_on("pids") else None
    for pattern, control in _ERROR_CONTROL:
        if pattern.search(line):
            return control if limits.is_on(control) else None
    return None


def _is_signal(number: int) -> bool:
    try:
        signal.Signals(number)
    except ValueError:
        return False
    return True


def _seconds(value: float | None) -> str:
    value = value or 0
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bytes(value: int) -> str:
    if value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"{value // (1024 * 1024)} MiB"
    if value >= 1024 and value % 1024 == 0:
        return f"{value // 1024} KiB"
    return f"{value} bytes"

"""How a run ended: the facts of a finished container turned into a status, a control, a message.

The facts come from three places, and only these name a control (`stopped_by`):
- the kit itself: did *we* kill the program, for time, output or a cancel?
- the supervisor's report (sandbox/supervisor.py): the program's real wait status and the
  kernel's counters for the run: an OOM kill, forks the pids limit refused, packets refused
  for want of a route, a scratch mount that filled up;
- the engine (`State.OOMKilled`, the container's exit code), when the supervisor could not
  report because it was killed too.

The program's stderr names no control: a program can print "Network is unreachable" without
ever trying. What its last error line suggests is kept apart, as `hint`. Kept apart from the
runner so the rules can be tested without an engine.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from . import result as R
from .controls import Control
from .languages import DEFAULT_LANGUAGE, LANGUAGES
from .limits import Limits
from .supervisor import Report
from .text import clip


@dataclass(frozen=True)
class Facts:
    report: Report | None  # the supervisor's report (None: it could not report)
    killed_for: str | None  # "timeout", "output" or "cancel" when the kit killed the run
    by_safety_net: bool  # the kill came from the kit's ceiling, not a control
    engine_exit: int | None  # the container's own exit code (the supervisor's)
    engine_oom: bool  # State.OOMKilled: the engine saw an OOM kill in the container
    stderr: str = ""
    language: str = DEFAULT_LANGUAGE
    engine_records_oom: bool = True  # False where OOMKilled stays false after an OOM kill (Podman 4.3)


@dataclass(frozen=True)
class Verdict:
    status: R.Status
    stopped_by: str | None
    message: str
    hint: str | None = None


# Signals the kernel sends for a control's limit, and the control.
_SIGNAL_CONTROL = {signal.SIGXFSZ: Control.ULIMITS, signal.SIGSYS: Control.SECCOMP}
_SIGNAL_MEANING = {
    signal.SIGXFSZ: "the signal of the file size limit",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGSYS: "the signal of a system call the seccomp filter kills for: a 32-bit ABI",
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
}

# What an error line suggests, as a hint only. EPERM is left unnamed: capabilities, seccomp and
# no_new_privileges all answer with it.
_HINTS = (
    (
        re.compile(
            r"\[Errno 101\]|Network is unreachable|name resolution|Name or service not known"
            r"|Name does not resolve|gaierror|ENETUNREACH|EAI_AGAIN"
        ),
        Control.NETWORK,
    ),
    (re.compile(r"\[Errno 30\]|Read-only file system|EROFS"), Control.READ_ONLY),
    (re.compile(r"\[Errno 28\]|No space left on device|ENOSPC"), Control.READ_ONLY),
    (re.compile(r"\[Errno 11\]|Resource temporarily unavailable|EAGAIN|can't start new thread"), Control.PIDS),
    (re.compile(r"\[Errno 24\]|Too many open files|EMFILE|\[Errno 27\]|File too large|EFBIG"), Control.ULIMITS),
    (re.compile(r"\[Errno 13\]|Permission denied|EACCES"), Control.USER),
    (re.compile(r"^MemoryError|heap out of memory"), Control.MEMORY),
)

_MAX_MESSAGE = 300


def classify(facts: Facts, limits: Limits) -> Verdict:
    report = facts.report
    if _kit_took_it(facts, limits):
        return _kit_kill(facts, limits)
    if report is None:
        return _unreported(facts, limits)
    if report.supervisor_error is not None or (report.exit_code is None and report.signal is None):
        return _supervisor_failed(facts, report, limits)
    if report.oom_kills is None and facts.engine_oom and report.exit_code != 0:
        # No cgroup counts inside (gVisor's kernel keeps its own): the engine's record is the fact.
        return _memory(limits, "; the engine recorded the OOM kill (no cgroup counts inside this kernel)")
    if report.signal is not None:
        return _signalled(report, limits)
    if report.exit_code == 0:
        victims = f" (the OOM killer ended {report.oom_kills} of its other processes)" if report.oom_kills else ""
        return Verdict(R.OK, None, "Exited normally" + victims)
    return _error(facts, report, limits)


def _kit_took_it(facts: Facts, limits: Limits) -> bool:
    """Whether the kit's own kill decides the verdict.

    The cap cut the output whether or not the program was still running. A clock or a cancel
    counts unless a working supervisor shows the program ended on its own first, and for the
    clock, before the deadline: a program that outlived it is a timeout whatever else the
    report says, and a supervisor that failed or said nothing never turns a kill into anything
    the program chose.
    """
    report = facts.report
    if facts.killed_for is None:
        return False
    if facts.killed_for == "output" or report is None or report.killed:
        return True
    if report.supervisor_error is not None or (report.exit_code is None and report.signal is None):
        return True
    if facts.killed_for == "timeout":
        timeout = limits.timeout_s or R.SAFETY_TIMEOUT_S
        return report.elapsed_s is None or report.elapsed_s >= timeout
    return False


def _supervisor_failed(facts: Facts, report: Report, limits: Limits) -> Verdict:
    """The supervisor reported its own failure: what the program did is unknown, so the verdict
    is an error in the kit's words; what its stderr suggests stays a hint."""
    why = report.supervisor_error or "it reported no exit status"
    return Verdict(
        R.ERROR,
        None,
        clip(
            f"The kit's supervisor failed ({why}); the program's exit status and "
            "the kernel's counters for the run are unknown",
            _MAX_MESSAGE,
        ),
        _hint(facts, limits),
    )


def _kit_kill(facts: Facts, limits: Limits) -> Verdict:
    if facts.killed_for == "cancel":
        return Verdict(R.KILLED, None, "Cancelled: the caller stopped the run")
    if facts.killed_for == "output":
        if facts.by_safety_net:
            return Verdict(
                R.OUTPUT_LIMIT,
                R.SAFETY_NET,
                f"Output limit exceeded ({_bytes(R.SAFETY_OUTPUT_BYTES)}, the kit's safety net)",
            )
        return Verdict(
            R.OUTPUT_LIMIT, Control.OUTPUT_CAP, f"Output limit exceeded ({_bytes(limits.output_cap_bytes or 0)})"
        )
    if facts.by_safety_net:
        return Verdict(
            R.TIMEOUT,
            R.SAFETY_NET,
            f"Execution timed out after {_seconds(R.SAFETY_TIMEOUT_S)} seconds "
            "(the kit's safety net; the timeout control was off)",
        )
    return Verdict(R.TIMEOUT, Control.TIMEOUT, f"Execution timed out after {_seconds(limits.timeout_s)} seconds")


def _unreported(facts: Facts, limits: Limits) -> Verdict:
    """No report: the supervisor itself died (the OOM killer can pick it), or never started."""
    if facts.engine_oom:
        return _memory(limits, "; the supervisor was killed too, so usage is unknown")
    code = facts.engine_exit
    if code == 128 + signal.SIGKILL and not facts.engine_records_oom:
        # Most likely the OOM killer, but nothing recorded it: a hint, never a verdict.
        return Verdict(
            R.ERROR,
            None,
            f"The run ended without the supervisor's report (container exit code {code}, "
            "SIGKILL). This engine does not record OOM kills, so the kit cannot tell whether the "
            "out-of-memory killer sent it",
            str(Control.MEMORY) if limits.is_on(Control.MEMORY) else None,
        )
    return Verdict(
        R.ERROR,
        None,
        f"The run ended without the supervisor's report (container exit code {code})",
        _hint(facts, limits),
    )


def _memory(limits: Limits, note: str = "") -> Verdict:
    if limits.memory_mib is None:
        return Verdict(R.MEMORY, None, "Killed by the out-of-memory killer (no memory limit was set)" + note)
    return Verdict(R.MEMORY, Control.MEMORY, f"Memory limit exceeded ({limits.memory_mib} MiB)" + note)


def _signalled(report: Report, limits: Limits) -> Verdict:
    try:
        sig = signal.Signals(report.signal)  # type: ignore[arg-type]  # called only when the report names one
    except ValueError:
        return Verdict(R.KILLED, None, f"Killed by signal {report.signal}")
    if sig == signal.SIGKILL and report.oom_kills:
        # The kernel records that its OOM killer ended a process of the run, not which one: the
        # program, or a child of it before the program ended by SIGKILL. Either way the memory
        # limit fired, and the message says no more than that.
        return _memory(
            limits,
            f": the out-of-memory killer ended {_processes(report.oom_kills)} of this run, "
            "and the program ended by SIGKILL",
        )
    # The kernel sends SIGXFSZ past the file size limit and SIGSYS for a call the filter kills
    # for, but a program can send either to itself: the signal suggests the control, a hint.
    control = _SIGNAL_CONTROL.get(sig)
    hint = str(control) if control is not None and limits.is_on(control) else None
    meaning = _SIGNAL_MEANING.get(sig)
    return Verdict(R.KILLED, None, f"Killed by {sig.name}" + (f" ({meaning})" if meaning else ""), hint)


def _processes(count: int) -> str:
    return "1 process" if count == 1 else f"{count} processes"


def _error(facts: Facts, report: Report, limits: Limits) -> Verdict:
    line = error_line(facts.stderr, facts.language)
    message = line or f"Exited with code {report.exit_code}"
    return Verdict(R.ERROR, _fired(report, limits), message, _hint(facts, limits))


def _fired(report: Report, limits: Limits) -> Control | None:
    """The control the kernel's counters show refused the program something, if one did."""
    seen = (
        (Control.PIDS, bool(report.forks_refused)),
        (Control.MEMORY, bool(report.oom_kills)),
        (Control.NETWORK, bool(report.no_route)),
        (Control.READ_ONLY, bool(report.scratch_full)),  # the scratch mounts' size is read_only's
    )
    return next((control for control, fired in seen if fired and limits.is_on(control)), None)


def _hint(facts: Facts, limits: Limits) -> str | None:
    line = error_line(facts.stderr, facts.language)
    for pattern, control in _HINTS:
        if pattern.search(line):
            return str(control) if limits.is_on(control) else None
    return None


def error_line(stderr: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The one line that says what went wrong, read the language's way (languages.py)."""
    return LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE]).error_line(stderr)


def _seconds(value: float | None) -> str:
    value = value or 0
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bytes(value: int) -> str:
    if value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"{value // (1024 * 1024)} MiB"
    if value >= 1024 and value % 1024 == 0:
        return f"{value // 1024} KiB"
    return f"{value} bytes"

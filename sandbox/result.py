"""Result: what happened in one run, the kernel's record of it, and the words used to tell it."""

from __future__ import annotations

import binascii
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .limits import Limits


class Status(StrEnum):
    """How a run ended. The JSON and every face show the same strings."""

    OK = "ok"  # exited 0
    ERROR = "error"  # the program failed on its own (non-zero exit, a traceback)
    TIMEOUT = "timeout"  # the host-side clock ran out; the kit killed the program
    MEMORY = "memory"  # the kernel's OOM killer killed the program
    OUTPUT_LIMIT = "output_limit"  # stdout+stderr passed the cap; the kit killed the program
    KILLED = "killed"  # ended by a signal, or cancelled by the caller


OK, ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT, KILLED = Status
STATUSES = tuple(Status)

# A ceiling the kit keeps even when the timeout or output_cap control is removed, so that a run
# can never hang a caller forever or fill the host's memory. It is not a control: lessons remove
# controls to show what happens without them, and this only keeps that demonstration bounded.
SAFETY_TIMEOUT_S = 60.0
SAFETY_OUTPUT_BYTES = 16 * 1024 * 1024
SAFETY_NET = "safety_net"


@dataclass(frozen=True)
class Usage:
    """The kernel's record of one run, read by the kit's supervisor: nothing the program wrote.

    CPU and memory are the whole container's (its cgroup); user and system time are the
    program's and its waited-for children's (wait4). None: this kernel or engine does not keep it.
    """

    cpu_s: float | None = None  # user + system, the whole container
    user_s: float | None = None
    system_s: float | None = None
    peak_mib: float | None = None  # the most memory the container held at once
    # times usage met the limit (cgroup failcnt / events max; some v1 kernels keep 0)
    memory_limit_hits: int | None = None
    oom_kills: int | None = None  # processes the OOM killer killed
    peak_tasks: int | None = None  # the most processes and threads at once
    forks_refused: int | None = None  # forks and thread starts the pids limit refused
    cpu_periods: int | None = None  # CFS periods the container ran in
    throttled_periods: int | None = None  # of those, how many hit the CPU quota
    throttled_s: float | None = None
    no_route: int | None = None  # packets the network stack refused: no route
    scratch_full: tuple[str, ...] = ()  # scratch mounts that filled up (/tmp, /dev/shm)
    stdin_bytes: int | None = None  # how much of its stdin the program took
    wall_s: float | None = None  # the program's own time, from its start to its end

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scratch_full"] = list(self.scratch_full)
        return data


@dataclass(frozen=True)
class OutputFile:
    """A file the program left in out/, as the supervisor harvested it (sandbox/files.py).

    `type` is a MIME type from the name's extension; an image's only when its first bytes are
    that image (a `.png` that is not a PNG is application/octet-stream). SVG is image/svg+xml:
    a face offers it as a download, never inline, since it can hold script.
    """

    name: str  # a relative path below out/, e.g. "figure-1.png" or "tables/a.csv"
    data: bytes = field(repr=False)
    size: int
    type: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "type": self.type,
            "base64": binascii.b2a_base64(self.data, newline=False).decode("ascii"),
        }


@dataclass
class Result:
    """The outcome of `sandbox.run`.

    >>> from sandbox import run
    >>> r = run("print(2 + 2)")  # doctest: +ENGINE
    >>> r.status, r.stdout, r.stopped_by, r.usage.peak_mib > 0  # doctest: +ENGINE
    (<Status.OK: 'ok'>, '4\\n', None, True)

    `stopped_by` names a control only from facts: the kernel's counters (refused forks, an OOM
    kill, packets with no route, a full scratch space) or the kit's own kill (timeout, output
    cap). `hint` is a guess, labelled as such: from the program's last error line (the program
    writes stderr and could write anything there) or from a signal such as SIGXFSZ or SIGSYS,
    which the kernel sends for a limit but the program can also send itself.

    `files` are what the program left in out/, by name; `files_refused` what was there and
    did not come back, as (name, reason), the name escaped; `files_unexamined` counts the
    entries past the harvest's bound that were not looked at. Neither changes the status.
    """

    status: Status
    stdout: str
    stderr: str
    exit_code: int | None
    duration_s: float
    limits: Limits
    timed_out: bool = False
    oom_killed: bool = False  # the program itself was killed by the OOM killer
    truncated: bool = False
    stopped_by: str | None = None  # the control that fired (a Control), the safety net, or None
    message: str = ""  # one human line: why it ended
    container_id: str = ""  # short id, for `docker` commands while debugging
    signal: str | None = None  # the signal that ended the program ("SIGKILL"), if one did
    hint: str | None = None  # the control its error text points at: a guess, not a fact
    usage: Usage | None = None  # None when the supervisor could not report (it was killed)
    files: dict[str, OutputFile] = field(default_factory=dict)
    files_refused: tuple[tuple[str, str], ...] = ()
    files_unexamined: int = 0

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def output(self) -> str:
        """stdout then stderr, the way a terminal would show them."""
        return self.stdout + self.stderr

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the limits' description and the controls in force."""
        return {
            "status": str(self.status),
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "duration_s": round(self.duration_s, 3),
            "timed_out": self.timed_out,
            "oom_killed": self.oom_killed,
            "truncated": self.truncated,
            "stopped_by": str(self.stopped_by) if self.stopped_by else None,
            "hint": str(self.hint) if self.hint else None,
            "message": self.message,
            "usage": self.usage.to_dict() if self.usage else None,
            "container_id": self.container_id,
            "limits": self.limits.to_dict(),
            "files": [f.to_dict() for f in self.files.values()],
            "files_refused": [{"name": name, "reason": reason} for name, reason in self.files_refused],
            "files_unexamined": self.files_unexamined,
        }

"""Result: what happened in one run, and the words used to tell it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .limits import Limits

class Status(StrEnum):
    """How a run ended. The JSON and every face show the same strings."""

    OK = "ok"                      # exited 0
    ERROR = "error"                # the program failed on its own (non-zero exit, a traceback)
    TIMEOUT = "timeout"            # the host-side clock ran out; the kit killed the container
    MEMORY = "memory"              # the kernel's OOM killer fired inside the memory limit
    OUTPUT_LIMIT = "output_limit"  # stdout+stderr passed the cap; the kit killed the container
    KILLED = "killed"              # ended by a signal the program did not raise itself, or cancelled


OK, ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT, KILLED = Status
STATUSES = tuple(Status)

# A ceiling the kit keeps even when the timeout or output_cap control is removed, so that a run
# can never hang a caller forever or fill the host's memory. It is not a control: lessons remove
# controls to show what happens without them, and this only keeps that demonstration bounded.
SAFETY_TIMEOUT_S = 60.0
SAFETY_OUTPUT_BYTES = 16 * 1024 * 1024
SAFETY_NET = "safety_net"


@dataclass
class Result:
    """The outcome of `sandbox.run`.

    >>> from sandbox import run
    >>> r = run("print(2 + 2)")        # doctest: +SKIP
    >>> r.status, r.stdout, r.stopped_by
    ('ok', '4\\n', None)
    """

    status: Status
    stdout: str
    stderr: str
    exit_code: int | None
    duration_s: float
    limits: Limits
    timed_out: bool = False
    oom_killed: bool = False
    truncated: bool = False
    stopped_by: str | None = None   # the control that fired (a Control), the safety net, or None
    message: str = ""               # one human line: why it ended
    container_id: str = ""          # short id, for `docker` commands while debugging

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
            "duration_s": round(self.duration_s, 3),
            "timed_out": self.timed_out,
            "oom_killed": self.oom_killed,
            "truncated": self.truncated,
            "stopped_by": str(self.stopped_by) if self.stopped_by else None,
            "message": self.message,
            "container_id": self.container_id,
            "limits": self.limits.to_dict(),
        }

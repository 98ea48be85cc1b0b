"""The host's side of the supervisor: the container's command, the run it is handed, its report.

sandbox/inside/supervisor.py is process 1 of every run. It waits on its stdin for the run (a
one-off secret, how to harvest out/, the program's argv, its files, the program's stdin),
writes the files, starts the program, and at the end writes one line on stdout that begins
with the secret: the kernel's records of the run and the files harvested from out/. The
program never sees the secret, so it can neither forge that line nor hide it in its output.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .files import HARVEST_SAFE

SOURCE = (Path(__file__).resolve().parent / "inside" / "supervisor.py").read_text(encoding="utf-8")
# -S: no site module (the supervisor needs none, and it saves start-up time); -B: writes nothing.
COMMAND = ("python3", "-I", "-S", "-B", "-c", SOURCE)
MAGIC = b"SAFE-PYTHON/2"  # /2: the header carries the harvest mode and the files
KILL = b"k"  # the kit's word for "kill every process and report"
MAX_STDIN_BYTES = 64 * 1024


def new_secret() -> bytes:
    return secrets.token_hex(16).encode("ascii")


def delivery(
    secret: bytes,
    argv: list[str],
    stdin: bytes,
    files: Sequence[tuple[bytes, bytes]] = (),
    harvest: bytes = HARVEST_SAFE,
) -> bytes:
    """What the supervisor reads: the header line `MAGIC secret HARVEST NARGV NFILES size...`,
    then the argv items, each file's name and content, and the stdin, back to back."""
    parts = [arg.encode("utf-8") for arg in argv] + [b for pair in files for b in pair] + [stdin]
    header = [MAGIC, secret, harvest, str(len(argv)).encode(), str(len(files)).encode()]
    return b" ".join(header + [str(len(p)).encode() for p in parts]) + b"\n" + b"".join(parts)


@dataclass(frozen=True)
class Report:
    """The supervisor's report: how the program ended, and the kernel's counters for the run."""

    exit_code: int | None = None  # the program's own exit status, if it exited
    signal: int | None = None  # the signal that ended it, if one did
    killed: bool = False  # the kit's kill ended it (it was still running)
    elapsed_s: float | None = None  # from its start to its end, inside the container
    user_s: float | None = None  # wait4's rusage of the program and the children it reaped
    system_s: float | None = None
    stdin_bytes: int | None = None
    survivors: int | None = None  # processes the supervisor could not kill (another uid)
    cgroup: int | None = None  # 1 or 2
    cpu_s: float | None = None  # the whole container's CPU time
    memory_peak_bytes: int | None = None
    memory_limit_hits: int | None = None
    oom_kills: int | None = None
    tasks_peak: int | None = None
    forks_refused: int | None = None
    cpu_periods: int | None = None
    cpu_throttled: int | None = None
    cpu_throttled_s: float | None = None
    no_route: int | None = None  # packets the network stack refused for want of a route
    scratch_full: tuple[str, ...] = ()  # /tmp or /dev/shm with no free block left
    supervisor_error: str | None = None
    unread: tuple[str, ...] = ()  # facts the supervisor could not read
    files: tuple[Any, ...] = ()  # [name, base64] of each file harvested from out/
    files_refused: tuple[Any, ...] = ()  # [escaped name, reason] of each entry left there
    files_unexamined: int | None = None  # entries past the harvest's bound

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**values)


def parse_report(raw: bytes) -> Report | None:
    """The report line that followed the secret, or None if it is missing or malformed."""
    line = raw.split(b"\n", 1)[0]
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1:
        return None
    try:
        return Report.from_json(data)
    except TypeError:
        return None

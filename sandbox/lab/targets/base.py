"""A target: anything that runs a program and says what came of it.

The protocol is one method, `run(code, stdin, timeout_s)` (the time limit asked for, which a
target with limits of its own may ignore), which gives back a `TargetRun`: what the program
wrote (stdout, stderr), how it ended (an exit status, whether the target's clock stopped it) and
the wall time the harness measured around it. Nothing more is asked of a sandbox to be audited;
the attacks' own `ATTACK_REPORT` lines carry the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sandbox.text import clip

# How long the harness waits for any one run, whatever the target: an attack ends in under 20
# seconds on its own, so a target still busy after this has no clock of its own.
HARNESS_BOUND_S = 60.0
# The most of a run's output the harness keeps (an attack writes at most 10 MB).
OUTPUT_CAP = 12 * 1024 * 1024


@dataclass(frozen=True)
class TargetRun:
    """What a target said of one run."""

    stdout: str
    stderr: str
    exit_code: int | None  # None: the target gave none (an HTTP runner's error, the harness's kill)
    duration_s: float  # measured by the harness around the whole call
    timed_out: bool = False  # the target says its clock ended the run
    harness_killed: bool = False  # the harness ended it after HARNESS_BOUND_S: the target did not
    failure: str | None = None  # the target could not run it at all (not the program's doing)

    @property
    def ended(self) -> str:
        """How the run ended, in a few words."""
        if self.failure:
            return f"the target failed: {clip(self.failure, 160)}"
        if self.harness_killed:
            return f"still running after the harness's {HARNESS_BOUND_S:.0f} s bound, ended by the harness"
        parts = [f"exit {self.exit_code}" if self.exit_code is not None else "no exit status"]
        if self.timed_out:
            parts.append("stopped by the target's clock")
        return ", ".join(parts) + f" after {self.duration_s:.1f} s"


class Target(Protocol):
    """Anything that runs code: `label` names it in the report, `kind` says how it is reached."""

    label: str
    kind: str  # "kit", "docker-run", "http", "command"

    def run(self, code: str, stdin: str | None = None, timeout_s: float = 10) -> TargetRun: ...


def run_process(
    argv: list[str],
    data: bytes,
    bound_s: float = HARNESS_BOUND_S,
    env: dict[str, str] | None = None,
    on_bound: Callable[[], None] | None = None,
) -> tuple[bytes, bytes, int | None, float, bool]:
    """Run argv with `data` on its stdin, in a session of its own; (stdout, stderr, status,
    seconds, killed by the bound). On the bound it gets SIGTERM (so that it can remove what it
    started), then SIGKILL ten seconds later."""
    started = time.monotonic()
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
    except OSError as exc:
        raise TargetFailed(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
    killed = False
    try:
        out, err = child.communicate(data, timeout=bound_s)
    except subprocess.TimeoutExpired:
        killed = True
        if on_bound:
            on_bound()
        _signal(child, signal.SIGTERM)
        try:
            out, err = child.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            _signal(child, signal.SIGKILL)
            out, err = child.communicate()
    return out[:OUTPUT_CAP], err[:OUTPUT_CAP], child.returncode, time.monotonic() - started, killed


def _signal(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(child.pid, sig)  # its own session: this reaches only what it started
    except ProcessLookupError:
        pass


class TargetFailed(Exception):
    """The target could not run the program at all (not a verdict on the program)."""


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace")

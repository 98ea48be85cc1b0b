"""The demo's steps: a presenter's walk through the sandbox, with no network needed.

`python -m sandbox demo` (sandbox/cli/demo.py) presents them: ENTER runs the next step, q
quits, --auto runs unattended.

Steps: hello world; an infinite loop (timeout); a memory hog (memory); a network call
(network); a fork bomb (pids); then one escape route opened by a misconfiguration, the host's
Docker socket mounted into the container, shown with a harmless read-only question to the engine.

Every run goes through `sandbox.run`, which removes its container in every path, Ctrl+C included;
this module only chooses the programs and what each should end with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox import Limits, Mount

from . import examples

SOCKET_IN_CONTAINER = "/var/run/docker.sock"

# Asks the engine one read-only question through its socket; never changes anything.
ASK_THE_ENGINE = f"""\
# Is the host's Docker Engine reachable from inside? Ask it one read-only question.
import json, socket

s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect({SOCKET_IN_CONTAINER!r})
s.sendall(b"GET /version HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n")
reply = b""
while chunk := s.recv(4096):
    reply += chunk
version = json.loads(reply.split(b"\\r\\n\\r\\n", 1)[1])
print("the host's Docker Engine answered: version", version["Version"])
print("through it, this program could start a privileged container holding the host's disk")
"""


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    code: str
    expect: str  # the status this step should end with
    control: str | None  # the control expected to fire (None: no control, by design)
    why: str  # one line for the audience
    adjust: Callable[[Limits], Limits] = field(default=lambda limits: limits)
    needs_socket: bool = False
    promise: str = ""  # the agenda's words, where status and control say too little
    hint: str | None = None  # a control only the error text points at (no kernel fact)

    def limits(self, profile: Limits, socket_path: str | None) -> Limits:
        limits = self.adjust(profile)
        if self.needs_socket and socket_path:
            limits = limits.replace(mounts=(Mount(socket_path, SOCKET_IN_CONTAINER, read_only=True),))
        return limits

    def expectation(self, limits: Limits) -> tuple[str, str | None, str | None] | None:
        """(status, control, hint) this step promises under `limits`, or None when its control is off."""
        for control in (self.control, self.hint):
            if control is not None and not limits.is_on(control):
                return None
        return self.expect, self.control, self.hint


def _example_step(name: str, why: str) -> Step:
    ex = examples.get(name)
    return Step(ex.name, ex.title, ex.code, ex.expect, ex.control, why)


def _as_root(limits: Limits) -> Limits:
    return limits.without("user")


STEPS: tuple[Step, ...] = (
    _example_step("hello", "Ordinary code runs normally: the limits cost nothing to a well-behaved program."),
    _example_step(
        "infinite_loop",
        "The clock runs on the host; when it runs out the kit kills and removes "
        "the container (a timeout on the docker client alone would not).",
    ),
    _example_step(
        "memory_hog",
        "The kernel's OOM killer fires inside the container's memory cgroup, "
        "not on the host; swap equals memory, so nothing spills over.",
    ),
    _example_step(
        "network_call",
        "There is no network interface but loopback: the name does not even resolve, and no packet leaves.",
    ),
    _example_step(
        "fork_bomb",
        "The pids cgroup caps processes and threads: the next fork gets "
        "EAGAIN instead of filling the host's process table.",
    ),
    Step(
        "socket_absent",
        "Escape route, part 1: ask the host's Docker Engine (no socket mounted; given root)",
        ASK_THE_ENGINE,
        "error",
        None,
        "Given root (the user control removed): with no socket mounted there is nothing to talk to.",
        adjust=_as_root,
        promise="error: nothing to connect to",
    ),
    Step(
        "socket_root",
        "Escape route, part 2: the same, with the Docker socket mounted (given root)",
        ASK_THE_ENGINE,
        "ok",
        None,
        "A mounted socket is the engine's front door: dropped capabilities, seccomp and no-new-privileges "
        "do not matter, since the engine acts outside the sandbox. Never mount it.",
        adjust=_as_root,
        needs_socket=True,
        promise="ok: it reaches the host's engine (the escape works)",
    ),
    Step(
        "socket_runner",
        "Escape route, part 3: the socket still mounted, as the non-root runner",
        ASK_THE_ENGINE,
        "error",
        None,
        "Honestly: here the non-root user alone blocks it (the socket is open only to root and the "
        "docker group): EACCES, which the kernel does not count, so the kit only hints at the user "
        "control. One more mistake and the door is open.",
        needs_socket=True,
        hint="user",
        promise="error: EACCES (the user control, by its error text)",
    ),
)


@dataclass
class StepOutcome:
    step: Step
    status: str = "unfinished"  # until the run returns: what an interrupted step shows
    stopped_by: str | None = None
    duration_s: float = 0.0
    message: str = ""
    hint: str | None = None
    expected: tuple[str, str | None, str | None] | None = None

    @property
    def as_expected(self) -> bool | None:
        if self.status in ("skipped", "unfinished") or self.expected is None:
            return None
        status, control, hint = self.expected
        return (self.status, self.stopped_by) == (status, control) and (hint is None or self.hint == hint)

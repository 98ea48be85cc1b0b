"""The targets the kit ships: its own profiles, a `docker run` command line, an HTTP runner
speaking the seed's contract, any command speaking JSON, and the two peers from PyPI.

    >>> from sandbox.lab.targets import parse
    >>> parse("docker-run:seed").label
    'docker-run:seed'
    >>> parse("command:./my-sandbox --json").argv
    ['./my-sandbox', '--json']
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import PROFILES, Limits, SandboxError, engine, run

from ..errors import TargetError
from .base import HARNESS_BOUND_S, OUTPUT_CAP, TargetFailed, TargetRun, run_process, text

# The seed's own `docker run` line: its limits, its network, its read-only root, a non-root user.
SEED_FLAGS = "--memory 128m --memory-swap 128m --network none --pids-limit 64 --cpus 0.5 --read-only --user 65534"
# Every container a docker-run target starts carries this label, with the harness's pid, so that
# what a killed harness left can be found; each is also removed by its name after its run.
AUDIT_LABEL = "org.safe-python.audit"
ROOT = Path(__file__).resolve().parents[3]
PEERS_DIR = Path(os.environ.get("SANDBOX_PEERS_DIR") or ROOT / ".venv-peers")
ADAPTERS_DIR = ROOT / "peers"
# The peers: their package on PyPI, the adapter script that wraps them in the command protocol.
PEERS = {
    "epicbox": ("epicbox", "epicbox_target.py"),
    "llm-sandbox": ("llm_sandbox", "llm_sandbox_target.py"),
}


@dataclass
class KitTarget:
    """One of the kit's profiles, run through `sandbox.run`: verdicts rest on the kernel's facts."""

    profile: str
    kind: str = "kit"

    @property
    def label(self) -> str:
        return f"kit:{self.profile}"

    @property
    def limits(self) -> Limits:
        return PROFILES[self.profile]

    def run(self, code: str, stdin: str | None = None, timeout_s: float = 10) -> TargetRun:
        started = time.monotonic()
        try:
            limits = self.limits.replace(timeout_s=timeout_s) if self.limits.is_on("timeout") else self.limits
            result = run(code, limits, stdin=stdin)
        except SandboxError as exc:
            return TargetRun("", "", None, time.monotonic() - started, failure=str(exc))
        return TargetRun(result.stdout, result.stderr, result.exit_code, result.duration_s, timed_out=result.timed_out)


@dataclass
class DockerRunTarget:
    """`docker run --rm -i FLAGS IMAGE python3 -`: the program on the container's stdin, as the
    seed ran it. The image is the kit's, so that the flags are all that differs."""

    flags: list[str]
    name: str = ""
    image: str = ""
    kind: str = "docker-run"
    bound_s: float = HARNESS_BOUND_S

    @property
    def label(self) -> str:
        return self.name or "docker-run:" + shlex.join(self.flags)

    def run(self, code: str, stdin: str | None = None, timeout_s: float = 10) -> TargetRun:
        # The program comes on stdin (`python3 -`), so it has no stdin of its own, as in the seed.
        container = f"safe-python-audit-{os.getpid()}-{secrets.token_hex(4)}"
        argv = ["docker", "run", "--rm", "-i", "--name", container, "--label", f"{AUDIT_LABEL}={os.getpid()}"]
        argv += [*self.flags, self.image or engine.IMAGE, "python3", "-"]
        try:
            out, err, status, seconds, killed = run_process(
                argv, code.encode("utf-8"), self.bound_s, on_bound=lambda: remove_container(container)
            )
        except TargetFailed as exc:
            return TargetRun("", "", None, 0.0, failure=str(exc))
        finally:
            remove_container(container)
        if status == 125:  # docker's own refusal (a bad flag, no image): not the program's doing
            return TargetRun(text(out), text(err), status, seconds, failure=text(err).strip() or "docker run: 125")
        return TargetRun(text(out), text(err), status, seconds, harness_killed=killed)


def remove_container(name: str) -> None:
    """Remove a container the harness started, by its name, whether or not it still exists."""
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60, check=False)


@dataclass
class HttpTarget:
    """Any server speaking the seed's contract: POST {"code"} to URL, answered with {"output"}
    or {"error"}. Where the answer carries more (the kit's server adds stdout, stderr, exit_code
    and status), the harness reads it."""

    url: str
    kind: str = "http"

    @property
    def label(self) -> str:
        return f"http:{self.url}"

    def run(self, code: str, stdin: str | None = None, timeout_s: float = 10) -> TargetRun:
        body = {"code": code} if stdin is None else {"code": code, "stdin": stdin}
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=HARNESS_BOUND_S) as response:
                raw = response.read(OUTPUT_CAP)
        except urllib.error.HTTPError as exc:  # the seed answers a failed program with an error status
            raw = exc.read(OUTPUT_CAP)
        except (urllib.error.URLError, OSError) as exc:
            return TargetRun("", "", None, time.monotonic() - started, failure=f"{self.url}: {exc}")
        seconds = time.monotonic() - started
        try:
            answer = json.loads(raw)
        except ValueError:
            return TargetRun("", "", None, seconds, failure=f"{self.url} did not answer with JSON")
        if not isinstance(answer, dict) or not ({"output", "error"} & set(answer)):
            return TargetRun("", "", None, seconds, failure=f"{self.url}: neither output nor error in the answer")
        stdout = answer.get("stdout", answer.get("output") or "")
        stderr = answer.get("stderr", answer.get("error") or "")
        status = answer.get("exit_code", 0 if "output" in answer else None)
        timed_out = answer.get("status") == "timeout" or bool(answer.get("timed_out"))
        return TargetRun(str(stdout), str(stderr), status, seconds, timed_out=timed_out)


@dataclass
class CommandTarget:
    """Any command that reads one JSON request on stdin and prints one JSON answer (docs/audit.md):
    {"code", "stdin", "timeout_s", "image"} in; {"stdout", "stderr", "exit_code", "timed_out"} or
    {"error"} out."""

    argv: list[str]
    name: str = ""
    kind: str = "command"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or "command:" + shlex.join(self.argv)

    def run(self, code: str, stdin: str | None = None, timeout_s: float = 10) -> TargetRun:
        request = {"code": code, "stdin": stdin, "timeout_s": timeout_s, "image": engine.IMAGE}
        try:
            out, err, status, seconds, killed = run_process(
                self.argv, json.dumps(request).encode(), env={**os.environ, **self.env}
            )
        except TargetFailed as exc:
            return TargetRun("", "", None, 0.0, failure=str(exc))
        if killed:
            return TargetRun("", text(err), None, seconds, harness_killed=True)
        try:
            answer = json.loads(out)
        except ValueError:
            tail = text(err).strip().splitlines()[-1:] or [f"exit {status}"]
            return TargetRun("", text(err), None, seconds, failure=f"no JSON answer ({tail[0]})")
        if not isinstance(answer, dict) or "error" in answer:
            failure = answer.get("error") if isinstance(answer, dict) else "the answer is not a JSON object"
            return TargetRun("", text(err), None, seconds, failure=str(failure))
        return TargetRun(
            str(answer.get("stdout") or ""),
            str(answer.get("stderr") or ""),
            answer.get("exit_code") if isinstance(answer.get("exit_code"), int) else None,
            seconds,
            timed_out=bool(answer.get("timed_out")),
        )


def peer_version(name: str) -> str | None:
    """The version of a peer's package installed in its environment, or None (not set up)."""
    package = PEERS[name][0]
    found = sorted((PEERS_DIR / name).glob(f"lib/python*/site-packages/{package}-*.dist-info"))
    return found[-1].name[len(package) + 1 : -len(".dist-info")] if found else None


def peer(name: str) -> CommandTarget:
    """A peer from PyPI, run in its own environment through its adapter (a command target)."""
    python = PEERS_DIR / name / "bin" / "python"
    version = peer_version(name)
    if not python.exists() or version is None:
        raise TargetError(
            f"The {name} environment is not set up ({PEERS_DIR / name}).",
            hint="Run `make peers` (part of `make setup`): it builds it from PyPI.",
        )
    return CommandTarget([str(python), str(ADAPTERS_DIR / PEERS[name][1])], name=f"{name} {version}")


def parse(spec: str) -> KitTarget | DockerRunTarget | HttpTarget | CommandTarget:
    """A target from its name on the command line: kit:PROFILE, docker-run:FLAGS (docker-run:seed
    for the seed's own flags), http:URL, command:CMD, epicbox, llm-sandbox."""
    kind, _, rest = spec.partition(":")
    if spec in PEERS:
        return peer(spec)
    if kind == "kit":
        if rest not in PROFILES:
            raise TargetError(f"No kit profile {rest!r}.", hint=f"Profiles: {', '.join(PROFILES)}.")
        return KitTarget(rest)
    if kind == "docker-run":
        if rest.strip() in ("", "seed"):
            return DockerRunTarget(shlex.split(SEED_FLAGS), name="docker-run:seed")
        try:
            flags = shlex.split(rest)
        except ValueError as exc:
            raise TargetError(f"Cannot read the flags {rest!r}: {exc}.") from exc
        if not all(f.startswith("-") or (i and flags[i - 1].startswith("-")) for i, f in enumerate(flags)):
            raise TargetError(
                f"docker-run:{rest}: give flags only; the harness adds the kit's image and `python3 -`.",
            )
        return DockerRunTarget(flags)
    if kind == "http":
        if not rest.startswith(("http://", "https://")):
            raise TargetError(f"http:{rest}: the URL must start with http:// or https://.")
        return HttpTarget(rest)
    if kind == "command":
        try:
            argv = shlex.split(rest)
        except ValueError as exc:
            raise TargetError(f"Cannot read the command {rest!r}: {exc}.") from exc
        if not argv:
            raise TargetError("command: needs a command to run.")
        return CommandTarget(argv)
    raise TargetError(f"{spec!r} is not a target.")

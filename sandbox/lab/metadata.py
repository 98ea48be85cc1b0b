"""An attack's metadata: the `Attack` record, what each of its cases runs under, and the
engine facts that decide which of its expectations apply here.

Read by the catalog (catalog.py loads the files), the staging (staging.py runs a case) and the
judging (judging.py weighs the run); nothing here runs a container.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import PROFILES, Limits, Mount, SandboxError, engine
from sandbox.engine import socket_path as engine_socket_path

from .errors import AttackError
from .verdict import Verdict

HARDENED, NAIVE, GVISOR = PROFILES["hardened"], PROFILES["naive"], PROFILES["gvisor"]

CASES = ("hardened", "ablated", "naive")
# Under another runtime, where the engine has it: hardened through gVisor, and, for the attacks
# whose metadata says what a second kernel changes on its own, the ablated case through gVisor.
RUNTIME_CASES = ("gvisor", "gvisor_ablated")

# In the order the scorecard lists them.
CATEGORIES: dict[str, str] = {
    "cpu": "burning CPU",
    "timeout": "outliving the time limit",
    "memory": "eating memory",
    "processes": "fork and thread bombs",
    "disk": "filling or changing the filesystem",
    "output": "flooding the output",
    "harvest": "attacking what comes back from out/",
    "files": "exhausting file descriptors",
    "network": "reaching the network",
    "info": "reading secrets and host facts",
    "privilege": "becoming more powerful",
    "supervisor": "reaching the supervisor that reports the run",
    "escape": "escape routes opened by a misconfiguration",
}

# Misconfigurations are not controls: no profile has them, a careless deployment adds them.
# An attack that shows one names it in `misconfiguration`; its "ablated" case switches it on.
MISCONFIGURATIONS: dict[str, str] = {
    "privileged": "the container runs with --privileged",
    "docker_socket": "the host's Docker socket is mounted into the container (read-only, which protects nothing)",
    "host_mount": "a host directory is mounted into the container",
    "cap_sys_admin": "the container is given CAP_SYS_ADMIN (--cap-add SYS_ADMIN)",
    "seccomp_unconfined": "the container runs with --security-opt seccomp=unconfined",
    "env_secret": "a secret is passed to the container in an environment variable",
    "cap_sys_ptrace": "the container is given CAP_SYS_PTRACE (--cap-add SYS_PTRACE)",
}

# Where the attack looks for the engine's socket inside the container, and where the engine
# listens on a host by default.
DOCKER_SOCKET = "/var/run/docker.sock"


@dataclass(frozen=True)
class Attack:
    """One attack's metadata, read from its file without running it."""

    name: str
    title: str
    category: str
    control: str | None  # the control that stops it (None for a misconfiguration)
    misconfiguration: str | None  # the misconfiguration it shows (None for a control)
    given: tuple[str, ...]  # controls removed in the hardened and ablated cases alike
    timeout: float  # the timeout control's value wherever that control is on
    hardened: str  # expected outcome under the hardened case, in words
    ablated: str  # expected outcome with the control removed / misconfiguration on
    explain: str  # one paragraph for learners
    expect: dict[str, dict]  # machine-checked facts per case (see `check_expectations`)
    needs: tuple[str, ...]
    not_applicable: str | None  # why this engine cannot show it (never counted), else None
    image: str = "python"  # the kit image it runs in (see sandbox/images.py)
    known_limit: dict = field(default_factory=dict)  # {"cgroup": "1", "why": ...}: not contained there
    companion: str | None = None  # a program run beside it under the same limits (a neighbour)
    only_on: dict = field(default_factory=dict)  # {"architecture": "x86_64"}: the engine it needs
    # Where engines differ: [{"docker_from": "25", "why": ..., "expect": {case: facts},
    # "not_applicable": true}]; the first entry the engine in use matches applies. "podman_from"
    # names Podman's versions the same way (an entry may name both); "known_limit": why hardened
    # does not contain it on that engine.
    engines: tuple[dict, ...] = ()
    # What differs when gVisor's kernel answers: {"why": ..., "expect": facts of the gvisor case}.
    # Without it, the gvisor case must show exactly the hardened case's facts. Its "ablated"
    # entry, {"verdict", "why", "expect"}, runs the ablated case through gVisor too.
    gvisor: dict = field(default_factory=dict)
    # Report fields whose value is the run's own (an address the engine assigned, a planted
    # canary, the engine's version): the report across engines does not count them as differences.
    varies: tuple[str, ...] = ()
    # The supervisor's record of an escape: Usage fields and what each is when the attack got what
    # it wanted ({"forks_refused": 0, "peak_tasks": {"min": 200}}). Where the run kept them all,
    # they decide the verdict, not the program's report.
    escape_record: dict = field(default_factory=dict)
    # What came back from out/ when the attack got what it wanted ({"contains": {"leak": "CANARY"}},
    # {"missing": ["result.txt"]}, {"host_refused": {"min": 1}}): the kit's facts (`result.files`,
    # `files_refused`), never the program's, decide the verdict (judging.judge_on_files). One dict
    # of facts per way the escape can end (the metadata gives a list where there are several).
    escape_files: tuple[dict, ...] = ()
    # A network attack that can judge a target the kit does not control without sending a packet
    # (from interfaces, routes, resolvers and socket creation only): what it judges from, in words.
    # Its program does so when the harness sets ATTACK_MODE = "foreign" (sandbox/lab/targets).
    foreign: str | None = None
    source: str = field(repr=False, default="")
    path: Path = field(repr=False, default=Path())

    @property
    def applicable(self) -> bool:
        return self.not_applicable is None and self.not_here() is None

    def not_here(self) -> str | None:
        """Why the engine in use cannot show this attack (its `only_on`, or an `engines` entry
        that says so), or None."""
        wanted = self.only_on.get("architecture")
        if wanted and engine_architecture() != wanted:
            return f"needs an {wanted} engine; this one is {engine_architecture()}"
        variant = self.on_this_engine()
        if variant and variant.get("not_applicable"):
            return f"on {engine_kind_name().capitalize()} {engine_version_text()}: {variant['why']}"
        return None

    def why_not_applicable(self) -> str | None:
        """Why this attack cannot apply here: its own `not_applicable`, or the engine's reason."""
        return self.not_applicable or self.not_here()

    def on_this_engine(self) -> dict | None:
        """The `engines` entry the engine in use matches, or None: a `docker_from` entry matches
        Docker from that version on, a `podman_from` entry Podman from that version on."""
        name = engine_kind_name()
        for variant in self.engines:
            since = variant.get(f"{name}_from")
            if since is not None and engine_version() >= parse_version(since):
                return variant
        return None

    def expected(self, case: str) -> dict | None:
        """The facts a case must show on the engine in use (an `engines` entry may restate them)."""
        if case == "gvisor":
            return self.gvisor["expect"] if "expect" in self.gvisor else self.expected("hardened")
        if case == "gvisor_ablated":
            return self.gvisor.get("ablated", {}).get("expect")
        variant = self.on_this_engine() if self.engines else None
        if variant and case in variant.get("expect", {}):
            return variant["expect"][case]
        return self.expect.get(case)

    @property
    def limit_here(self) -> str | None:
        """Why hardened does not contain this attack on the engine in use (a known limit), or None."""
        variant = self.on_this_engine() if self.engines else None
        if variant and variant.get("known_limit"):
            return variant["known_limit"]
        cgroup = self.known_limit.get("cgroup")
        if not self.known_limit or (cgroup and engine_cgroup_version() != cgroup):
            return None
        return self.known_limit.get("why", "a known limit")

    def runs(self, case: str) -> bool:
        """Whether the case is part of this attack's matrix (gvisor_ablated: where its metadata asks)."""
        return case != "gvisor_ablated" or "ablated" in self.gvisor

    def wanted(self, case: str) -> Verdict | None:
        """The verdict the case should give: hardened contains, ablated escapes. A known limit
        escapes under hardened too, and says so; an attack that cannot apply here is contained."""
        if case == "gvisor_ablated":
            verdict = self.gvisor.get("ablated", {}).get("verdict")
            return Verdict(verdict) if verdict else None
        if not self.applicable:
            return Verdict.CONTAINED if case in ("hardened", "ablated", "gvisor") else None
        if case in ("hardened", "gvisor"):  # a second kernel may only add to what hardened holds
            return Verdict.ESCAPED if self.limit_here else Verdict.CONTAINED
        return Verdict.ESCAPED if case == "ablated" else None

    @property
    def removes(self) -> str:
        """What the ablated case changes, in words: 'without pids' or 'with privileged'."""
        return f"without {self.control}" if self.control else f"with {self.misconfiguration}"

    def limits(self, case: str) -> Limits:
        """The Limits of one case (misconfigurations that need host files are added by run_attack)."""
        if case == "naive":
            return NAIVE
        if case == "gvisor":
            gvisor = GVISOR.replace(name="gvisor", timeout_s=self.timeout)
            return gvisor.without(*self.given) if self.given else gvisor
        if case == "gvisor_ablated":
            ablated = self.limits("ablated")
            memory = ablated.memory_mib and GVISOR.memory_mib  # gVisor's own room, unless memory is off
            return ablated.replace(runtime="runsc", memory_mib=memory, name=f"gvisor {ablated.name}")
        base = HARDENED.replace(name="hardened", timeout_s=self.timeout)
        if self.given:
            base = base.without(*self.given)
        if case == "hardened":
            return base
        if case != "ablated":
            raise AttackError(f"Unknown case {case!r}. Cases: {', '.join(CASES + RUNTIME_CASES)}.", hint="")
        if self.control:
            return base.without(self.control)
        return _misconfigure(base, self.misconfiguration or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "category": self.category,
            "control": self.control,
            "misconfiguration": self.misconfiguration,
            "given": list(self.given),
            "timeout": self.timeout,
            "hardened": self.hardened,
            "ablated": self.ablated,
            "explain": self.explain,
            "expect": self.expect,
            "needs": list(self.needs),
            "not_applicable": self.why_not_applicable(),
            "image": self.image,
            "known_limit": self.limit_here,
            "companion": bool(self.companion),
            "gvisor": self.gvisor.get("why"),
            "engine_note": self._engine_note(),
            "varies": list(self.varies),
        }

    def _engine_note(self) -> str | None:
        """Why this engine's expectations differ (its `engines` entry), for reports."""
        try:
            return (self.on_this_engine() or {}).get("why") if self.engines else None
        except SandboxError:
            return None


@functools.lru_cache(maxsize=4)
def _engine_info(host: str) -> dict:
    return engine.client().info()


def engine_architecture() -> str:
    """The engine's machine (on a Mac: Docker Desktop's Linux VM), as the kernel names it."""
    found = _engine_info(os.environ.get("DOCKER_HOST", "")).get("Architecture", "?")
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(found, found)  # Podman spells Go's names


def engine_version_text() -> str:
    return str(_engine_info(os.environ.get("DOCKER_HOST", "")).get("ServerVersion", "?"))


def engine_kind_name() -> str:
    """'docker' or 'podman' (sandbox.engine.kind), what an `engines` entry's key names."""
    return engine.kind().name


def engine_version() -> tuple[int, ...]:
    """The Docker Engine's version as numbers, e.g. (26, 1, 5)."""
    return parse_version(engine_version_text())


def engine_cgroup_version() -> str:
    return str(_engine_info(os.environ.get("DOCKER_HOST", "")).get("CgroupVersion", "1"))


def parse_version(text: str) -> tuple[int, ...]:
    """'26.1.5+dfsg1' -> (26, 1, 5)."""
    parts = []
    for piece in text.split("+")[0].split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts) or (0,)


def _misconfigure(limits: Limits, misconfiguration: str) -> Limits:
    name = f"{limits.name} with {misconfiguration}"
    if misconfiguration == "privileged":
        return limits.replace(privileged=True, name=name)
    if misconfiguration == "docker_socket":
        host_socket = engine_socket_path() or DOCKER_SOCKET  # without one, run_attack skips the case
        return limits.replace(mounts=(Mount(host_socket, DOCKER_SOCKET, read_only=True),), name=name)
    if misconfiguration == "cap_sys_admin":
        return limits.replace(cap_add=("SYS_ADMIN",), name=name)
    if misconfiguration == "cap_sys_ptrace":
        return limits.replace(cap_add=("SYS_PTRACE",), name=name)
    if misconfiguration == "seccomp_unconfined":
        return limits.replace(seccomp="unconfined", name=name)
    # host_mount and env_secret need host-side set-up: run_attack adds them.
    return limits.replace(name=name)

"""Limits: the controls a run is held to, and the named profiles.

A control is one layer of defence with one name, used everywhere in the kit (attack metadata,
profiles, audit findings, lesson titles, web badges):

    timeout, memory, pids, cpu, network, read_only, user, capabilities,
    no_new_privileges, seccomp, ulimits, output_cap

`Limits` is frozen: derive new ones instead of editing.

    >>> from sandbox import PROFILES
    >>> hardened = PROFILES["hardened"]
    >>> hardened.without("network").network          # one control removed
    'internal'
    >>> hardened.replace(memory_mib=256).memory_mib   # one value changed
    256
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidLimits

CONTROLS: tuple[str, ...] = (
    "timeout",
    "memory",
    "pids",
    "cpu",
    "network",
    "read_only",
    "user",
    "capabilities",
    "no_new_privileges",
    "seccomp",
    "ulimits",
    "output_cap",
)

# One line per control, for reports, badges and `--help`.
CONTROL_SUMMARY: dict[str, str] = {
    "timeout": "wall-clock limit measured on the host, then SIGKILL and remove",
    "memory": "cgroup memory limit with swap equal to memory (no swap escape)",
    "pids": "cgroup limit on processes and threads (stops fork and thread bombs)",
    "cpu": "CFS quota: a share of one CPU, so a spin cannot starve the host",
    "network": "no network interface but loopback",
    "read_only": "read-only root filesystem; only a small size-capped /tmp is writable",
    "user": "runs as the unprivileged 'runner' user, not root",
    "capabilities": "every Linux capability dropped",
    "no_new_privileges": "setuid binaries and file capabilities cannot raise privileges",
    "seccomp": "the kit's syscall allowlist, stricter than Docker's default",
    "ulimits": "per-process rlimits: open files, file size, core dumps",
    "output_cap": "stdout+stderr cut at a byte cap while streaming; bounded daemon log",
}

NETWORK_MODES = ("none", "internal")
USERS = ("runner", "root")
SECCOMP_MODES = ("kit", "default", "unconfined")

DEFAULT_ULIMITS: tuple[tuple[str, int], ...] = (
    ("nofile", 256),            # open file descriptors
    ("fsize", 8 * 1024 * 1024),  # largest file a process may write, bytes (SIGXFSZ beyond)
    ("core", 0),                # no core dumps: they write memory images to disk
)


@dataclass(frozen=True)
class Mount:
    """A host path mounted into the container. Only for the escape-misconfiguration lessons."""

    source: str
    target: str
    read_only: bool = True

    def __post_init__(self) -> None:
        # A relative source would make Docker create a named volume the kit never labels or removes.
        for name in ("source", "target"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.startswith("/"):
                raise InvalidLimits(f"Mount {name} must be an absolute path, not {value!r}.")


@dataclass(frozen=True)
class Limits:
    """What a run is allowed to do. `None` (or False) means that control is off."""

    timeout_s: float | None = 10.0
    memory_mib: int | None = 128
    swap_mib: int = 0                     # swap on top of memory; 0 means --memory-swap == --memory
    pids: int | None = 64
    cpus: float | None = 0.5
    network: str = "none"                 # "none", or "internal": the kit's own internal network
    read_only: bool = True
    tmpfs_mib: int | None = 16            # size of the writable /tmp (None: no tmpfs at /tmp)
    user: str = "runner"                  # "runner" (uid 10001) or "root"
    cap_drop_all: bool = True
    no_new_privileges: bool = True
    seccomp: str = "kit"                  # "kit", "default" (Docker's) or "unconfined"
    ulimits: tuple[tuple[str, int], ...] | None = DEFAULT_ULIMITS
    output_cap_bytes: int | None = 64 * 1024
    # Misconfigurations, off in every profile; the escape lessons and attacks switch them on.
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        _check_number("timeout_s", self.timeout_s, 0.1, 3600)
        _check_int("memory_mib", self.memory_mib, 6, 64 * 1024)  # Docker refuses less than 6 MiB
        _check_int("swap_mib", self.swap_mib, 0, 64 * 1024, allow_none=False)
        _check_int("pids", self.pids, 1, 100_000)
        _check_number("cpus", self.cpus, 0.01, 256)
        _check_choice("network", self.network, NETWORK_MODES)
        _check_choice("user", self.user, USERS)
        _check_choice("seccomp", self.seccomp, SECCOMP_MODES)
        _check_int("tmpfs_mib", self.tmpfs_mib, 1, 4096)
        _check_int("output_cap_bytes", self.output_cap_bytes, 1, 1024 * 1024 * 1024)
        for flag in ("read_only", "cap_drop_all", "no_new_privileges", "privileged"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidLimits(f"{flag} must be True or False, not {getattr(self, flag)!r}.")
        if self.ulimits is not None:
            for item in self.ulimits:
                if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                        and isinstance(item[1], int) and item[1] >= 0):
                    raise InvalidLimits(f"ulimits must be (name, value) pairs, not {item!r}.")
        if not all(isinstance(c, str) for c in self.cap_add):
            raise InvalidLimits("cap_add must be a tuple of capability names like 'SYS_ADMIN'.")
        if not all(isinstance(m, Mount) for m in self.mounts):
            raise InvalidLimits("mounts must be a tuple of sandbox.limits.Mount.")

    # -- deriving -----------------------------------------------------------------------
    def without(self, *controls: str) -> "Limits":
        """A copy with exactly these controls removed (each one switched off)."""
        changes: dict[str, Any] = {}
        for control in controls:
            if control not in CONTROLS:
                raise InvalidLimits(
                    f"Unknown control {control!r}. Known controls: {', '.join(CONTROLS)}.")
            changes.update(_OFF[control])
        suffix = " without " + ", ".join(controls) if controls else ""
        return dataclasses.replace(self, name=self.name + suffix, **changes)

    def replace(self, **changes: Any) -> "Limits":
        """A copy with some values changed, e.g. `limits.replace(memory_mib=256)`."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InvalidLimits(f"Unknown Limits field(s): {', '.join(sorted(unknown))}.")
        if "name" not in changes:
            changes["name"] = self.name if self.name.endswith("(modified)") else f"{self.name} (modified)"
        return dataclasses.replace(self, **changes)

    # -- reading ------------------------------------------------------------------------
    def is_on(self, control: str) -> bool:
        """Whether a control is in force (the values `without(control)` would remove)."""
        if control not in CONTROLS:
            raise InvalidLimits(f"Unknown control {control!r}.")
        off = _OFF[control]
        return any(getattr(self, key) != value for key, value in off.items())

    def controls(self) -> list[str]:
        """The controls in force, in the kit's canonical order."""
        return [c for c in CONTROLS if self.is_on(c)]

    @property
    def memory_swap_mib(self) -> int | None:
        """Docker's --memory-swap: memory plus swap (equal to memory when swap_mib is 0)."""
        return None if self.memory_mib is None else self.memory_mib + self.swap_mib

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, with the list of controls in force."""
        data = dataclasses.asdict(self)
        data["ulimits"] = dict(self.ulimits) if self.ulimits is not None else None
        data["cap_add"] = list(self.cap_add)
        data["controls"] = self.controls()
        return data


# What `without(control)` sets. Removing the seccomp control falls back to Docker's own default
# profile, the floor the engine applies unless told `unconfined`; removing capabilities falls
# back to Docker's default capability set; removing the network control joins the kit's
# internal network (never a bridge that reaches past this machine).
_OFF: dict[str, dict[str, Any]] = {
    "timeout": {"timeout_s": None},
    "memory": {"memory_mib": None},
    "pids": {"pids": None},
    "cpu": {"cpus": None},
    "network": {"network": "internal"},
    "read_only": {"read_only": False},
    "user": {"user": "root"},
    "capabilities": {"cap_drop_all": False},
    "no_new_privileges": {"no_new_privileges": False},
    "seccomp": {"seccomp": "default"},
    "ulimits": {"ulimits": None},
    "output_cap": {"output_cap_bytes": None},
}


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidLimits(f"{name} must be a number from {low} to {high} (or None), not {value!r}.")


def _check_int(name: str, value: Any, low: int, high: int, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        hint = " (or None)" if allow_none else ""
        raise InvalidLimits(f"{name} must be a whole number from {low} to {high}{hint}, not {value!r}.")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidLimits(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}.")


HARDENED = Limits(name="hardened")

# Exactly the seed's flags: --memory 128m --memory-swap 128m --network none --pids-limit 64
# --cpus 0.5 --read-only, non-root runner, a 10 s host-side timeout. Docker's defaults otherwise.
SEED = Limits(
    name="seed",
    tmpfs_mib=None,
    cap_drop_all=False,
    no_new_privileges=False,
    seccomp="default",
    ulimits=None,
    output_cap_bytes=None,
)

# Docker's defaults and nothing else; a network only where the kit's target lives.
NAIVE = Limits(
    name="naive",
    timeout_s=None,
    memory_mib=None,
    pids=None,
    cpus=None,
    network="internal",
    read_only=False,
    tmpfs_mib=None,
    user="root",
    cap_drop_all=False,
    no_new_privileges=False,
    seccomp="default",
    ulimits=None,
    output_cap_bytes=None,
)

PROFILES: dict[str, Limits] = {"naive": NAIVE, "seed": SEED, "hardened": HARDENED}

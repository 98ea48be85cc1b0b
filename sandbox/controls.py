"""The control registry: each of the kit's controls, defined once.

A control is one layer of defence with one name, used everywhere: profiles, attack metadata,
audit findings, lesson titles, the page's badges, the CLI's `--without`. Each entry holds:

- `summary`: one line for reports, badges and `--help`;
- `off`: the Limits values `Limits.without(control)` sets;
- `fields`: the Limits values it takes, with their units and ranges (Limits checks them, the
  lab's sliders and the page read them);
- `describe`: its setting in words, for a Limits where it is on;
- `hardened`: its values in the hardened profile (the defaults of Limits are read from here).

Adding a control is one entry here, the Limits field it reads, and its translation into the
engine's options (options.py).

    >>> from sandbox import REGISTRY, Control
    >>> REGISTRY[Control.PIDS].summary
    'cgroup limit on processes and threads (stops fork and thread bombs)'
    >>> dict(REGISTRY[Control.PIDS].off)
    {'pids': None}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Control(StrEnum):
    TIMEOUT = "timeout"
    MEMORY = "memory"
    PIDS = "pids"
    CPU = "cpu"
    NETWORK = "network"
    READ_ONLY = "read_only"
    USER = "user"
    CAPABILITIES = "capabilities"
    NO_NEW_PRIVILEGES = "no_new_privileges"
    SECCOMP = "seccomp"
    ULIMITS = "ulimits"
    OUTPUT_CAP = "output_cap"
    DISTINCT_UID = "distinct_uid"
    HOST_VIEWS = "host_views"
    PTYS = "ptys"
    HARVEST = "harvest"
    RUNTIME = "runtime"  # an extra layer: off in hardened, on in the gvisor profile


@dataclass(frozen=True)
class Field:
    """A numeric Limits value of a control: its unit, range and step."""

    name: str
    unit: str
    low: float
    high: float
    step: float = 1
    whole: bool = True  # only whole numbers
    optional: bool = True  # None means "off"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "low": self.low,
            "high": self.high,
            "step": self.step,
            "whole": self.whole,
            "optional": self.optional,
        }


@dataclass(frozen=True)
class Spec:
    control: Control
    summary: str
    hardened: Mapping[str, Any]  # the Limits values it has in the hardened profile
    off: Mapping[str, Any]  # the Limits values without(control) sets
    describe: Callable[[Any], str]
    fields: tuple[Field, ...] = ()
    # An extra layer is off in hardened (its hardened values are its "off"); `on` holds the
    # values that switch it on, and a profile of its own (gvisor) does.
    on: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        # Read-only views of private copies: `without()` and every profile read these, so one
        # caller writing into them would change every Limits in the process.
        for name in ("hardened", "off", "on"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def extra(self) -> bool:
        return self.on is not None

    @property
    def switched_on(self) -> Mapping[str, Any]:
        """The values that put this control in force: its hardened ones, or an extra layer's `on`."""
        return self.on if self.on is not None else self.hardened

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": str(self.control),
            "summary": self.summary,
            "hardened": dict(self.hardened),
            "off": dict(self.off),
            "on": dict(self.switched_on),
            "extra": self.extra,
            "fields": [f.to_dict() for f in self.fields],
        }


def _mib(value: int) -> str:
    return f"{value} MiB"


def _ulimits(limits: Any) -> str:
    shown = {"fsize": lambda v: f"{v / 1024 / 1024:g} MiB"}
    return ", ".join(f"{name} {shown.get(name, str)(value)}" for name, value in limits.ulimits or ())


ULIMITS = (
    ("nofile", 256),  # open file descriptors
    ("fsize", 8 * 1024 * 1024),  # largest file a process may write, bytes (SIGXFSZ beyond)
    ("core", 0),  # no core dumps: they write memory images to disk
)

_SPECS = (
    Spec(
        Control.TIMEOUT,
        "wall-clock limit measured on the host, then SIGKILL and remove",
        {"timeout_s": 10.0},
        {"timeout_s": None},
        lambda l: f"{l.timeout_s:g} s wall clock",
        (Field("timeout_s", "s", 0.1, 3600, step=0.5, whole=False),),
    ),
    Spec(
        Control.MEMORY,
        "cgroup memory limit with swap equal to memory (no swap escape)",
        {"memory_mib": 128, "swap_mib": 0},
        {"memory_mib": None},
        lambda l: _mib(l.memory_mib) + (f" + {l.swap_mib} MiB swap" if l.swap_mib else ", no swap"),
        (Field("memory_mib", "MiB", 6, 64 * 1024), Field("swap_mib", "MiB", 0, 64 * 1024, optional=False)),
    ),
    Spec(
        Control.PIDS,
        "cgroup limit on processes and threads (stops fork and thread bombs)",
        {"pids": 64},
        {"pids": None},
        lambda l: f"{l.pids} processes",
        (Field("pids", "processes", 1, 100_000),),
    ),
    Spec(
        Control.CPU,
        "CFS quota: a share of one CPU, so a spin cannot starve the host",
        {"cpus": 0.5},
        {"cpus": None},
        lambda l: f"{l.cpus:g} CPU",
        (Field("cpus", "CPU", 0.01, 256, step=0.05, whole=False),),
    ),
    Spec(
        Control.NETWORK,
        "no network interface but loopback",
        {"network": "none"},
        {"network": "internal"},
        lambda l: "no network",
    ),
    Spec(
        Control.READ_ONLY,
        "read-only root filesystem; only small size-capped scratch mounts are writable",
        {"read_only": True, "tmpfs_mib": 16},
        {"read_only": False},
        lambda l: "read-only root" + (f", {l.tmpfs_mib} MiB /tmp" if l.tmpfs_mib else ""),
        (Field("tmpfs_mib", "MiB", 1, 4096),),
    ),
    Spec(
        Control.USER,
        "runs as the unprivileged 'runner' user, not root",
        {"user": "runner"},
        {"user": "root"},
        lambda l: f"runs as {l.user}, not root",
    ),
    Spec(
        Control.CAPABILITIES,
        "every Linux capability dropped",
        {"cap_drop_all": True},
        {"cap_drop_all": False},
        lambda l: "all dropped",
    ),
    Spec(
        Control.NO_NEW_PRIVILEGES,
        "setuid binaries cannot raise privileges (the kernel's no_new_privs flag)",
        {"no_new_privileges": True},
        {"no_new_privileges": False},
        lambda l: "on",
    ),
    Spec(
        Control.SECCOMP,
        "the kit's syscall allowlist, stricter than Docker's default",
        {"seccomp": "kit"},
        {"seccomp": "default"},
        lambda l: f"{l.seccomp} profile",
    ),
    Spec(
        Control.ULIMITS,
        "per-process rlimits: open files, file size, core dumps",
        {"ulimits": ULIMITS},
        {"ulimits": None},
        _ulimits,
    ),
    Spec(
        Control.OUTPUT_CAP,
        "stdout+stderr cut at a byte cap while streaming; bounded daemon log",
        {"output_cap_bytes": 64 * 1024},
        {"output_cap_bytes": None},
        lambda l: f"{round(l.output_cap_bytes / 1024)} KiB",
        (Field("output_cap_bytes", "bytes", 1, 1024 * 1024 * 1024, step=1024),),
    ),
    Spec(
        Control.DISTINCT_UID,
        "a host uid no other running sandbox has, so the kernel's per-user budgets "
        "(inotify, message queues, signals, pipes) are not shared",
        {"distinct_uid": True},
        {"distinct_uid": False},
        lambda l: "a uid of its own",
    ),
    Spec(
        Control.HOST_VIEWS,
        "the host's facts hidden: masked /proc and /sys entries (kernel command line, "
        "devices, interrupts), a private cgroup namespace",
        {"host_views": True},
        {"host_views": False},
        lambda l: "host facts masked",
    ),
    Spec(
        Control.PTYS,
        "no pseudo-terminals: their count is global to the host, shared by every container",
        {"ptys": False},
        {"ptys": True},
        lambda l: "none",
    ),
    Spec(
        Control.HARVEST,
        "the supervisor harvests out/ by its rules: no link followed, only regular files, bounded",
        {"harvest": "safe"},
        # Off is the lab's naive harvester (what many graders do: follow links, open anything,
        # keep every name), so that an attack can show what those rules stop. Never served.
        {"harvest": "naive"},
        lambda l: "no link followed, regular files only, bounded",
    ),
    Spec(
        Control.RUNTIME,
        "a second kernel in between: gVisor's runsc answers the program's system calls, "
        "so the host's kernel sees only gVisor's",
        {"runtime": "runc"},
        {"runtime": "runc"},
        lambda l: (
            f"gVisor ({l.runtime}): a kernel of its own" if l.runtime == "runsc" else f"{l.runtime}: the host's kernel"
        ),
        on={"runtime": "runsc"},
    ),
)

REGISTRY: Mapping[Control, Spec] = MappingProxyType({spec.control: spec for spec in _SPECS})
# The controls of the hardened profile; EXTRA are layers beyond it (a profile of their own).
CONTROLS: tuple[Control, ...] = tuple(c for c, spec in REGISTRY.items() if not spec.extra)
EXTRA: tuple[Control, ...] = tuple(c for c, spec in REGISTRY.items() if spec.extra)
FIELDS: Mapping[str, tuple[Control, Field]] = MappingProxyType(
    {f.name: (spec.control, f) for spec in _SPECS for f in spec.fields}
)
# Every Limits value a control takes, as the hardened profile has it (Limits' defaults).
HARDENED_VALUES: Mapping[str, Any] = MappingProxyType(
    {name: value for spec in _SPECS for name, value in spec.hardened.items()}
)

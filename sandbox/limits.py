"""Limits: the controls a run is held to, and the named profiles.

What each control means, takes and turns off is in the registry (controls.py). `Limits` is
frozen and checked when made: derive new ones instead of editing.

    >>> from sandbox import PROFILES
    >>> hardened = PROFILES["hardened"]
    >>> hardened.without("network").network  # one control removed
    'internal'
    >>> hardened.replace(memory_mib=256).memory_mib  # one value changed
    256
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .controls import CONTROLS, FIELDS, HARDENED_VALUES, REGISTRY, Control, Field
from .errors import InvalidLimits

NETWORK_MODES = ("none", "internal")
USERS = ("runner", "root")
SECCOMP_MODES = ("kit", "default", "unconfined")
# The OCI runtimes the kit knows: the engine's default and gVisor's. Limits may name any other the
# engine has registered (crun, say): it gets the same options as runc, and nothing of gVisor's.
RUNTIMES = ("runc", "runsc")
# How the supervisor harvests out/: by the kit's rules, or the lab's naive harvester (an ablation)
HARVESTS = ("safe", "naive")  # the OCI runtime: the engine's default, or gVisor's own kernel

H = HARDENED_VALUES  # each control's hardened value, from the registry


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

    timeout_s: float | None = H["timeout_s"]
    memory_mib: int | None = H["memory_mib"]
    swap_mib: int = H["swap_mib"]  # swap on top of memory; 0 means --memory-swap == --memory
    pids: int | None = H["pids"]
    cpus: float | None = H["cpus"]
    network: str = H["network"]  # "none", or "internal": the kit's own internal network
    read_only: bool = H["read_only"]
    tmpfs_mib: int | None = H["tmpfs_mib"]  # size of the writable /tmp (None: no tmpfs at /tmp)
    user: str = H["user"]  # "runner" (a uid of RUNNER_UIDS) or "root"
    cap_drop_all: bool = H["cap_drop_all"]
    no_new_privileges: bool = H["no_new_privileges"]
    seccomp: str = H["seccomp"]  # "kit", "default" (Docker's) or "unconfined"
    ulimits: tuple[tuple[str, int], ...] | None = H["ulimits"]
    output_cap_bytes: int | None = H["output_cap_bytes"]
    distinct_uid: bool = H["distinct_uid"]  # a host uid no other running sandbox holds
    host_views: bool = H["host_views"]  # mask the host's facts in /proc and /sys
    ptys: bool = H["ptys"]  # allow pseudo-terminals (/dev/pts)
    runtime: str = H["runtime"]  # "runc", "runsc" (gVisor), or another OCI runtime the engine has
    harvest: str = H["harvest"]  # "safe", or "naive": the lab's link-following harvester
    # Misconfigurations, off in every profile; the escape lessons and attacks switch them on.
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        # Lists become tuples, so a frozen Limits really cannot change under a caller.
        for name in ("cap_add", "mounts", "ulimits"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(tuple(v) if isinstance(v, list) else v for v in value))
        for name, (_, spec) in FIELDS.items():
            _check_number(name, getattr(self, name), spec)
        _check_choice("network", self.network, NETWORK_MODES)
        _check_choice("user", self.user, USERS)
        _check_choice("seccomp", self.seccomp, SECCOMP_MODES)
        if not (isinstance(self.runtime, str) and self.runtime.replace("-", "").replace(".", "").isalnum()):
            raise InvalidLimits(f"runtime must name an OCI runtime (runc, runsc, crun...), not {self.runtime!r}.")
        _check_choice("harvest", self.harvest, HARVESTS)
        for flag in (
            "read_only",
            "cap_drop_all",
            "no_new_privileges",
            "privileged",
            "distinct_uid",
            "host_views",
            "ptys",
        ):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidLimits(f"{flag} must be True or False, not {getattr(self, flag)!r}.")
        if self.ulimits is not None:
            for item in self.ulimits:
                if not (
                    isinstance(item, tuple)
                    and len(item) == 2
                    and isinstance(item[0], str)
                    and isinstance(item[1], int)
                    and item[1] >= 0
                ):
                    raise InvalidLimits(f"ulimits must be (name, value) pairs, not {item!r}.")
        if not isinstance(self.cap_add, tuple) or not all(isinstance(c, str) for c in self.cap_add):
            raise InvalidLimits("cap_add must be a tuple of capability names like 'SYS_ADMIN'.")
        if not isinstance(self.mounts, tuple) or not all(isinstance(m, Mount) for m in self.mounts):
            raise InvalidLimits("mounts must be a tuple of sandbox.Mount.")

    # -- deriving -----------------------------------------------------------------------
    def without(self, *controls: str) -> Limits:
        """A copy with exactly these controls removed (each one switched off)."""
        changes: dict[str, Any] = {}
        for control in controls:
            changes.update(REGISTRY[_control(control)].off)
        suffix = " without " + ", ".join(controls) if controls else ""
        return dataclasses.replace(self, name=self.name + suffix, **changes)

    def replace(self, **changes: Any) -> Limits:
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
        off = REGISTRY[_control(control)].off
        return any(getattr(self, key) != value for key, value in off.items())

    def controls(self) -> list[Control]:
        """The controls in force, in the kit's canonical order (an extra layer such as gVisor last)."""
        return [c for c in REGISTRY if self.is_on(c)]

    def described(self) -> dict[str, str]:
        """Each control's setting in words ("128 MiB, no swap"), or "removed" (an extra layer
        that is off is left out)."""
        return {
            str(c): REGISTRY[c].describe(self) if self.is_on(c) else "removed"
            for c in REGISTRY
            if c in CONTROLS or self.is_on(c)
        }

    @property
    def memory_swap_mib(self) -> int | None:
        """Docker's --memory-swap: memory plus swap (equal to memory when swap_mib is 0)."""
        return None if self.memory_mib is None else self.memory_mib + self.swap_mib

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, with the list of controls in force."""
        data = dataclasses.asdict(self)
        data["ulimits"] = dict(self.ulimits) if self.ulimits is not None else None
        data["cap_add"] = list(self.cap_add)
        data["controls"] = [str(c) for c in self.controls()]
        data["described"] = self.described()
        return data


def _control(name: object) -> Control:
    try:
        return Control(name)  # type: ignore[arg-type]  # any value: a wrong one is InvalidLimits
    except ValueError:
        raise InvalidLimits(f"Unknown control {name!r}. Known controls: {', '.join(REGISTRY)}.") from None


def _check_number(name: str, value: Any, spec: Field) -> None:
    if value is None and spec.optional:
        return
    kinds = int if spec.whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not spec.low <= value <= spec.high:
        kind = "a whole number" if spec.whole else "a number"
        hint = " (or None)" if spec.optional else ""
        raise InvalidLimits(f"{name} must be {kind} from {spec.low:g} to {spec.high:g}{hint}, not {value!r}.")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidLimits(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}.")


HARDENED = Limits(name="hardened")

# Fields a control's hardened values set and its `off` leaves alone, with the value a profile
# that has the control off gives them, and why. Nothing else is left to chance: a test checks
# that every Limits field belongs to a control, and every control's fields are here or in `off`.
WHEN_OFF: Mapping[str, tuple[Any, str]] = MappingProxyType(
    {
        "tmpfs_mib": (None, "a writable root needs no scratch mount: Docker's default, no tmpfs at /tmp"),
        "swap_mib": (0, "with no memory limit there is no swap limit either"),
    }
)


def _profile(name: str, on: tuple[Control, ...] = (), **exceptions: Any) -> Limits:
    """Exactly these controls on at their hardened values; every other control off."""
    values: dict[str, Any] = {key: value for key, (value, _) in WHEN_OFF.items()}
    for control, spec in REGISTRY.items():
        values.update(spec.hardened if control in on else spec.off)
    return Limits(name=name, **{**values, **exceptions})


# Docker's defaults and nothing else: every control off, so a control added to the registry is
# off here too. "Off" for the network is the kit's internal network, where only its target lives.
NAIVE = _profile("naive")

# Exactly the seed's flags: --memory 128m --memory-swap 128m --network none --pids-limit 64
# --cpus 0.5 --read-only, non-root runner, a 10 s host-side timeout. Docker's defaults otherwise.
SEED_CONTROLS = (
    Control.TIMEOUT,
    Control.MEMORY,
    Control.PIDS,
    Control.CPU,
    Control.NETWORK,
    Control.READ_ONLY,
    Control.USER,
)
SEED = _profile("seed", SEED_CONTROLS, tmpfs_mib=None)  # the seed's --read-only had no /tmp mount

# The seed's flags plus the kit's guards against the kernel and against a setuid program
# (its seccomp allowlist, no capabilities, no-new-privileges), against other runs (a uid of its
# own) and for the budgets every container on the host draws from: no ptys (their count is the
# host's), hardened's rlimits (otherwise the engine's nofile lets a few runs take much of the
# host's file table) and the host's facts masked; and out/ harvested by the kit's rules. What a
# server offers visitors who ask for the seed: the exact seed only runs on a teacher's server
# (--allow-ablation).
SEED_HARDENED = SEED.replace(
    name="seed_hardened",
    cap_drop_all=True,
    no_new_privileges=True,
    seccomp="kit",
    distinct_uid=True,
    ulimits=H["ulimits"],
    host_views=True,
    ptys=False,
    harvest="safe",
)

# Hardened with a second kernel in between: gVisor's runsc answers the program's system calls
# (the engine must have runsc registered; see docker/private-engine.sh). Its 64 processes each
# cost gVisor an address space of its own and a stub on the host, so memory is twice hardened's.
GVISOR = HARDENED.replace(name="gvisor", runtime="runsc", memory_mib=256)

PROFILES: Mapping[str, Limits] = MappingProxyType(
    {"naive": NAIVE, "seed": SEED, "seed_hardened": SEED_HARDENED, "hardened": HARDENED, "gvisor": GVISOR}
)

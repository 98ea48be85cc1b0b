"""What each engine changes for the lessons, beyond what the core adapts to.

The core (sandbox.engine.Kind) holds only what it needs to create a container the same way on
every engine. What the lessons and the evidence tools say about an engine is here: the
differences `doctor` lists, and the audit items an engine does not apply whatever the profile.

    >>> from sandbox import engine_kind
    >>> from sandbox.lab import engines
    >>> engines.differences(engine_kind()) == (engines.PODMAN_DIFFERENCES if engine_kind().name == "podman" else ())
    ... # doctest: +ENGINE
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sandbox.engine import Kind

# Seen on Podman 4.3.1 (bookworm), each shown by a test (README, Engines).
PODMAN_DIFFERENCES = (
    "refuses to start a container unless the nofile and nproc ulimits are explicit (the kit always sends them)",
    "takes a seccomp profile as a path, not JSON text (the kit writes it to a file: a local engine only)",
    "ignores HostConfig.MaskedPaths (the kit sends the masks as SecurityOpt mask=)",
    "adds writable, uncapped /run, /tmp and /var/tmp tmpfs to a read-only root (the kit mounts those it "
    "does not mount itself read-only, as the root is)",
    "leaves State.OOMKilled false after an OOM kill (the verdict comes from the cgroup's OOM count; where "
    "the OOM killer took the supervisor too, nothing recorded it: an error ending in SIGKILL, memory a hint)",
    "ignores CgroupnsMode through its Docker-compatible API (and containers.conf's cgroupns): on cgroup v1 "
    "/proc/self/cgroup shows the container's id; only its native API makes a private one",
    "ignores HostConfig.ReadonlyPaths, so /dev stays writable by root inside (the runner still cannot write there)",
    "records neither masks, ReadonlyPaths, CgroupnsMode nor the log's max-size in its Docker-compatible "
    "inspect (the audit judges them on its native inspect and the OCI spec runc got)",
    "spells CapDrop as each capability's name instead of ALL, and ulimits as RLIMIT_NOFILE",
    "its internal networks (CNI without dnsname) resolve no container names: the kit writes the target's "
    "address into the run's /etc/hosts",
    "gives a container on a network without IPv6 a link-local IPv6 address (the kit turns IPv6 off inside "
    "with net.ipv6.conf.all/default.disable_ipv6)",
    "keeps the seccomp profile it is given on a privileged container (Docker drops every filter there)",
    "makes internal networks without a gateway address and drops the inhibit_ipv4 option (nothing to inhibit)",
    "lists every OCI runtime its containers.conf names in info's Runtimes, installed or not (runsc, kata, "
    "krun...): the kit counts only its default runtime as present",
    "has its own default seccomp profile (the floor an ablated seccomp case falls back to): it allows "
    "unshare, keyctl, mount and process_vm_readv, and refuses io_uring with ENOSYS (sandbox.seccomp, "
    "PODMAN_DEFAULT_ALLOWS)",
    "gives /dev/shm 64,000,000 bytes (62,500 KiB) by default, not 64 MiB (the kit sizes it in every profile but seed)",
    "sets net.ipv4.ping_group_range to 0 0 (containers.conf; Docker opens it to every group): the runner's "
    "ping socket gets EACCES",
    "caps every container at 2048 tasks by default (containers.conf pids_limit; the private engine sets 0, "
    "as Docker has no default cap)",
)

PODMAN_UNAPPLIED = (
    (
        "kit dev-read-only",
        "Podman 4.3's Docker-compatible API ignores ReadonlyPaths: /dev is not remounted "
        "read-only (the OCI spec runc gets lacks it)",
    ),
    (
        "kit host-views",
        "Podman 4.3's Docker-compatible API ignores CgroupnsMode (on cgroup v1 its default is "
        "the host's cgroup namespace): the masks apply, the private cgroup namespace does not",
    ),
)

# By the kind's name; an engine not listed differs in nothing the kit knows of.
DIFFERENCES: Mapping[str, tuple[str, ...]] = MappingProxyType({"podman": PODMAN_DIFFERENCES})
UNAPPLIED: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({"podman": PODMAN_UNAPPLIED})


def differences(kind: Kind) -> tuple[str, ...]:
    """What differs on this engine from the Docker the kit was written against, in words."""
    return DIFFERENCES.get(kind.name, ())


def unapplied(kind: Kind) -> tuple[tuple[str, str], ...]:
    """Audit items (sandbox.lab.audit) that fail on this engine whatever the profile, because it
    does not apply what the kit asks for, each with why: (("kit dev-read-only", "..."),)."""
    return UNAPPLIED.get(kind.name, ())

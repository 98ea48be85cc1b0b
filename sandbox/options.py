"""Translate Limits into docker SDK `containers.create` keyword arguments.

Pure functions, no engine: the unit tests check every control's flag here, and the audit
checks the same facts again on a real container through `docker inspect`. A run's container
(`command=None`) runs the kit's supervisor as process 1, which waits on its stdin for the
program; any other command (the target, a lesson's own container) runs under tini instead.
"""

from __future__ import annotations

import resource
from typing import Any

from docker.types import LogConfig, Ulimit

from . import seccomp, supervisor
from .errors import InvalidLimits
from .limits import Limits
from .uids import FIRST_UID

MIB = 1024 * 1024

# The image's non-root user (docker/Dockerfile names every uid of uids.RUNNER_UIDS `runner`).
RUNNER_UID = FIRST_UID

# When the output cap is on, the daemon's own copy of the output is bounded too: the kit reads
# the live stream, so the log is only for a human running `docker logs` on a stuck run.
CAPPED_LOG = LogConfig(type=LogConfig.types.JSON, config={"max-size": "1m", "max-file": "1"})


def container_options(
    limits: Limits,
    *,
    image: str,
    labels: dict[str, str],
    command: list[str] | None = None,
    network_name: str | None = None,
    environment: dict[str, str] | None = None,
    uid: int = RUNNER_UID,
) -> dict[str, Any]:
    """Everything one container needs, for `sandbox.create_container(options)`.

    (Not for docker-py's `containers.create(**options)` alone: the masked and read-only paths
    go into the engine's HostConfig, for which docker-py has no keyword.)

    With no `command`, the container is a run's: the supervisor is process 1 and waits on
    stdin for the program (sandbox.create_container attaches and starts it for you).
    """
    supervised = command is None
    options: dict[str, Any] = {
        "image": image,
        "command": list(supervisor.COMMAND) if supervised else command,
        "labels": labels,
        "detach": True,
        # A run's stdin is the supervisor's: the kit writes the program to it, and it closes
        # when the kit goes away (StdinOnce), which ends the run.
        "stdin_open": supervised,
        "tty": False,
        # The supervisor (or tini) as PID 1 reaps orphans, so zombies do not pin the pids limit.
        "init": not supervised,
        "hostname": "sandbox",
        "working_dir": "/tmp",
        "user": "0:0" if limits.user == "root" else f"{uid}:{uid}",
        "environment": dict(environment or {}),
        "read_only": limits.read_only,
        "privileged": limits.privileged,
        "ipc_mode": "private",
        "security_opt": security_options(limits),
    }
    options.update(_network_options(limits, network_name))
    options.update(_resource_options(limits))
    if limits.tmpfs_mib is not None:
        # noexec: a file written to /tmp cannot be execve()d (an anonymous memfd is on no mount;
        # the kit's seccomp profile closes that door, see seccomp.py).
        options["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,noexec,size={limits.tmpfs_mib}m,mode=1777"}
        # /dev/shm is the other writable place (multiprocessing needs it for semaphores);
        # Docker makes it 64 MiB. Give it the same cap as /tmp.
        options["shm_size"] = limits.tmpfs_mib * MIB
    if limits.cap_drop_all:
        options["cap_drop"] = ["ALL"]
    if limits.cap_add:
        options["cap_add"] = list(limits.cap_add)
    if limits.ulimits is not None:
        options["ulimits"] = [Ulimit(name=name, soft=value, hard=value) for name, value in limits.ulimits]
    if limits.runtime != "runc":  # another OCI runtime the engine has registered, by its name
        options["runtime"] = limits.runtime
    if limits.runtime == "runsc":  # gVisor's own kernel: its adjustments, for it alone
        options.update(_gvisor_options(limits, options))
    # nofile and nproc are always explicit (Podman refuses to start a container otherwise):
    # those the Limits leave unset are what the engine would give anyway, see host_ulimits().
    options["ulimits"] = _explicit_ulimits(options.get("ulimits", []))
    if limits.output_cap_bytes is not None:
        options["log_config"] = CAPPED_LOG
    if limits.mounts:
        options["volumes"] = {
            m.source: {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in limits.mounts
        }
    if limits.host_views:
        options["cgroupns"] = "private"  # /proc/self/cgroup shows "/", not the engine's path
    if not limits.privileged:  # --privileged lifts every mask: show the misconfiguration as it is
        options["host_config_extra"] = {"MaskedPaths": masked_paths(limits), "ReadonlyPaths": readonly_paths(limits)}
    return options


# Docker's own lists (setting either field replaces the engine's default, so they are repeated).
DOCKER_MASKED = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
DOCKER_READONLY = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
# The host's facts a program has no need of: how the host booted and which boot this is, its
# devices and interrupts, the key users of its keyring, how its kernel was built; and the
# host-wide counts that move with other containers (every cgroup's, the pressure stall figures),
# which would tell a run about its neighbours. (mountinfo, which names the engine's data root and
# the container's id, and the other per-process files are not maskable; the README says so.)
HOST_FACTS = (
    "/proc/cmdline",
    "/proc/key-users",
    "/proc/sys/kernel/random/boot_id",
    "/proc/interrupts",
    "/proc/partitions",
    "/proc/diskstats",
    "/proc/devices",
    "/proc/modules",
    "/proc/kallsyms",
    "/sys/block",
    "/sys/class/block",
    "/sys/dev/block",
    "/proc/config.gz",
    "/proc/cgroups",
    "/proc/pressure",
)


def masked_paths(limits: Limits) -> list[str]:
    """Paths the engine hides (an empty read-only mount, or /dev/null for a file)."""
    paths = list(DOCKER_MASKED)
    if limits.host_views:
        paths += HOST_FACTS
    if not limits.ptys:
        paths.append("/dev/pts")  # no pty can be opened: the host's pty count is global
    return paths


def readonly_paths(limits: Limits) -> list[str]:
    """Paths the engine remounts read-only: Docker's, and /dev with the read_only control."""
    return list(DOCKER_READONLY) + (["/dev"] if limits.read_only else [])


def security_options(limits: Limits) -> list[str]:
    """The --security-opt list: no-new-privileges and the seccomp choice."""
    opts = []
    if limits.no_new_privileges:
        opts.append("no-new-privileges:true")
    if limits.seccomp == "kit":
        # The API takes the profile's JSON text itself, not a path.
        opts.append(f"seccomp={seccomp.profile_json(limits.runtime)}")
    elif limits.seccomp == "unconfined":
        opts.append("seccomp=unconfined")
    return opts


def _network_options(limits: Limits, network_name: str | None) -> dict[str, Any]:
    if limits.network == "none":
        # Networking disabled as well: a fresh namespace with only `lo`, and none of the engine's
        # network set-up (Docker's prestart hook re-executes dockerd once per run for it). The
        # engine then writes no /etc/hosts: the kit's images carry one (docker/hosts).
        return {"network_mode": "none", "network_disabled": True}
    if not network_name:
        raise InvalidLimits("a run with network='internal' needs the kit's internal network name")
    # Docker's embedded DNS forwards unknown names to the host's resolver; pointing the
    # container's resolver at loopback keeps lookups of anything but the target inside.
    # Such a lookup then waits for an answer that never comes: one 1 s try, not glibc's 2 x 5 s.
    return {"network": network_name, "dns": ["127.0.0.1"], "dns_opt": ["timeout:1", "attempts:1"]}


# Host threads and processes gVisor itself needs beside the program's (its kernel's goroutines,
# the gofer, one stub process per address space): the host's pids cgroup counts those.
GVISOR_HOST_TASKS = 128


def _gvisor_options(limits: Limits, options: dict[str, Any]) -> dict[str, Any]:
    """Under gVisor the program's processes are tasks of gVisor's own kernel, which the host's
    pids cgroup never sees. That kernel enforces RLIMIT_NPROC, per uid of its own: the pids
    limit becomes that rlimit, and the host's cgroup keeps room for gVisor's threads. gVisor does
    not apply the engine's masked paths, so no-ptys is an empty read-only /dev/pts instead."""
    changed: dict[str, Any] = {}
    if not limits.ptys and not limits.privileged:
        changed["tmpfs"] = {**options.get("tmpfs", {}), "/dev/pts": "ro,nosuid,nodev,noexec,size=4k"}
    if limits.pids is not None:
        changed["pids_limit"] = limits.pids + GVISOR_HOST_TASKS
        changed["ulimits"] = [*options.get("ulimits", []), Ulimit(name="nproc", soft=limits.pids, hard=limits.pids)]
    return changed


def host_ulimits() -> dict[str, tuple[int, int]]:
    """nofile and nproc as this host gives a process (soft, hard): what a container gets when
    nothing is asked (Docker passes its daemon's own, which on a host like this are these).

    Sent explicitly when the ulimits control is off, because Podman refuses to start a
    container without them: its own defaults (1048576) exceed what it may set without
    CAP_SYS_RESOURCE. Both soft and hard are the hard limit; nproc is at most the kernel's
    pid_max (no more processes can exist anyway). An engine on another machine (tcp://, ssh://)
    gets this machine's numbers.
    """
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    try:
        with open("/proc/sys/kernel/pid_max") as handle:
            pid_max = int(handle.read())
    except (OSError, ValueError):
        pid_max = 32768
    nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
    if nofile == resource.RLIM_INFINITY:
        nofile = 1024 * 1024
    return {"nofile": (nofile, nofile), "nproc": (nproc, nproc)}


def _explicit_ulimits(chosen: list[Ulimit]) -> list[Ulimit]:
    named = {u["Name"] for u in chosen}
    return [
        *chosen,
        *(
            Ulimit(name=name, soft=soft, hard=hard)
            for name, (soft, hard) in host_ulimits().items()
            if name not in named
        ),
    ]


def _resource_options(limits: Limits) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if limits.memory_mib is not None:
        options["mem_limit"] = limits.memory_mib * MIB
        options["memswap_limit"] = limits.memory_swap_mib * MIB  # type: ignore[operator]  # set when memory_mib is
    if limits.pids is not None:
        options["pids_limit"] = limits.pids
    if limits.cpus is not None:
        options["nano_cpus"] = int(limits.cpus * 1e9)
    return options

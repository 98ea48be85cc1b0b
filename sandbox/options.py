"""Translate Limits into docker SDK `containers.create` keyword arguments.

Pure functions, no engine: the unit tests check every control's flag here, and the audit
checks the same facts again on a real container through `docker inspect`.
"""

from __future__ import annotations

from typing import Any

from docker.types import LogConfig, Ulimit

from . import seccomp
from .errors import InvalidLimits
from .limits import Limits

MIB = 1024 * 1024

# The image's non-root user (docker/Dockerfile creates it with this uid).
RUNNER_UID = 10001
USER_IDS = {"runner": f"{RUNNER_UID}:{RUNNER_UID}", "root": "0:0"}

# When the output cap is on, the daemon's own copy of the output is bounded too: the kit reads
# the live stream, so the log is only for a human running `docker logs` on a stuck run.
CAPPED_LOG = LogConfig(type=LogConfig.types.JSON, config={"max-size": "1m", "max-file": "1"})


def container_options(
    limits: Limits,
    *,
    image: str,
    command: list[str],
    labels: dict[str, str],
    network_name: str | None = None,
    environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything `client.containers.create(**options)` needs for one run."""
    options: dict[str, Any] = {
        "image": image,
        "command": command,
        "labels": labels,
        "detach": True,
        "stdin_open": False,
        "tty": False,
        # tini as PID 1 reaps orphans, so zombies from a fork bomb do not pin the pids limit.
        "init": True,
        "hostname": "sandbox",
        "working_dir": "/tmp",
        "user": USER_IDS[limits.user],
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
    if limits.output_cap_bytes is not None:
        options["log_config"] = CAPPED_LOG
    if limits.mounts:
        options["volumes"] = {
            m.source: {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in limits.mounts
        }
    return options


def security_options(limits: Limits) -> list[str]:
    """The --security-opt list: no-new-privileges and the seccomp choice."""
    opts = []
    if limits.no_new_privileges:
        opts.append("no-new-privileges:true")
    if limits.seccomp == "kit":
        # The API takes the profile's JSON text itself, not a path.
        opts.append(f"seccomp={seccomp.profile_json()}")
    elif limits.seccomp == "unconfined":
        opts.append("seccomp=unconfined")
    return opts


def _network_options(limits: Limits, network_name: str | None) -> dict[str, Any]:
    if limits.network == "none":
        return {"network_mode": "none"}
    if not network_name:
        raise InvalidLimits("a run with network='internal' needs the kit's internal network name")
    # Docker's embedded DNS forwards unknown names to the host's resolver; pointing the
    # container's resolver at loopback keeps lookups of anything but the target inside.
    # Such a lookup then waits for an answer that never comes: one 1 s try, not glibc's 2 x 5 s.
    return {"network": network_name, "dns": ["127.0.0.1"], "dns_opt": ["timeout:1", "attempts:1"]}


def _resource_options(limits: Limits) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if limits.memory_mib is not None:
        options["mem_limit"] = limits.memory_mib * MIB
        options["memswap_limit"] = limits.memory_swap_mib * MIB
    if limits.pids is not None:
        options["pids_limit"] = limits.pids
    if limits.cpus is not None:
        options["nano_cpus"] = int(limits.cpus * 1e9)
    return options

"""probe: what a program inside the sandbox can see and do, as one structured report.

A small program (PROGRAM) runs inside the sandbox through `sandbox.run`, exactly as untrusted
code would, and prints one JSON document of raw facts read from the kernel's own files
(/proc/self/status, /proc/self/mountinfo, the cgroup files, /proc/net, /dev). The host side
decodes them (capability masks into names, "max" into None, route hex into addresses) into
a `ProbeReport`.

    >>> from sandbox import PROFILES
    >>> from sandbox.lab.probe import probe
    >>> report = probe(PROFILES["hardened"])  # doctest: +ENGINE
    >>> report.capabilities["bounding"], report.seccomp_mode, report.user["uid"] >= 10000  # doctest: +ENGINE
    ([], 2, True)

Reading the facts from inside is the point: `docker inspect` says what was asked for, the probe
shows what the kernel actually gave (e.g. a privileged container keeps its seccomp option in
`inspect` but runs with seccomp off).
"""

from __future__ import annotations

import json
import re
import socket
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox import Limits, SandboxError, run

from .names import SECRET_NAME

# The directories a program would try to write to, plus its working directory.
WRITE_TARGETS = ("/", "/tmp", "/var/tmp", "/home", "/dev/shm")

# Runs inside the sandbox; must stay under the runner's 5000-character limit (a test checks).
# Only raw strings leave the container: every interpretation happens on the host.
PROGRAM = r"""
import json, os, re, socket, errno, resource, stat

def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None

def status():
    pairs = (line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return {k: v.strip() for k, v in pairs}

def mounts():
    rows = []
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        a, b = left.split(), right.split()
        rows.append({"target": a[4], "options": a[5], "propagation": " ".join(a[6:]),
                     "fstype": b[0], "source": b[1], "super": b[2] if len(b) > 2 else ""})
    return rows

def try_write(path):
    name = os.path.join(path, ".probe-%d" % os.getpid())
    try:
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    os.unlink(name)
    return "writable"

def cgroup_dir(controller, own):
    # The container's own cgroup is the mount's root under a private cgroup namespace;
    # otherwise it sits at its full path below the mount.
    base = "/sys/fs/cgroup" + ("/" + controller if controller else "")
    nested = base + own
    return nested if own not in ("", "/") and os.path.isdir(nested) else base

def cgroup():
    own = {}
    for line in open("/proc/self/cgroup"):
        _, names, path = line.strip().split(":", 2)
        for name in names.split(","):
            own[name] = path
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        d = cgroup_dir("", own.get("", "/"))
        cpu = (read(d + "/cpu.max") or " ").split()
        return {"version": 2, "memory": read(d + "/memory.max"), "swap": read(d + "/memory.swap.max"),
                "pids": read(d + "/pids.max"), "cpu_quota": cpu[0] if cpu else None,
                "cpu_period": cpu[1] if len(cpu) > 1 else None}
    m, p, c = (cgroup_dir(n, own.get(n, "/")) for n in ("memory", "pids", "cpu"))
    return {"version": 1, "memory": read(m + "/memory.limit_in_bytes"),
            "memsw": read(m + "/memory.memsw.limit_in_bytes"), "pids": read(p + "/pids.max"),
            "cpu_quota": read(c + "/cpu.cfs_quota_us"), "cpu_period": read(c + "/cpu.cfs_period_us")}

def rlimits():
    names = ("NOFILE", "NPROC", "FSIZE", "CORE", "AS", "DATA", "STACK", "CPU", "MEMLOCK")
    return {n.lower(): resource.getrlimit(getattr(resource, "RLIMIT_" + n)) for n in names}

def interfaces():
    try:
        return [name for _, name in socket.if_nameindex()]
    except OSError:
        lines = (read("/proc/net/dev") or "").splitlines()[2:]
        return [line.split(":")[0].strip() for line in lines]

def lines(path, skip=0):
    return (read(path) or "").splitlines()[skip:]

def devices():
    # filemode's first letter: c char, b block, d dir, l link, s socket, p fifo, - file
    return {n: stat.filemode(os.lstat("/dev/" + n).st_mode)[0] for n in sorted(os.listdir("/dev"))}

def personality_refused():
    # A harmless query Docker's default seccomp profile allows and the kit's allowlist refuses,
    # so the two filters can be told apart from inside.
    try:
        import ctypes
        nr = {"x86_64": 135, "aarch64": 92}[os.uname().machine]
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.argtypes = [ctypes.c_long] * 7   # the number and six arguments
        libc.syscall.restype = ctypes.c_long
        return libc.syscall(nr, 0xFFFFFFFF, 0, 0, 0, 0, 0) == -1
    except (ImportError, OSError, KeyError):
        return None

secret = re.compile(SECRET_PATTERN, re.I)
cwd = os.getcwd()
paths = list(dict.fromkeys(WRITE_TARGETS + (cwd,)))
print(json.dumps({
    "status": status(), "uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(),
    "egid": os.getegid(), "groups": os.getgroups(), "mounts": mounts(),
    "writable": {p: try_write(p) for p in paths}, "cgroup": cgroup(), "rlimits": rlimits(),
    "interfaces": interfaces(), "routes": lines("/proc/net/route", 1),
    "routes6": lines("/proc/net/ipv6_route"), "devices": devices(),
    "env": {k: "<redacted>" if secret.search(k) else v for k, v in os.environ.items()},
    "hostname": socket.gethostname(), "kernel": os.uname().release, "cwd": cwd,
    "personality_refused": personality_refused(),
}))
""".replace("SECRET_PATTERN", repr(SECRET_NAME.pattern)).replace("WRITE_TARGETS", repr(WRITE_TARGETS))

# Linux capability numbers (include/uapi/linux/capability.h), bit n of the masks in /proc.
CAPABILITIES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
)
CAP_SETS = {
    "effective": "CapEff",
    "permitted": "CapPrm",
    "bounding": "CapBnd",
    "inheritable": "CapInh",
    "ambient": "CapAmb",
}

# cgroup v1 writes "no limit" as the largest page-aligned 63-bit number; anything this big is none.
UNLIMITED_FROM = 2**62
DEVICE_KINDS = {"c": "char", "b": "block", "d": "dir", "l": "link", "s": "socket", "p": "fifo", "-": "file"}


@dataclass
class ProbeReport:
    """What the sandboxed program saw. None means "no limit" or "not reported by this kernel"."""

    profile: str
    user: dict[str, Any]  # uid, gid, euid, egid, groups
    capabilities: dict[str, list[str]]  # effective, permitted, bounding, inheritable, ambient
    seccomp_mode: int | None  # 0 off, 1 strict, 2 filter
    seccomp_filters: int | None
    seccomp_denies_personality: bool | None  # True: the kit's allowlist; Docker's default allows it
    no_new_privs: bool | None
    mounts: list[dict[str, Any]]
    writable: dict[str, str]  # path -> "writable" or the errno name (EROFS, EACCES)
    cgroup: dict[str, Any]  # version, memory_bytes, memory_swap_bytes, pids, cpu_*
    rlimits: dict[str, list[int | None]]  # name -> [soft, hard]
    interfaces: list[str]
    routes: list[dict[str, str]]
    devices: dict[str, str]  # name under /dev -> char, block, dir, link, ...
    env: dict[str, str]  # secret-looking values already redacted inside
    hostname: str
    kernel: str
    cwd: str
    raw_status: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def writable_paths(self) -> list[str]:
        return [path for path, answer in self.writable.items() if answer == "writable"]

    @property
    def block_devices(self) -> list[str]:
        return [name for name, kind in self.devices.items() if kind == "block"]

    def mount(self, target: str) -> dict[str, Any] | None:
        """The mount at exactly `target` (the last one wins, as in the kernel), or None."""
        found = [m for m in self.mounts if m["target"] == target]
        return found[-1] if found else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw_status")
        data["writable_paths"] = self.writable_paths
        return data


def probe(limits: Limits, *, image: str | None = None, env: dict[str, str] | None = None) -> ProbeReport:
    """Run the probe program under `limits` (with `env`, as `run` would) and decode what it saw."""

    result = run(PROGRAM, limits, image=image, env=env)
    if result.status != "ok":
        detail = result.message + (f" ({result.stopped_by})" if result.stopped_by else "")
        raise SandboxError(
            f"The probe program did not finish under profile {limits.name!r}: {detail}.",
            hint="Run it again with --json, or check 'python -m sandbox doctor'.",
        )
    try:
        raw = json.loads(result.stdout)
    except ValueError as exc:
        raise SandboxError(f"The probe printed something that is not JSON: {result.stdout[:200]!r}") from exc
    return parse(raw, limits.name)


def parse(raw: dict[str, Any], profile: str = "custom") -> ProbeReport:
    """Decode the probe program's raw JSON into a report (pure: unit-testable)."""
    status = raw.get("status", {})
    return ProbeReport(
        profile=profile,
        user={k: raw.get(k) for k in ("uid", "gid", "euid", "egid", "groups")},
        capabilities={name: decode_caps(status.get(key)) for name, key in CAP_SETS.items()},
        seccomp_mode=_int(status.get("Seccomp")),
        seccomp_filters=_int(status.get("Seccomp_filters")),
        seccomp_denies_personality=raw.get("personality_refused"),
        no_new_privs=None if status.get("NoNewPrivs") is None else status["NoNewPrivs"] == "1",
        mounts=[_mount(m) for m in raw.get("mounts", [])],
        writable=dict(raw.get("writable", {})),
        cgroup=decode_cgroup(raw.get("cgroup", {})),
        rlimits={k: [_limit(v[0]), _limit(v[1])] for k, v in raw.get("rlimits", {}).items()},
        interfaces=list(raw.get("interfaces", [])),
        routes=[r for r in map(decode_route, raw.get("routes", [])) if r]
        + [r for r in map(decode_route6, raw.get("routes6", [])) if r],
        devices={k: DEVICE_KINDS.get(v, v) for k, v in raw.get("devices", {}).items()},
        env=dict(raw.get("env", {})),
        hostname=raw.get("hostname", ""),
        kernel=raw.get("kernel", ""),
        cwd=raw.get("cwd", ""),
        raw_status={k: status[k] for k in ("Seccomp", "NoNewPrivs", *CAP_SETS.values()) if k in status},
    )


def decode_caps(mask: str | None) -> list[str]:
    """A /proc capability mask ("00000000a80425fb") as capability names, lowest bit first."""
    if not mask:
        return []
    value = int(mask, 16)
    return [
        CAPABILITIES[bit] if bit < len(CAPABILITIES) else f"CAP_{bit}"
        for bit in range(value.bit_length())
        if value >> bit & 1
    ]


def decode_cgroup(raw: dict[str, Any]) -> dict[str, Any]:
    """Limits in bytes, processes and microseconds; None where there is no limit."""
    memory = _limit(raw.get("memory"))
    if raw.get("version") == 2:
        # v2 limits swap on its own; Docker's --memory-swap is memory plus swap.
        swap = _limit(raw.get("swap"))
        memory_swap = memory + swap if memory is not None and swap is not None else None
    else:
        memory_swap = _limit(raw.get("memsw"))
    return {
        "version": raw.get("version"),
        "memory_bytes": memory,
        "memory_swap_bytes": memory_swap,
        "pids": _limit(raw.get("pids")),
        "cpu_quota_us": _limit(raw.get("cpu_quota")),
        "cpu_period_us": _limit(raw.get("cpu_period")),
    }


def decode_route(line: str) -> dict[str, str] | None:
    """One usable row of /proc/net/route (addresses in little-endian hex), else None."""
    parts = line.split()
    if len(parts) < 8 or not _usable(parts[3]):
        return None
    return {
        "family": "ipv4",
        "interface": parts[0],
        "destination": _ipv4(parts[1]),
        "gateway": _ipv4(parts[2]),
        "mask": _ipv4(parts[7]),
    }


def decode_route6(line: str) -> dict[str, str] | None:
    """One usable row of /proc/net/ipv6_route, else None."""
    parts = line.split()
    if len(parts) < 10 or not _usable(parts[8]):
        return None
    return {
        "family": "ipv6",
        "interface": parts[9],
        "destination": f"{_ipv6(parts[0])}/{int(parts[1], 16)}",
        "gateway": _ipv6(parts[4]),
    }


RTF_UP, RTF_REJECT = 0x1, 0x200


def _usable(flags_hex: str) -> bool:
    """A route that is up and not the kernel's built-in "unreachable" placeholder."""
    flags = int(flags_hex, 16)
    return bool(flags & RTF_UP) and not flags & RTF_REJECT


def _ipv4(hex_le: str) -> str:
    return socket.inet_ntoa(struct.pack("<I", int(hex_le, 16)))


def _ipv6(hex_be: str) -> str:
    return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hex_be))


def _mount(raw: dict[str, Any]) -> dict[str, Any]:
    options = raw.get("options", "").split(",")
    return {
        **raw,
        "read_only": "ro" in options,
        "noexec": "noexec" in options,
        "size_bytes": _tmpfs_size(raw.get("super", "")),
    }


def _tmpfs_size(super_options: str) -> int | None:
    """A tmpfs's size= option ("size=16384k") in bytes."""
    match = re.search(r"(?:^|,)size=(\d+)([kmg]?)", super_options)
    if not match:
        return None
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _limit(value: Any) -> int | None:
    """A limit as an int, or None for "max", -1 (RLIM_INFINITY, no CFS quota) or cgroup v1's huge."""
    if value is None or value == "max":
        return None
    number = _int(value)
    if number is None or number < 0 or number >= UNLIMITED_FROM:
        return None
    return number


# -- presentation -------------------------------------------------------------------------------


def rows(report: ProbeReport) -> list[tuple[str, str, str]]:
    """(section, fact, value) lines for a table, in reading order."""
    cg, caps = report.cgroup, report.capabilities
    tmp = report.mount("/tmp")
    root = report.mount("/")
    out = [
        ("identity", "user", f"uid {report.user['uid']} gid {report.user['gid']} groups {report.user['groups']}"),
        ("identity", "hostname / kernel", f"{report.hostname} / {report.kernel}"),
        ("privileges", "effective capabilities", _names(caps["effective"])),
        ("privileges", "bounding capabilities", _names(caps["bounding"])),
        (
            "privileges",
            "seccomp",
            f"mode {report.seccomp_mode} ({_SECCOMP.get(report.seccomp_mode, '?')}), "
            f"{report.seccomp_filters} filter(s)",
        ),
        ("privileges", "seccomp allowlist", _which_filter(report)),
        ("privileges", "no_new_privs", str(report.no_new_privs)),
        ("filesystem", "root", "read-only" if root and root["read_only"] else "WRITABLE"),
        ("filesystem", "/tmp", _mount_line(tmp)),
        ("filesystem", "writable paths", ", ".join(report.writable_paths) or "none"),
        (
            "filesystem",
            "refused paths",
            ", ".join(f"{p} ({e})" for p, e in report.writable.items() if e != "writable") or "none",
        ),
        ("filesystem", "mounts", str(len(report.mounts))),
        (
            "cgroup",
            f"v{cg['version']} memory / memory+swap",
            f"{_mib(cg['memory_bytes'])} / {_mib(cg['memory_swap_bytes'])}",
        ),
        ("cgroup", "pids", _plain(cg["pids"])),
        (
            "cgroup",
            "cpu quota / period",
            f"{_plain(cg['cpu_quota_us'])} / {_plain(cg['cpu_period_us'])} us" + _cpus(cg),
        ),
        ("rlimits", "soft/hard", ", ".join(f"{k} {_plain(s)}/{_plain(h)}" for k, (s, h) in report.rlimits.items())),
        ("network", "interfaces", ", ".join(report.interfaces) or "none"),
        (
            "network",
            "routes",
            "; ".join(f"{r['destination']} via {r['gateway']} dev {r['interface']}" for r in report.routes) or "none",
        ),
        ("devices", f"{len(report.devices)} in /dev", ", ".join(report.devices)),
        ("devices", "block devices", ", ".join(report.block_devices) or "none"),
        ("environment", "variables", ", ".join(sorted(report.env)) or "none"),
    ]
    return out


_SECCOMP: dict[int | None, str] = {0: "off", 1: "strict", 2: "filter"}


def _which_filter(report: ProbeReport) -> str:
    if report.seccomp_mode != 2 or report.seccomp_denies_personality is None:
        return "n/a"
    if report.seccomp_denies_personality:
        return "the kit's (personality() refused)"
    return "not the kit's, e.g. Docker's default (personality() allowed)"


def _names(names: list[str]) -> str:
    return f"{len(names)}: " + ", ".join(names) if names else "none"


def _mount_line(mount: dict[str, Any] | None) -> str:
    if not mount:
        return "no separate mount"
    flags = ["ro" if mount["read_only"] else "rw"] + (["noexec"] if mount["noexec"] else [])
    size = f", size {_mib(mount['size_bytes'])}" if mount["size_bytes"] else ""
    return f"{mount['fstype']} ({', '.join(flags)}{size})"


def _mib(value: int | None) -> str:
    return "unlimited" if value is None else f"{value / 1024 / 1024:g} MiB"


def _plain(value: int | None) -> str:
    return "unlimited" if value is None else str(value)


def _cpus(cg: dict[str, Any]) -> str:
    if cg["cpu_quota_us"] and cg["cpu_period_us"]:
        return f" = {cg['cpu_quota_us'] / cg['cpu_period_us']:g} CPU"
    return ""

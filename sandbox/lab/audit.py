"""audit: check a profile's real container configuration against the CIS Docker Benchmark.

The audit starts a container exactly as the runner would (`sandbox.box.Box`: the same options,
image, labels and network), its supervisor waiting for a program that never comes, reads the engine's
`docker inspect` of it, and removes it in every path. Each finding says which item it is, which
of the kit's controls it belongs to, whether it passed, and the inspect field it was judged on.

Numbering follows the CIS Docker Benchmark v1.6.0, section 5 ("container runtime"), the same
numbering docker-bench-security uses today; older editions (v1.2 to v1.4) number the same items
one lower from 5.3 on (e.g. "privileged" is 5.4 there and 5.5 here). Items about the host or
the daemon (swarm, `docker exec` habits, image freshness) are outside a container's
configuration and not listed. Items the benchmark does not have but a sandbox needs carry the
id prefix "kit".

    >>> from sandbox import PROFILES
    >>> from sandbox.lab.audit import audit
    >>> report = audit(PROFILES["naive"])  # doctest: +ENGINE
    >>> report.failed_ids()  # doctest: +ENGINE
    [...'5.11 memory'...]
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from docker.errors import NotFound

from sandbox import IMAGE, Control, Limits, engine, seccomp
from sandbox.box import Box
from sandbox.options import HOST_FACTS, host_ulimits

from .names import SECRET_NAME

BENCHMARK = "CIS Docker Benchmark v1.6.0, section 5 (container runtime)"

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "n/a"

# Host paths whose presence inside a container hands it the host's configuration, devices,
# kernel interfaces or other containers' data. The engine's socket is judged by 5.32 instead.
SENSITIVE_HOST_PATHS = (
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/proc",
    "/sys",
    "/usr",
    "/root",
    "/run",
    "/var/run",
    "/var/lib/docker",
    "/var/lib/containerd",
)
# The capabilities Docker (and Podman) grant a container by default.
ENGINE_DEFAULT_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
ENGINE_SOCKETS = ("docker.sock", "containerd.sock", "podman.sock")


@dataclass(frozen=True)
class Finding:
    id: str  # "5.5 privileged", or "kit user" for the kit's own items
    control: str | None  # the kit's control this item belongs to, from sandbox.CONTROLS
    status: str  # pass, fail or n/a
    title: str  # what a passing container looks like, in one line
    evidence: str  # the inspect field(s) and value(s) it was judged on, or why n/a

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    profile: str
    findings: list[Finding]
    container: dict[str, str] = field(default_factory=dict)

    def ids(self, status: str) -> list[str]:
        return [f.id for f in self.findings if f.status == status]

    def failed_ids(self) -> list[str]:
        return self.ids(FAIL)

    @property
    def passed(self) -> bool:
        return not self.failed_ids()

    def get(self, item_id: str) -> Finding:
        for finding in self.findings:
            if finding.id == item_id:
                return finding
        raise KeyError(item_id)

    def summary(self) -> str:
        counts = {s: len(self.ids(s)) for s in (PASS, FAIL, NOT_APPLICABLE)}
        return f"{self.profile}: {counts[PASS]} pass, {counts[FAIL]} fail, {counts[NOT_APPLICABLE]} not applicable"

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "benchmark": BENCHMARK,
            "summary": self.summary(),
            "failed": self.failed_ids(),
            "container": self.container,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class Context:
    """What the judgement needs besides the container's inspect document."""

    engine_security: tuple[str, ...] = ()  # `docker info` SecurityOptions
    internal_networks: frozenset[str] = frozenset()  # names of networks with Internal=true
    # Where the engine's Docker-compatible inspect leaves facts out (Podman: masked and
    # read-only paths, the cgroup namespace, the log's size cap), its own records of them: its
    # native inspect document, and the OCI runtime spec it handed runc (a local engine's file).
    engine: str = "docker"
    native: Any = None  # Podman: GET /libpod/containers/ID/json
    spec: Any = None  # Podman: the OCIConfigPath file, or None


# -- running the container ---------------------------------------------------------------------


def audit(limits: Limits, *, image: str | None = None, env: dict[str, str] | None = None) -> AuditReport:
    """Start `limits`' container as the runner would, inspect it, remove it, and judge it."""
    attrs, context = inspect_live(limits, image=image, env=env)
    report = AuditReport(
        limits.name,
        check(attrs, context),
        container={"name": attrs.get("Name", "").lstrip("/"), "image": attrs.get("Config", {}).get("Image", "")},
    )
    return report


def inspect_live(
    limits: Limits, *, image: str | None = None, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], Context]:
    """Start exactly the container a run of `limits` gets (its supervisor waiting for a program
    that never comes), inspect it, remove it."""
    box = Box.start(limits, image=image or IMAGE, role="audit", env=env)
    kind = engine.kind().name
    native = spec = None
    try:
        with engine.translated_errors("inspecting the audited container"):
            attrs = box.api.inspect_container(box.id)
            info = box.api.info()
            internal = _internal_networks(box.client, attrs)
            if kind == "podman":
                native, spec = _podman_records(box.api, box.id)
    finally:
        box.close()
    return attrs, Context(
        tuple(info.get("SecurityOptions") or ()), frozenset(internal), engine=kind, native=native, spec=spec
    )


def engine_records(context: Context, api, container_id: str) -> Context:
    """`context` with the engine's own records of another container (Podman's native inspect and
    OCI spec, which the judgement of that container needs); unchanged on Docker."""
    if context.engine != "podman":
        return context
    native, spec = _podman_records(api, container_id)
    return dataclasses.replace(context, native=native, spec=spec)


def _podman_records(api, container_id: str) -> tuple[dict, dict | None]:
    """Podman's native inspect of the container, and the OCI spec it gave runc where this
    machine can read that file (a local engine; else None, and the items it decides are n/a)."""
    native = api._result(api._get(api._url("/libpod/containers/{0}/json", container_id)), True)
    try:
        with open(native.get("OCIConfigPath") or "", encoding="utf-8") as handle:
            return native, json.load(handle)
    except (OSError, ValueError):
        return native, None


def _internal_networks(client, attrs: dict[str, Any]) -> set[str]:
    internal = set()
    for net in attrs.get("NetworkSettings", {}).get("Networks") or {}:
        if net in ("none", "host", "bridge", "default"):
            continue
        try:
            if client.api.inspect_network(net).get("Internal"):
                internal.add(net)
        except NotFound:
            pass
    return internal


# -- judging ------------------------------------------------------------------------------------

Judge = Callable[[dict[str, Any], dict[str, Any], Context], tuple[str, str]]
ITEMS: list[tuple[str, Control | None, str, Judge]] = []


def item(item_id: str, control: Control | None, title: str):
    """Register a check: judge(attrs, host_config, context) -> (status, evidence)."""

    def register(judge: Judge) -> Judge:
        ITEMS.append((item_id, control, title, judge))
        return judge

    return register


def check(attrs: dict[str, Any], context: Context = Context()) -> list[Finding]:
    """Judge one `docker inspect` document (pure: no engine needed)."""
    host = attrs.get("HostConfig") or {}
    findings = []
    for item_id, control, title, judge in ITEMS:
        status, evidence = judge(attrs, host, context)
        findings.append(Finding(item_id, control, status, title, evidence))
    return findings


def _verdict(ok: bool, evidence: str) -> tuple[str, str]:
    return (PASS if ok else FAIL), evidence


def _field(name: str, value: Any) -> str:
    return f"{name}={json.dumps(value)}"


@item("5.2 apparmor", None, "an AppArmor profile confines the container, where the kernel has AppArmor")
def _apparmor(attrs, host, ctx):
    if not any("apparmor" in opt for opt in ctx.engine_security):
        return NOT_APPLICABLE, (
            "AppArmor is not enabled on this kernel (engine SecurityOptions: "
            f"{', '.join(ctx.engine_security) or 'none'})"
        )
    profile = attrs.get("AppArmorProfile", "")
    return _verdict(
        profile not in ("", "unconfined") and not host.get("Privileged"), _field("AppArmorProfile", profile)
    )


@item("5.3 selinux", None, "SELinux labels confine the container, where the engine enforces SELinux")
def _selinux(attrs, host, ctx):
    if not any("selinux" in opt for opt in ctx.engine_security):
        return NOT_APPLICABLE, "the engine does not enforce SELinux on this host"
    labels = [o for o in host.get("SecurityOpt") or [] if o.startswith("label")]
    return _verdict(bool(labels) and "label=disable" not in labels, _field("HostConfig.SecurityOpt(label)", labels))


@item("5.4 capabilities", Control.CAPABILITIES, "every Linux capability dropped and none added back")
def _capabilities(attrs, host, ctx):
    drop, add = host.get("CapDrop") or [], host.get("CapAdd") or []
    privileged = bool(host.get("Privileged"))
    # Docker records ["ALL"]; Podman names each capability it would have granted, and the
    # fact is the same when those cover every one an engine grants by default.
    names = {c.upper().removeprefix("CAP_") for c in drop}
    ok = ("ALL" in names or names >= ENGINE_DEFAULT_CAPS) and not add and not privileged
    evidence = f"{_field('HostConfig.CapDrop', drop)}, {_field('HostConfig.CapAdd', add)}"
    return _verdict(ok, evidence + (" (Privileged grants every capability)" if privileged else ""))


@item("5.5 privileged", None, "not privileged (privileged lifts nearly every isolation layer)")
def _privileged(attrs, host, ctx):
    return _verdict(not host.get("Privileged"), _field("HostConfig.Privileged", bool(host.get("Privileged"))))


@item("5.6 sensitive-mounts", None, "no host system directory is mounted into the container")
def _sensitive_mounts(attrs, host, ctx):
    found = [
        f"{m.get('Source')} -> {m.get('Destination')} ({'rw' if m.get('RW') else 'ro'})"
        for m in attrs.get("Mounts") or []
        if _is_sensitive(m.get("Source") or "") and not _is_kit_file(m)
    ]
    return _verdict(not found, _field("Mounts(sensitive)", found))


def _is_kit_file(mount: dict[str, Any]) -> bool:
    """The kit's own /etc/hosts or /etc/resolv.conf for a run without a network, bound read-only
    from its cache folder, which may be under a home folder such as /root."""
    ours = {"/etc/hosts": engine.hosts_file(), "/etc/resolv.conf": engine.resolv_file()}
    destination = mount.get("Destination")
    return destination in ours and not mount.get("RW") and mount.get("Source") == ours[destination]


@item("5.9 published-ports", None, "no container port is published on the host")
def _ports(attrs, host, ctx):
    bindings = {k: v for k, v in (host.get("PortBindings") or {}).items() if v}
    ok = not bindings and not host.get("PublishAllPorts")
    return _verdict(
        ok,
        f"{_field('HostConfig.PortBindings', bindings)}, "
        f"{_field('HostConfig.PublishAllPorts', bool(host.get('PublishAllPorts')))}",
    )


@item("5.10 host-network", Control.NETWORK, "does not share the host's network namespace")
def _host_network(attrs, host, ctx):
    mode = host.get("NetworkMode", "")
    return _verdict(mode != "host", _field("HostConfig.NetworkMode", mode))


@item("5.11 memory", Control.MEMORY, "a memory limit is set")
def _memory(attrs, host, ctx):
    return _verdict((host.get("Memory") or 0) > 0, _field("HostConfig.Memory", host.get("Memory")))


@item("5.12 cpu", Control.CPU, "CPU time is capped (a quota, not only a relative share)")
def _cpu(attrs, host, ctx):
    ok = (host.get("NanoCpus") or 0) > 0 or (host.get("CpuQuota") or 0) > 0
    return _verdict(
        ok,
        ", ".join(_field(f"HostConfig.{k}", host.get(k)) for k in ("NanoCpus", "CpuQuota", "CpuPeriod", "CpuShares")),
    )


@item("5.13 read-only-root", Control.READ_ONLY, "the root filesystem is mounted read-only")
def _read_only(attrs, host, ctx):
    return _verdict(bool(host.get("ReadonlyRootfs")), _field("HostConfig.ReadonlyRootfs", host.get("ReadonlyRootfs")))


@item("5.15 restart-policy", None, "never restarted in a loop (no policy, or on-failure at most 5 times)")
def _restart(attrs, host, ctx):
    policy = host.get("RestartPolicy") or {}
    name, count = policy.get("Name") or "no", policy.get("MaximumRetryCount") or 0
    ok = name == "no" or (name == "on-failure" and 0 < count <= 5)
    return _verdict(ok, _field("HostConfig.RestartPolicy", policy))


@item("5.16 host-pid", None, "does not share the host's process namespace")
def _host_pid(attrs, host, ctx):
    return _namespace(host, "PidMode")


@item("5.17 host-ipc", None, "does not share the host's IPC namespace")
def _host_ipc(attrs, host, ctx):
    return _namespace(host, "IpcMode")


@item("5.18 devices", None, "no host device is passed into the container")
def _devices(attrs, host, ctx):
    devices = [d.get("PathOnHost") for d in host.get("Devices") or []]
    privileged = bool(host.get("Privileged"))
    evidence = _field("HostConfig.Devices", devices) + (" (Privileged exposes every host device)" if privileged else "")
    return _verdict(not devices and not privileged, evidence)


@item("5.19 ulimits", Control.ULIMITS, "per-process limits are set for the container (at least open files)")
def _ulimits(attrs, host, ctx):
    # Docker says "nofile", Podman "RLIMIT_NOFILE".
    limits = {
        u.get("Name", "").lower().removeprefix("rlimit_"): [u.get("Soft"), u.get("Hard")]
        for u in host.get("Ulimits") or []
    }
    # The kit always sends nofile (Podman needs it); the host's own value is no limit at all.
    given = list(host_ulimits()["nofile"])
    return _verdict("nofile" in limits and limits["nofile"] != given, _field("HostConfig.Ulimits", limits))


@item("5.20 mount-propagation", None, "no mount propagates to or from the host (not shared)")
def _propagation(attrs, host, ctx):
    shared = [
        f"{m.get('Destination')}: {m.get('Propagation')}"
        for m in attrs.get("Mounts") or []
        if (m.get("Propagation") or "").lstrip("r") == "shared"
    ]
    return _verdict(not shared, _field("Mounts(Propagation=shared)", shared))


@item("5.21 host-uts", None, "does not share the host's UTS namespace (hostname)")
def _host_uts(attrs, host, ctx):
    return _namespace(host, "UTSMode")


@item("5.22 seccomp", Control.SECCOMP, "a seccomp filter is applied (not unconfined)")
def _seccomp(attrs, host, ctx):
    opts = [o for o in host.get("SecurityOpt") or [] if o.startswith("seccomp")]
    unconfined = any(o.split("=", 1)[-1].split(":", 1)[-1] == "unconfined" for o in opts)
    privileged = bool(host.get("Privileged")) and ctx.engine != "podman"  # Podman keeps the filter
    shown = ["seccomp=<custom profile>" if _is_json_profile(o) else o for o in opts] or ["(engine default)"]
    evidence = _field("HostConfig.SecurityOpt(seccomp)", shown)
    if privileged:
        evidence += " (Privileged: the engine applies no seccomp filter at all)"
    return _verdict(not unconfined and not privileged, evidence)


@item("5.25 cgroup-parent", None, "runs in the engine's own cgroup tree, not a custom parent")
def _cgroup_parent(attrs, host, ctx):
    return _verdict(not host.get("CgroupParent"), _field("HostConfig.CgroupParent", host.get("CgroupParent", "")))


@item(
    "5.26 no-new-privileges", Control.NO_NEW_PRIVILEGES, "processes cannot gain privileges (setuid, file capabilities)"
)
def _no_new_privileges(attrs, host, ctx):
    opts = [o for o in host.get("SecurityOpt") or [] if o.startswith("no-new-privileges")]
    ok = any(o in ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true") for o in opts)
    return _verdict(ok, _field("HostConfig.SecurityOpt(no-new-privileges)", opts))


@item("5.27 health-check", None, "a health check watches a long-running service")
def _health(attrs, host, ctx):
    return NOT_APPLICABLE, "a sandbox runs one short program under a host-side timeout; there is no service to watch"


@item("5.29 pids-limit", Control.PIDS, "the number of processes and threads is capped")
def _pids(attrs, host, ctx):
    return _verdict((host.get("PidsLimit") or 0) > 0, _field("HostConfig.PidsLimit", host.get("PidsLimit")))


@item(
    "5.30 default-bridge", Control.NETWORK, "not on a network that routes past this machine (docker0 or a plain bridge)"
)
def _bridge(attrs, host, ctx):
    mode = host.get("NetworkMode", "")
    if mode == "none":
        return PASS, _field("HostConfig.NetworkMode", mode)
    networks = sorted((attrs.get("NetworkSettings") or {}).get("Networks") or {})
    routed = [n for n in networks if n not in ctx.internal_networks and n != "none"]
    return _verdict(
        not routed,
        f"{_field('HostConfig.NetworkMode', mode)}, "
        f"internal: {sorted(ctx.internal_networks & set(networks))}, routed: {routed}",
    )


@item("5.31 host-userns", None, "does not share the host's user namespace mode")
def _host_userns(attrs, host, ctx):
    return _namespace(host, "UsernsMode")


@item("5.32 docker-socket", None, "the container engine's socket is not mounted into the container")
def _docker_socket(attrs, host, ctx):
    found = [
        f"{m.get('Source')} -> {m.get('Destination')}"
        for m in attrs.get("Mounts") or []
        if _is_engine_socket(m.get("Source") or "") or _is_engine_socket(m.get("Destination") or "")
    ]
    return _verdict(not found, _field("Mounts(engine socket)", found))


@item("kit timeout", Control.TIMEOUT, "a wall-clock limit ends the run")
def _timeout(attrs, host, ctx):
    return NOT_APPLICABLE, "enforced by the runner's host-side clock, so not part of the container's configuration"


@item("kit swap", Control.MEMORY, "memory+swap equals memory, so a program cannot spill into swap")
def _swap(attrs, host, ctx):
    memory, swap = host.get("Memory") or 0, host.get("MemorySwap") or 0
    return _verdict(
        memory > 0 and swap == memory, f"{_field('HostConfig.Memory', memory)}, {_field('HostConfig.MemorySwap', swap)}"
    )


@item("kit network-none", Control.NETWORK, "no network interface but loopback")
def _network_none(attrs, host, ctx):
    mode = host.get("NetworkMode", "")
    note = (
        " (the kit's internal network: only its target container is reachable)"
        if (mode in ctx.internal_networks)
        else ""
    )
    return _verdict(mode == "none", _field("HostConfig.NetworkMode", mode) + note)


@item("kit user", Control.USER, "the program runs as a non-root user")
def _user(attrs, host, ctx):
    user = (attrs.get("Config") or {}).get("User") or ""
    name = user.split(":", 1)[0]
    return _verdict(
        name not in ("", "0", "root"), _field("Config.User", user) + (" (image default: root)" if not user else "")
    )


@item("kit seccomp-allowlist", Control.SECCOMP, "the kit's own seccomp allowlist, stricter than Docker's default")
def _kit_seccomp(attrs, host, ctx):
    opts = [o for o in host.get("SecurityOpt") or [] if o.startswith("seccomp")]
    kit = seccomp.profile(host.get("Runtime") or "runc")  # gVisor's variant leaves clone3 to its kernel
    profiles = [_parse_profile(o) for o in opts if _is_json_profile(o) or _is_profile_file(o)]
    dropped = host.get("Privileged") and ctx.engine != "podman"  # Podman keeps a profile it was given
    ok = kit in profiles and not dropped
    shown = ["<the kit's profile>" if p == kit else "<another custom profile>" for p in profiles]
    evidence = _field("HostConfig.SecurityOpt(seccomp)", shown or opts or ["(engine default)"])
    if dropped:
        evidence += " (Privileged: not applied)"
    return _verdict(ok, evidence)


@item("kit env-secrets", None, "no secret-looking variable in the container's environment")
def _env(attrs, host, ctx):
    # Sorted: Podman's inspect gives the variables in no fixed order.
    names = sorted(e.split("=", 1)[0] for e in (attrs.get("Config") or {}).get("Env") or [])
    secret = [n for n in names if SECRET_NAME.search(n)]
    return _verdict(not secret, _field("Config.Env(names)", secret or names))


@item("kit log-cap", Control.OUTPUT_CAP, "the engine's own copy of the output is size-capped")
def _log_cap(attrs, host, ctx):
    log = host.get("LogConfig") or {}
    kind, config = log.get("Type", ""), log.get("Config") or {}
    if ctx.engine == "podman" and kind != "none":
        # Podman's Docker-compatible inspect drops the log options; its own records the cap.
        size = ((ctx.native or {}).get("HostConfig") or {}).get("LogConfig", {}).get("Size", "")
        return _verdict(
            size not in ("", "0B"),
            _field("libpod HostConfig.LogConfig.Size", size)
            + " (Podman's Docker-compatible inspect does not record max-size)",
        )
    ok = kind == "none" or (kind in ("json-file", "local") and bool(config.get("max-size")))
    return _verdict(ok, _field("HostConfig.LogConfig", {"Type": kind, "Config": config}))


@item("kit tmpfs-size", Control.READ_ONLY, "every writable tmpfs has a size cap")
def _tmpfs(attrs, host, ctx):
    tmpfs = host.get("Tmpfs") or {}
    shm = f", HostConfig.ShmSize={host.get('ShmSize')} (/dev/shm, Docker's own)"
    if not tmpfs:
        return NOT_APPLICABLE, "no tmpfs mounted" + shm
    uncapped = [path for path, opts in tmpfs.items() if "size=" not in opts]
    return _verdict(not uncapped, _field("HostConfig.Tmpfs", tmpfs) + shm)


@item("kit dev-read-only", Control.READ_ONLY, "/dev is read-only too (nothing can be written or run there)")
def _dev_read_only(attrs, host, ctx):
    if ctx.engine == "podman":
        return _from_spec(ctx, "readonlyPaths", lambda paths: "/dev" in paths, "(/dev)")
    paths = host.get("ReadonlyPaths") or []
    return _verdict("/dev" in paths, _field("HostConfig.ReadonlyPaths(/dev)", "/dev" in paths))


@item("kit host-views", Control.HOST_VIEWS, "the host's facts are masked and the cgroup namespace is private")
def _host_views(attrs, host, ctx):
    if ctx.engine == "podman":
        if ctx.spec is None:
            return NOT_APPLICABLE, _SPEC_UNREAD
        linux = ctx.spec.get("linux") or {}
        missing = [p for p in HOST_FACTS if p not in (linux.get("maskedPaths") or [])]
        private = any(n.get("type") == "cgroup" and not n.get("path") for n in linux.get("namespaces") or [])
        return _verdict(
            not missing and private,
            f"OCI spec linux.namespaces(cgroup)={json.dumps(private)}, not masked: {missing or 'none'} "
            "(Podman's inspect records neither masks nor CgroupnsMode; judged on the spec runc got)",
        )
    masked = set(host.get("MaskedPaths") or [])
    missing = [p for p in HOST_FACTS if p not in masked]
    mode = host.get("CgroupnsMode") or ""
    return _verdict(
        not missing and mode == "private", f"{_field('HostConfig.CgroupnsMode', mode)}, not masked: {missing or 'none'}"
    )


@item("kit no-ptys", Control.PTYS, "no pseudo-terminal can be opened (/dev/pts is masked)")
def _no_ptys(attrs, host, ctx):
    if host.get("Runtime") == "runsc":  # gVisor does not apply masked paths: an empty read-only tmpfs
        mount = (host.get("Tmpfs") or {}).get("/dev/pts")
        return _verdict(mount is not None and mount.startswith("ro"), _field("HostConfig.Tmpfs(/dev/pts)", mount))
    if ctx.engine == "podman":
        return _from_spec(ctx, "maskedPaths", lambda paths: "/dev/pts" in paths, "(/dev/pts)")
    masked = "/dev/pts" in (host.get("MaskedPaths") or [])
    return _verdict(masked, _field("HostConfig.MaskedPaths(/dev/pts)", masked))


_SPEC_UNREAD = (
    "Podman's inspect does not record masked or read-only paths nor the cgroup namespace, "
    "and the OCI spec it gave runc is not readable from here (a remote engine)"
)


def _from_spec(ctx: Context, key: str, ok: Callable[[list], bool], what: str) -> tuple[str, str]:
    """Judge a path list Podman's inspect does not record on the OCI spec runc was given."""
    if ctx.spec is None:
        return NOT_APPLICABLE, _SPEC_UNREAD
    found = ok((ctx.spec.get("linux") or {}).get(key) or [])
    return _verdict(
        found,
        _field(f"OCI spec linux.{key}{what}", found)
        + " (Podman's inspect does not record it; judged on the spec runc got)",
    )


@item("kit runtime", Control.RUNTIME, "a second kernel in between: the container runs under gVisor's runsc")
def _runtime(attrs, host, ctx):
    runtime = host.get("Runtime") or "runc"
    if runtime != "runsc":
        return NOT_APPLICABLE, (
            f"{_field('HostConfig.Runtime', runtime)}: the host's kernel answers "
            "(an extra layer: the gvisor profile adds gVisor's)"
        )
    return PASS, _field("HostConfig.Runtime", runtime)


def _namespace(host: dict[str, Any], key: str) -> tuple[str, str]:
    mode = host.get(key, "")
    return _verdict(mode != "host", _field(f"HostConfig.{key}", mode))


def _is_sensitive(source: str) -> bool:
    if not source or _is_engine_socket(source):
        return False
    path = os.path.normpath(source)
    return path == "/" or any(path == p or path.startswith(p + "/") for p in SENSITIVE_HOST_PATHS)


def _is_engine_socket(path: str) -> bool:
    return os.path.basename(path.rstrip("/")) in ENGINE_SOCKETS


def _is_json_profile(option: str) -> bool:
    return option.startswith("seccomp=") and option[len("seccomp=") :].lstrip().startswith("{")


def _is_profile_file(option: str) -> bool:
    """seccomp=/path: how an engine that takes a path (Podman) records the profile."""
    return option.startswith("seccomp=/") and os.path.isfile(option[len("seccomp=") :])


def _parse_profile(option: str) -> Any:
    text = option[len("seccomp=") :]
    try:
        if not text.lstrip().startswith("{"):
            with open(text, encoding="utf-8") as handle:
                text = handle.read()
        return json.loads(text)
    except (OSError, ValueError):
        return None

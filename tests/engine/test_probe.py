"""The probe, run inside the real sandbox: the hardened values, and each control's one fact.

The facts come from the kernel inside the container (/proc, cgroup files, /dev), not from our
own options, so these tests check what the engine really applied.
"""

import json
import subprocess
import sys

import pytest

from sandbox import PROFILES, RUNNER_UIDS, engine, run, uids
from sandbox.lab.probe import PROGRAM, parse, probe

H = PROFILES["hardened"]
MIB = 1024 * 1024
# Docker's default capability set (what --cap-drop ALL removes), as the kernel names them.
DOCKER_DEFAULT_CAPS = {
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SYS_CHROOT",
    "MKNOD",
    "AUDIT_WRITE",
    "SETFCAP",
}


@pytest.fixture(scope="module")
def hardened():
    return probe(H)


def facts(report):
    """The facts each control is responsible for, flattened so two reports can be diffed."""
    tmp = report.mount("/tmp") or {}
    return {
        "uid": report.user["uid"],
        "cap_effective": tuple(report.capabilities["effective"]),
        "cap_bounding": tuple(report.capabilities["bounding"]),
        "seccomp_mode": report.seccomp_mode,
        "seccomp_kit_allowlist": report.seccomp_denies_personality,
        "no_new_privs": report.no_new_privs,
        "root_read_only": report.mount("/")["read_only"],
        "writable": tuple(report.writable_paths),
        "tmp": (tmp.get("fstype"), tmp.get("noexec"), tmp.get("size_bytes")),
        "memory": report.cgroup["memory_bytes"],
        "memory_swap": report.cgroup["memory_swap_bytes"],
        "pids": report.cgroup["pids"],
        "cpu_quota": report.cgroup["cpu_quota_us"],
        "rlimits": tuple(tuple(report.rlimits[n]) for n in ("nofile", "fsize", "core")),
        "interfaces": tuple(report.interfaces),
        "routes": len(report.routes),
    }


def test_hardened_privileges(hardened):
    assert hardened.raw_status["CapEff"] == "0000000000000000"
    assert hardened.raw_status["CapBnd"] == "0000000000000000"
    assert hardened.capabilities == {k: [] for k in ("effective", "permitted", "bounding", "inheritable", "ambient")}
    assert hardened.seccomp_mode == 2 and hardened.seccomp_filters >= 1
    assert hardened.seccomp_denies_personality is True  # the kit's allowlist, not Docker's
    assert hardened.no_new_privs is True
    uid = hardened.user["uid"]  # leased per run (distinct_uid)
    assert uid in RUNNER_UIDS and hardened.user == {"uid": uid, "gid": uid, "euid": uid, "egid": uid, "groups": [uid]}


def test_hardened_filesystem(hardened):
    root, tmp = hardened.mount("/"), hardened.mount("/tmp")
    assert root["read_only"]
    assert tmp["fstype"] == "tmpfs" and tmp["noexec"] and not tmp["read_only"]
    assert 0 < tmp["size_bytes"] <= 16 * MIB
    assert hardened.writable["/"] == "EROFS" and hardened.writable["/var/tmp"] == "EROFS"
    assert hardened.writable["/home"] == "EROFS"
    # Besides /tmp, Docker's private IPC namespace brings its own /dev/shm tmpfs (noexec, charged
    # to the memory cgroup). It is writable: multiprocessing needs it for semaphores. The kit caps
    # it like /tmp instead of Docker's 64 MiB.
    assert hardened.writable_paths == ["/tmp", "/dev/shm"]
    shm = hardened.mount("/dev/shm")
    assert shm["fstype"] == "tmpfs" and shm["noexec"] and shm["size_bytes"] == 16 * MIB


def test_hardened_cgroup_and_rlimits(hardened):
    cg = hardened.cgroup
    assert cg["memory_bytes"] == 128 * MIB and cg["memory_swap_bytes"] == cg["memory_bytes"]
    assert cg["pids"] == 64
    assert cg["cpu_quota_us"] * 2 == cg["cpu_period_us"]  # 0.5 CPU
    assert hardened.rlimits["nofile"] == [256, 256]
    assert hardened.rlimits["fsize"] == [8 * MIB, 8 * MIB] and hardened.rlimits["core"] == [0, 0]


def test_hardened_network_devices_and_identity(hardened):
    # Nothing but loopback (Docker 25 and later also route ::1 on it).
    assert hardened.interfaces == ["lo"] and [r for r in hardened.routes if r["interface"] != "lo"] == []
    assert hardened.block_devices == []
    assert set(hardened.devices) <= {
        "fd",
        "full",
        "mqueue",
        "null",
        "ptmx",
        "pts",
        "random",
        "shm",
        "stderr",
        "stdin",
        "stdout",
        "tty",
        "urandom",
        "zero",
    }
    assert hardened.hostname == "sandbox" and hardened.kernel and hardened.cwd == "/tmp"


# What removing each control changes, and nothing else.
CHANGES = {
    "network": {"interfaces", "routes"},
    "user": {"uid"},
    "capabilities": {"cap_bounding"},
    "seccomp": {"seccomp_kit_allowlist"},
    "no_new_privileges": {"no_new_privs"},
    "read_only": {"root_read_only", "writable"},
    "memory": {"memory", "memory_swap"},
    "pids": {"pids"},
    "cpu": {"cpu_quota"},
    "ulimits": {"rlimits"},
}


@pytest.mark.parametrize("control", sorted(CHANGES))
def test_without_a_control_exactly_its_facts_change(hardened, control):
    before, after = facts(hardened), facts(probe(H.without(control)))
    # Each run leases a uid of its own from the runner range: which one is no fact of the control.
    for side in (before, after):
        if side.get("uid") in RUNNER_UIDS:
            side["uid"] = "a runner uid"
    changed = {key for key in before if before[key] != after[key]}
    expected = CHANGES[control]
    if control == "network" and not engine.kind().internal_gateway:
        expected = {"interfaces"}  # Podman's internal network: no gateway, so no default route added
    assert changed == expected, {k: (before[k], after[k]) for k in changed | expected}


def test_what_each_removed_control_looks_like():
    """The values behind the diffs above, for the controls the brief names."""
    assert probe(H.without("network")).interfaces == ["lo", "eth0"]
    assert probe(H.without("user")).user["uid"] == 0
    unbounded = probe(H.without("capabilities"))
    assert set(unbounded.capabilities["bounding"]) == DOCKER_DEFAULT_CAPS
    assert unbounded.capabilities["effective"] == []  # non-root: none in effect
    # Removing the kit's seccomp control falls back to Docker's default filter: still mode 2.
    docker_default = probe(H.without("seccomp"))
    assert docker_default.seccomp_mode == 2 and docker_default.seccomp_denies_personality is False


def test_seed_profile():
    seed = probe(PROFILES["seed"])
    assert seed.user["uid"] == uids.shared().uid and seed.cgroup["memory_bytes"] == 128 * MIB
    assert set(seed.capabilities["bounding"]) == DOCKER_DEFAULT_CAPS and seed.no_new_privs is False
    # No tmpfs: with a read-only root the working directory is not writable at all. (Podman adds
    # a tmpfs of its own there, which the kit mounts read-only: sandbox.engine.Kind.read_only_tmpfs.)
    if "/tmp" in engine.kind().read_only_tmpfs:
        assert seed.mount("/tmp")["fstype"] == "tmpfs" and seed.mount("/tmp")["read_only"]
    else:
        assert seed.mount("/tmp") is None
    assert seed.writable["/tmp"] == "EROFS"
    assert seed.interfaces == ["lo"]


def test_naive_profile():
    naive = probe(PROFILES["naive"])
    assert naive.user["uid"] == 0
    assert set(naive.capabilities["effective"]) == DOCKER_DEFAULT_CAPS
    assert not naive.mount("/")["read_only"] and "/" in naive.writable_paths
    assert naive.cgroup["memory_bytes"] is None and naive.cgroup["pids"] is None
    assert naive.cgroup["cpu_quota_us"] is None
    assert "eth0" in naive.interfaces and naive.seccomp_mode == 2


def test_privileged_turns_seccomp_off_whatever_inspect_says():
    """A misconfiguration the probe sees and `docker inspect` does not: seccomp is dropped."""
    report = probe(H.replace(privileged=True))
    # Docker drops every filter; Podman keeps the kit's profile (sandbox.engine.Kind).
    assert report.seccomp_mode == (0 if engine.kind().privileged_drops_seccomp else 2)
    assert len(report.capabilities["bounding"]) > len(DOCKER_DEFAULT_CAPS)
    assert report.block_devices  # the host's disks appear in /dev
    assert report.capabilities["effective"] == []  # but the non-root user holds none of them


def test_secret_looking_values_never_leave_the_sandbox():
    report = probe(H, env={"API_TOKEN": "tok-123456", "DB_PASSWORD": "hunter2", "COLOR": "blue"})
    assert report.env["API_TOKEN"] == report.env["DB_PASSWORD"] == "<redacted>"
    assert report.env["COLOR"] == "blue"
    dumped = json.dumps(report.to_dict())
    assert "tok-123456" not in dumped and "hunter2" not in dumped


def test_the_write_test_leaves_nothing_behind():
    r = run(PROGRAM + "\nimport os\nprint(json.dumps(sorted(os.listdir('/tmp'))))\n", H.without("read_only"))
    report_line, listing = r.stdout.strip().splitlines()
    assert parse(json.loads(report_line)).writable["/tmp"] == "writable"
    assert json.loads(listing) == ["out"]  # only the run's output folder, which the supervisor makes


def test_cli_prints_json_and_a_table(child_env):
    cmd = [sys.executable, "-m", "sandbox", "probe"]
    out = subprocess.run(
        [*cmd, "--json", "--without", "network"], capture_output=True, text=True, timeout=60, env=child_env()
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["profile"] == "hardened without network" and data["interfaces"] == ["lo", "eth0"]
    table = subprocess.run(
        [*cmd, "--profile", "seed"], capture_output=True, text=True, timeout=60, env=child_env(COLUMNS="160")
    )
    assert table.returncode == 0, table.stderr
    assert "profile: seed" in table.stdout and "128 MiB / 128 MiB" in table.stdout

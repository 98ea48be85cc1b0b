"""Each control becomes the engine option it promises (checked again on real containers by the audit)."""

import json

import pytest

from sandbox import PROFILES, Limits, Mount
from sandbox.options import RUNNER_UID, container_options, host_ulimits

HARDENED = PROFILES["hardened"]


def options(limits: Limits, **kw):
    kw.setdefault("network_name", "safe-python-net-test")
    return container_options(limits, image="img", command=["python3"], labels={"l": "1"}, **kw)


def test_hardened_options():
    o = options(HARDENED)
    assert o["mem_limit"] == 128 * 1024 * 1024 == o["memswap_limit"]
    assert o["pids_limit"] == 64
    assert o["nano_cpus"] == 500_000_000
    assert o["network_mode"] == "none" and o["network_disabled"] is True  # no engine network set-up
    assert o["read_only"] is True
    assert o["tmpfs"]["/tmp"].startswith("rw,nosuid,nodev,noexec,size=16m")
    assert o["shm_size"] == 16 * 1024 * 1024
    assert o["user"] == f"{RUNNER_UID}:{RUNNER_UID}"
    assert o["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in o["security_opt"]
    seccomp = [s for s in o["security_opt"] if s.startswith("seccomp=")]
    assert len(seccomp) == 1 and json.loads(seccomp[0][len("seccomp=") :])["defaultAction"] == "SCMP_ACT_ERRNO"
    assert {u["Name"]: u["Soft"] for u in o["ulimits"]} == {
        "nofile": 256,
        "fsize": 8 * 1024 * 1024,
        "core": 0,
        "nproc": host_ulimits()["nproc"][0],
    }
    assert o["log_config"]["Config"] == {"max-size": "1m", "max-file": "1"}
    assert o["privileged"] is False and "volumes" not in o and "cap_add" not in o
    assert o["init"] is True


@pytest.mark.parametrize(
    "control, key, check",
    [
        ("memory", "mem_limit", lambda o: "mem_limit" not in o and "memswap_limit" not in o),
        ("pids", "pids_limit", lambda o: "pids_limit" not in o),
        ("cpu", "nano_cpus", lambda o: "nano_cpus" not in o),
        (
            "network",
            "network",
            lambda o: (
                o["network"] == "safe-python-net-test"
                and o["dns"] == ["127.0.0.1"]
                and "network_mode" not in o
                and "network_disabled" not in o
            ),
        ),
        ("read_only", "read_only", lambda o: o["read_only"] is False),
        ("user", "user", lambda o: o["user"] == "0:0"),
        ("capabilities", "cap_drop", lambda o: "cap_drop" not in o),
        ("no_new_privileges", "security_opt", lambda o: not any("no-new-privileges" in s for s in o["security_opt"])),
        ("seccomp", "security_opt", lambda o: not any(s.startswith("seccomp=") for s in o["security_opt"])),
        # nofile and nproc stay explicit (Podman needs them), at what the engine gives anyway.
        ("ulimits", "ulimits", lambda o: {u["Name"]: (u["Soft"], u["Hard"]) for u in o["ulimits"]} == host_ulimits()),
        ("output_cap", "log_config", lambda o: "log_config" not in o),
    ],
)
def test_removing_a_control_removes_its_option(control, key, check):
    assert check(options(HARDENED.without(control))), control


def test_swap_on_top_of_memory_is_dockers_memory_swap():
    o = options(HARDENED.replace(swap_mib=64))
    assert o["memswap_limit"] == (128 + 64) * 1024 * 1024


def test_misconfigurations_only_when_asked():
    o = options(
        HARDENED.replace(
            privileged=True, cap_add=("SYS_ADMIN",), mounts=(Mount("/var/run/docker.sock", "/var/run/docker.sock"),)
        )
    )
    assert o["privileged"] is True and o["cap_add"] == ["SYS_ADMIN"]
    assert o["volumes"] == {"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "ro"}}


def test_unconfined_seccomp_is_explicit():
    assert "seccomp=unconfined" in options(HARDENED.replace(seccomp="unconfined"))["security_opt"]


def test_internal_network_needs_a_network_name():
    with pytest.raises(ValueError):
        container_options(HARDENED.without("network"), image="i", command=["x"], labels={})

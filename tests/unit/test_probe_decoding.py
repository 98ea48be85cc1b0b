"""The probe's host-side decoding, checked on known inputs (no engine: the facts are in tests/engine)."""

from sandbox import MAX_CODE_CHARS
from sandbox.lab.probe import CAPABILITIES, PROGRAM, decode_caps, decode_cgroup, decode_route

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


def test_the_probe_program_fits_the_runners_code_limit():
    assert len(PROGRAM) <= MAX_CODE_CHARS


def test_decoding_masks_cgroup_v2_and_routes():
    assert decode_caps("00000000a80425fb") == sorted(DOCKER_DEFAULT_CAPS, key=_cap_bit)
    assert decode_caps("0000000000000000") == [] and decode_caps("0000020000000000") == ["CAP_41"]
    v2 = decode_cgroup(
        {"version": 2, "memory": "134217728", "swap": "0", "pids": "64", "cpu_quota": "50000", "cpu_period": "100000"}
    )
    assert v2 == {
        "version": 2,
        "memory_bytes": 128 * MIB,
        "memory_swap_bytes": 128 * MIB,
        "pids": 64,
        "cpu_quota_us": 50000,
        "cpu_period_us": 100000,
    }
    unlimited = decode_cgroup({"version": 2, "memory": "max", "swap": "max", "pids": "max", "cpu_quota": "max"})
    assert unlimited["memory_bytes"] is unlimited["memory_swap_bytes"] is unlimited["pids"] is None
    v1 = decode_cgroup(
        {
            "version": 1,
            "memory": "9223372036854771712",
            "memsw": "9223372036854771712",
            "pids": "max",
            "cpu_quota": "-1",
            "cpu_period": "100000",
        }
    )
    assert v1["memory_bytes"] is None and v1["cpu_quota_us"] is None and v1["cpu_period_us"] == 100000
    route = decode_route("eth0\t00000000\t0140A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0")
    assert route == {
        "family": "ipv4",
        "interface": "eth0",
        "destination": "0.0.0.0",
        "gateway": "192.168.64.1",
        "mask": "0.0.0.0",
    }


def _cap_bit(name):
    return CAPABILITIES.index(name)

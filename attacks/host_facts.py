ATTACK = {
    "title": "Read the host's own facts",
    "category": "info",
    "control": "host_views",
    "hardened": "the kernel command line, boot id, interrupts, disks, kernel config, cgroup counts and pressure figures "
                "read empty; /proc/self/cgroup names no host path",
    "ablated": "the host's boot parameters, boot id and disks, and the container's id and cgroup path, are readable",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "cmdline_bytes": 0, "boot_id": False,
                                                "block_devices": 0, "cgroup_path_hidden": True,
                                                "kernel_config": False, "cgroup_counts": False, "pressure": False}},
        "ablated": {"status": "ok", "report": {"achieved": True, "cgroup_path_hidden": False, "cgroup_counts": True}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "gvisor": {
        "why": "gVisor's kernel shows its own boot line (naming its own kernel image), a boot id of its own "
               "and the container's cgroup path, all made inside the sandbox; none is the host's "
               "(tests/engine/test_gvisor.py compares them with the host's)",
        "expect": {"status": "ok", "report": {"achieved": False, "own_kernel": True, "cmdline_bytes": {"min": 1},
                                              "block_devices": 0}},
    },
    "engines": [
        {"podman_from": "4",
         "known_limit": "Podman 4.3's Docker-compatible API ignores CgroupnsMode (on cgroup v1 its default is the "
                        "host's cgroup namespace), so /proc/self/cgroup names the container's id and path; the "
                        "masks hold (sandbox.lab.engines.PODMAN_UNAPPLIED, the audit's kit host-views)",
         "why": "Podman 4.3 gives no private cgroup namespace through the Docker API",
         "expect": {"hardened": {"status": "ok", "report": {"achieved": True, "cmdline_bytes": 0, "boot_id": False,
                                                            "block_devices": 0, "cgroup_path_hidden": False,
                                                            "kernel_config": False, "cgroup_counts": False,
                                                            "pressure": False}}}},
    ],
    "explain": """
        A container shares the host's kernel, and the kernel answers questions about the
        host: how it booted (/proc/cmdline names the disks, the init system, sometimes
        secrets passed as boot parameters), which boot this is (a stable machine fingerprint),
        its disks (/sys/block), its interrupts and devices, how its kernel was built
        (/proc/config.gz), and through /proc/self/cgroup the container's full id and the
        engine's cgroup layout. Some of it moves with other containers: the number of cgroups
        of every controller (/proc/cgroups) and the host's pressure stall figures
        (/proc/pressure) rise and fall as other runs come and go. None of it is needed to run a
        script, and all of it helps an attacker who plans the next step. The host_views
        control masks these files (an empty read-only mount or /dev/null over each) and gives
        the container its own cgroup namespace. What stays visible to every container, because
        the kernel is shared, is in the proc_sys_views attack and the README's threat model.
        This attack only reads.
    """,
}

import json
import os


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def size(path):
    return len(read(path))


def entries(path):
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


with open("/proc/self/cgroup") as f:
    paths = [line.strip().split(":", 2)[2] for line in f if line.strip()]
facts = {
    "cmdline_bytes": size("/proc/cmdline"),
    "boot_id": size("/proc/sys/kernel/random/boot_id") > 0,
    "interrupts_bytes": size("/proc/interrupts"),
    "block_devices": entries("/sys/block"),
    "cgroup_path_hidden": all(p == "/" for p in paths),
    "kernel_config": size("/proc/config.gz") > 0,
    "cgroup_counts": size("/proc/cgroups") > 0,
    "pressure": entries("/proc/pressure") > 0,
}
# gVisor's kernel answers with its own boot line (naming its own kernel image), boot id and
# cgroup paths, built inside the sandbox: none of them is the host's.
facts["own_kernel"] = b"-gvisor" in read("/proc/cmdline")
facts["achieved"] = not facts["own_kernel"] and bool(
    facts["cmdline_bytes"] or facts["boot_id"] or facts["block_devices"] or not facts["cgroup_path_hidden"]
    or facts["kernel_config"] or facts["cgroup_counts"] or facts["pressure"])
print("ATTACK_REPORT " + json.dumps(facts))

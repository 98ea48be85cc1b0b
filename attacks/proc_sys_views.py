ATTACK = {
    "title": "Host facts through /proc and /sys",
    "category": "info",
    "misconfiguration": "privileged",
    "hardened": "Docker's masked paths read as empty: no kernel keyrings, timers or firmware tables",
    "ablated": "with --privileged the masks are gone: the host's keyrings, timers and firmware tables are readable",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "revealed": []}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
        "naive": {"status": "ok", "report": {"achieved": False}},
    },
    "gvisor": {
        "ablated": {"verdict": "contained", "expect": {"status": "ok", "report": {"achieved": False, "revealed": []}},
                    "why": "gVisor's /proc and /sys are its own: with host_views removed they still show none of "
                           "the host's settings (the kernel they name is 4.4.0, gVisor's)"},
    },
    "explain": """
        A container shares the host's kernel, and /proc and /sys are windows into it. Docker
        masks the most revealing files (it mounts /dev/null or an empty directory over
        /proc/keys, /proc/timer_list, /proc/kcore, /sys/firmware and others) and makes the rest
        of /sys read-only. --privileged removes those masks. This attack counts what it can read
        through the masked paths. It also reports what every container sees whatever its
        profile, because the kernel is shared: the kernel version, the host's total memory
        (not the container's limit) and the host path of the container's own files. Those are
        not secrets to hide behind a control; they are a reason to keep the kernel patched.
    """,
}

import json
import os

MASKED = ("/proc/keys", "/proc/timer_list", "/proc/kcore", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")


def amount(path):
    """Lines (or directory entries) readable at path; 0 when masked, absent or refused."""
    try:
        if os.path.isdir(path):
            return len(os.listdir(path))
        if path == "/proc/kcore":
            return 1 if os.stat(path).st_size > 0 else 0  # never read kernel memory; its size says enough
        with open(path, "rb") as f:
            return f.read(65536).count(b"\n")
    except OSError:
        return 0


seen = {path: amount(path) for path in MASKED}
revealed = sorted(path for path, count in seen.items() if count)
with open("/proc/meminfo") as f:
    host_mem_mib = int(f.readline().split()[1]) // 1024
with open("/proc/self/mountinfo") as f:
    upper = next((part.split("=", 1)[1] for line in f for part in line.split(",") if part.startswith("upperdir=")), "")
shared = {"kernel": os.uname().release, "host_mem_mib": host_mem_mib, "host_cpus": os.cpu_count(),
          "host_path_prefix": upper.rsplit("/", 2)[0][:40]}
print("ATTACK_REPORT " + json.dumps({"achieved": bool(revealed), "revealed": revealed, "always_visible": shared}))

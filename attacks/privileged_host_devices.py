ATTACK = {
    "title": "Privileged container: the host's disks",
    "category": "escape",
    "misconfiguration": "privileged",
    "hardened": "no block devices in /dev, no capabilities, seccomp filtering (mode 2)",
    "ablated": "with --privileged the host's disks appear in /dev and seccomp is off (mode 0)",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "block_devices": 0, "seccomp": "2", "cap_eff": "0000000000000000"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "seccomp": "0", "block_devices": {"min": 1}}},
        "naive": {"status": "ok", "report": {"achieved": False, "block_devices": 0}},
    },
    "engines": [
        {"podman_from": "4",
         "why": "Podman keeps a seccomp profile that is asked for explicitly on a privileged container (Docker "
                "drops every filter), so the kit's filter still runs; the host's disks are there all the same",
         "expect": {"ablated": {"status": "ok", "report": {"achieved": True, "seccomp": "2", "block_devices": {"min": 1}}}}},
    ],
    "explain": """
        --privileged is not 'a bit more access': it gives the container every capability,
        turns off seccomp and Docker's masks on /proc and /sys, and exposes every device of the
        host, including its disks. Root in such a container can mount the host's root disk and
        edit any file, or load a kernel module: it is root on the host. This attack only
        looks: it counts the block devices in /dev and reads its own CapEff and Seccomp lines
        from /proc/self/status. It runs as the non-root runner, who still cannot open the
        disks (their mode is root-only): the user control holding on alone. That is enough to
        show the door, and it keeps the attack startable on hosts whose engine cannot hand
        every capability to a root --privileged container (this kit's build VM is one).
    """,
}

import json
import os
import stat

devices = []
for name in sorted(os.listdir("/dev")):
    try:
        if stat.S_ISBLK(os.stat(os.path.join("/dev", name)).st_mode):
            devices.append(name)
    except OSError:
        continue
with open("/proc/self/status") as f:
    status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
facts = {
    "block_devices": len(devices),
    "examples": [d for d in devices if not d.startswith(("loop", "ram"))][:4] or devices[:4],
    "readable_by_me": sum(os.access(os.path.join("/dev", d), os.R_OK) for d in devices),
    "cap_eff": status.get("CapEff"),
    "seccomp": status.get("Seccomp"),
    "uid": os.getuid(),
}
facts["achieved"] = facts["block_devices"] > 0 or facts["seccomp"] == "0"
print("ATTACK_REPORT " + json.dumps(facts))

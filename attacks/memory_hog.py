ATTACK = {
    "title": "Memory hog",
    "category": "memory",
    "control": "memory",
    "hardened": "the kernel's OOM killer ends it inside its 128 MiB cgroup; OOMKilled is set; no report",
    "ablated": "it holds all 256 MiB it asked for",
    "escape_record": {"oom_kills": 0, "peak_mib": {"min": 256}},
    "expect": {
        "hardened": {"status": "memory", "oom_killed": True, "stopped_by": "memory", "report": None},
        "ablated": {"status": "ok", "oom_killed": False, "report": {"achieved": True, "held_mib": 256}},
        "naive": {"status": "ok", "report": {"achieved": True, "held_mib": 256}},
    },
    "explain": """
        A program that keeps allocating memory eventually makes the host swap, then the host's
        OOM killer picks a victim, which may be the database next door rather than the
        attacker. The memory control puts the container in a cgroup with a 128 MiB limit and
        the same limit on memory plus swap (no escape into swap), so the kernel kills the hog
        inside its own cgroup and Docker records OOMKilled. Exit code 137 alone would only say
        'SIGKILL'; the OOMKilled flag says who sent it. This attack asks for 256 MiB in 8 MiB
        pieces and stops there.
    """,
}

import json

CHUNK = 8 * 1024 * 1024
held = []
error = None
try:
    for _ in range(32):
        held.append(bytearray(CHUNK))  # bytearray(n) zero-fills: every page is really used
except MemoryError:
    error = "MemoryError"
mib = len(held) * CHUNK // 2**20
print("ATTACK_REPORT " + json.dumps({"achieved": mib >= 256, "held_mib": mib, "error": error}))

ATTACK = {
    "title": "One file too big",
    "category": "disk",
    "control": "ulimits",
    "hardened": "the write past 8 MiB fails with EFBIG (the file-size rlimit)",
    "ablated": "the whole 12 MiB file is written",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "EFBIG", "written_mib": 8}},
        "ablated": {"status": "ok", "report": {"achieved": True, "written_mib": 12}},
    },
    "explain": """
        Some limits belong to a process, not to the container: the largest file it may write,
        how many files it may open, whether it may dump core. The ulimits control sets those
        rlimits. With a file-size limit of 8 MiB, a write beyond it is refused; the kernel
        sends SIGXFSZ, which Python ignores, so the program sees OSError EFBIG and can report
        it. The attack writes one 12 MiB file into /tmp in 1 MiB blocks; /tmp itself has room
        for 16 MiB, so only the rlimit can stop it.
    """,
}

import errno
import json

BLOCK = 1024 * 1024
written = 0
error = None
try:
    with open("/tmp/big-file", "wb", buffering=0) as f:
        while written < 12:
            f.write(b"\0" * BLOCK)
            written += 1
except OSError as exc:
    error = errno.errorcode.get(exc.errno, str(exc.errno))
print("ATTACK_REPORT " + json.dumps({"achieved": written >= 12, "written_mib": written, "errno": error}))

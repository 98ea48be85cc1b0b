ATTACK = {
    "title": "Fill the disk",
    "category": "disk",
    "control": "read_only",
    "hardened": "/tmp fills at 16 MiB (ENOSPC) and the root filesystem refuses writes (EROFS)",
    "ablated": "/tmp fills at 16 MiB, then 48 MiB more land on the host's disk through the root filesystem",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errors": {"/tmp": "ENOSPC", "/var/tmp": "EROFS"}, "written_mib": {"max": 16}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "written_mib": 64}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        A container's writable layer lives on the host's disk, usually with no size limit at
        all, so a program that writes without end fills the disk the host and every other
        container need. The read_only control makes the root filesystem read-only (EROFS) and
        gives the program one writable place, /tmp, a RAM-backed tmpfs capped at 16 MiB
        (ENOSPC when full). The attack writes up to 64 MiB in 4 MiB files, first into /tmp,
        then into /var/tmp, which is on the root filesystem.
    """,
}

import errno
import json
import os

BLOCK = 1024 * 1024
FILE_MIB = 4  # below the 8 MiB per-file limit of the ulimits control: this is about space
TOTAL_MIB = 64
written = {"/tmp": 0, "/var/tmp": 0}
errors = {}
for folder in written:
    try:
        for index in range(TOTAL_MIB // FILE_MIB):
            if sum(written.values()) >= TOTAL_MIB:
                break
            with open(os.path.join(folder, f"fill-{index}"), "wb") as f:
                for _ in range(FILE_MIB):
                    f.write(b"\0" * BLOCK)
                    f.flush()
                    written[folder] += 1
    except OSError as exc:
        errors[folder] = errno.errorcode.get(exc.errno, str(exc.errno))
total = sum(written.values())
print("ATTACK_REPORT " + json.dumps({"achieved": total >= TOTAL_MIB, "written_mib": total, "per_folder_mib": written, "errors": errors}))

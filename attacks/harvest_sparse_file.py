ATTACK = {
    "title": "A sparse terabyte in out/",
    "category": "harvest",
    "control": "harvest",
    # The file-size rlimit would stop the truncate itself (EFBIG): without it, the file exists.
    "given": ["ulimits"],
    "hardened": "out/huge is refused from its size (1 TiB, over the 2 MiB bound), never read",
    "ablated": "the naive harvester reads it until its safety net stops it, and hands the host a body past the 2 MiB bound",
    "escape_files": {"host_refused": {"min": 1}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("huge", "1099511627776 bytes: over the bound of 2097152 a file"),),
            "report": {"achieved": False, "planted": "out/huge: 1 TiB, no block written"},
        },
        "ablated": {
            "status": "ok",
            "files_refused": (("huge", "refused by the host: over the 2 MiB bound a file"),),
            "report": {"achieved": False},
        },
        "naive": {
            "status": "ok",
            "files_refused": (("huge", "refused by the host: over the 2 MiB bound a file"),),
            "report": {"achieved": False},
        },
    },
    "explain": """
        A sparse file costs nothing to make: truncate() to a terabyte writes no block, and a
        reader gets a terabyte of zeros, in time and memory. A harvester that reads each file
        whole spends its own memory on it (here, inside the container's memory limit, where the
        OOM killer would take it and its report) or never finishes. The kit's harvest bounds a
        file by its size before it opens it and refuses this one, unread. The lab's naive
        harvester reads until its safety net (what the host will take in one report, about 6
        MiB), and hands the host a body past the 2 MiB bound: the host's own re-check refuses it,
        and says so ("refused by the host"), which is how the escape is seen.
    """,
}

import json

with open("out/huge", "wb") as handle:
    handle.truncate(1 << 40)
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/huge: 1 TiB, no block written"}))

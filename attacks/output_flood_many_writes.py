ATTACK = {
    "title": "Output flood in many small writes",
    "category": "output",
    "control": "output_cap",
    "hardened": "cut at 64 KiB after about 650 lines; truncated; the run is killed, no report",
    "ablated": "all 90,000 lines (9 MB) reach the host, then the report",
    "expect": {
        "hardened": {"status": "output_limit", "truncated": True, "stopped_by": "output_cap", "output_bytes": 65536, "report": None},
        "ablated": {"status": "ok", "truncated": False, "output_bytes": {"min": 9000000}, "report": {"achieved": True, "lines": 90000}},
    },
    "explain": """
        The same flood as a chatty loop: ninety thousand print() calls of a hundred bytes each.
        A cap that only looks at one write, or that reads the output back after the run (Docker's
        log rotates and silently drops the middle), misses this shape. The kit counts every
        byte on the live stream, whatever the size of the writes, so the cut happens at exactly
        64 KiB either way.
    """,
}

import json
import sys

LINES = 90_000
line = "y" * 99
for _ in range(LINES):
    print(line)  # the interpreter runs unbuffered (-u): one write per print
sys.stdout.flush()
print("ATTACK_REPORT " + json.dumps({"achieved": True, "lines": LINES, "bytes_written": LINES * 100}))

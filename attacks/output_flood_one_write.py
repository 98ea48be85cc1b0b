ATTACK = {
    "title": "Output flood in one huge write",
    "category": "output",
    "control": "output_cap",
    "hardened": "the kit keeps 64 KiB, marks the output truncated and kills the run; no report reaches the host",
    "ablated": "all 9 MB reach the host, followed by the report",
    "expect": {
        "hardened": {"status": "output_limit", "truncated": True, "stopped_by": "output_cap", "output_bytes": 65536, "report": None},
        "ablated": {"status": "ok", "truncated": False, "output_bytes": {"min": 9000000}, "report": {"achieved": True}},
    },
    "explain": """
        Everything a program prints is copied to whoever runs it: the host process, the web
        server, the student's browser. A program that prints gigabytes fills the memory of all
        of them, and Docker's own log file on the way. The output_cap control counts the bytes
        as they stream out of the container, keeps the first 64 KiB, sets 'truncated', and
        kills the run; the daemon's log copy is capped too. This attack writes 9 MB in a single
        write() call, the way a buffered program would flush a huge string.
    """,
}

import json
import os

SIZE = 9_000_000  # under the 10 MB any attack may print
data = b"x" * SIZE + b"\n"
sent = 0
while sent < len(data):
    sent += os.write(1, data[sent:])  # one call; loop only if the kernel took part of it
print("ATTACK_REPORT " + json.dumps({"achieved": True, "bytes_written": sent}))

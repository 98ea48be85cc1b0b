ATTACK = {
    "title": "Sleep past the time limit",
    "category": "timeout",
    "control": "timeout",
    "timeout": 3,
    "hardened": "killed by the host-side clock after 3 seconds; no report",
    "ablated": "sleeps its full 8 seconds and reports",
    "expect": {
        "hardened": {"status": "timeout", "timed_out": True, "report": None, "duration_s": {"max": 6}},
        "ablated": {"status": "ok", "report": {"achieved": True, "slept_s": {"min": 7.9}}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        A program that sleeps uses no CPU at all, so a CPU quota never notices it; it just
        holds a container, a slot in a worker pool and a client waiting for an answer. Only a
        wall-clock limit ends it. The kit keeps that clock on the host, because neither
        'timeout docker run' (which kills the client, not the container) nor the Docker API's
        wait timeout (an HTTP read timeout) stops anything; at the deadline the kit sends
        SIGKILL and removes the container. This attack is set to sleep 8 seconds against a
        3-second limit, so that without the control it still ends on its own.
    """,
}

import json
import time

start = time.monotonic()
time.sleep(8)
print("ATTACK_REPORT " + json.dumps({"achieved": True, "slept_s": round(time.monotonic() - start, 1)}))

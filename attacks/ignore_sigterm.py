ATTACK = {
    "title": "Ignore SIGTERM",
    "category": "timeout",
    "control": "timeout",
    "timeout": 3,
    "hardened": "SIGTERM is ignored, but the kit sends SIGKILL at 3 seconds; no report",
    "ablated": "runs its full 8 seconds despite the SIGTERM it sent itself",
    "expect": {
        "hardened": {"status": "timeout", "timed_out": True, "report": None, "duration_s": {"max": 6}},
        "ablated": {"status": "ok", "report": {"achieved": True, "ignored_sigterm": True, "ran_s": {"min": 7.9}}},
    },
    "explain": """
        'docker stop' and many supervisors first send SIGTERM and wait for the program to
        exit politely. A hostile program simply ignores it (and a program running as a
        container's PID 1 ignores it without even trying, unless it installs a handler). This
        attack sets SIGTERM to 'ignore', sends itself one to prove it survives, and keeps
        running. The kit does not ask: at the deadline it sends SIGKILL, which no process can
        catch, block or ignore.
    """,
}

import json
import os
import signal
import time

start = time.monotonic()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.kill(os.getpid(), signal.SIGTERM)  # still here afterwards: it was ignored
while time.monotonic() - start < 8:
    time.sleep(0.1)
print("ATTACK_REPORT " + json.dumps({"achieved": True, "ignored_sigterm": True, "ran_s": round(time.monotonic() - start, 1)}))

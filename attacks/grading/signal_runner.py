GRADING_ATTACK = {
    "title": "Signalling the runner",
    "category": "grading",
    "deserves": 0,
    "goal": "find the test runner's process and send it SIGTERM, which graders handle by stopping cleanly with what ran so far; and SIGKILL to process 1",
    "kit": "the runner is on the host, out of reach; process 1 (the supervisor) ignores signals from inside its namespace; the student's process gets only its own calls",
    "naive": "the runner is the student's own process: its SIGTERM handler exits 0 before any test, and a clean exit counts as a pass",
}

import os
import signal

for _pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{_pid}/cmdline", "rb") as _handle:
            if b"unittest" in _handle.read():
                os.kill(int(_pid), signal.SIGTERM)
    except OSError:
        pass
try:
    os.kill(1, signal.SIGKILL)
except OSError:
    pass


def add(a, b):
    return 0


def fib(n):
    return 0


def reverse(s):
    return ""

"""Lesson 04, exercise solution. Run: .venv/bin/python notebooks/solutions/04_processes.py"""

from sandbox import PROFILES, run

THREAD_BOMB = r"""
import threading
stop = threading.Event()
started = 0
try:
    while started < 200:
        threading.Thread(target=stop.wait, args=(5,), daemon=True).start()
        started += 1
finally:
    print(f"threads={started}")
    stop.set()
"""

result = run(THREAD_BOMB, PROFILES["hardened"].replace(pids=32))
print(result.status, result.stopped_by, result.stdout.strip())
assert result.stopped_by == "pids" and result.stdout.strip() == "threads=30"  # 32 tasks minus the supervisor and main
assert result.usage.forks_refused >= 1  # the kernel counted the refused thread start
print("all lesson 04 answers hold")

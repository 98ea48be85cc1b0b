ATTACK = {
    "title": "Thread bomb",
    "category": "processes",
    "control": "pids",
    "hardened": "starting a thread fails after about 60 threads: threads count against the 64-task limit",
    "ablated": "199 more threads start: 200 with the main one (the attack stops there on purpose)",
    "escape_record": {"forks_refused": 0, "peak_tasks": {"min": 200}},
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "threads": {"min": 40, "max": 63}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "threads": 199}},
    },
    "explain": """
        Limiting processes is not enough if threads are free: to the Linux kernel a thread is a
        task like a process, and a thread bomb exhausts the same table. The pids cgroup counts
        tasks, so threads and processes share the 64 allowed. Python reports the refusal as
        RuntimeError("can't start new thread"), which is EAGAIN from clone() underneath. The
        attack starts up to 199 threads besides its main one that just wait, with small stacks.
    """,
}

import json
import threading

LIMIT = 199  # besides the main thread: 200 tasks at most
threading.stack_size(256 * 1024)
release = threading.Event()
threads = []
error = None
try:
    while len(threads) < LIMIT:
        thread = threading.Thread(target=release.wait, daemon=True)
        thread.start()
        threads.append(thread)
except RuntimeError as exc:
    error = f"RuntimeError: {exc}"
count = len(threads)
release.set()
for thread in threads:
    thread.join()
print("ATTACK_REPORT " + json.dumps({"achieved": count >= LIMIT, "threads": count, "error": error}))

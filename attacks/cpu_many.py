ATTACK = {
    "title": "Many processes burning CPU",
    "category": "cpu",
    "control": "cpu",
    "hardened": "four spinning processes share half a CPU between them; the kernel throttles the container",
    "ablated": "the four processes take every CPU they can get, unthrottled",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "cpu_per_wall": {"max": 0.8}, "throttled_periods": {"min": 1}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "throttled_periods": 0, "cpu_per_wall": {"min": 0.6}}},
    },
    "gvisor": {
        "why": "inside gVisor, os.times counts about one CPU second per second for the four spinners: gVisor's "
               "bookkeeping, not the host's. The host's cgroup, read through the engine's stats, gives the whole "
               "sandbox half a CPU and throttles it",
        "expect": {"status": "ok", "host_cpu": {"cpu_per_wall": {"max": 0.8}, "throttled_periods": {"min": 1}}},
    },
    "explain": """
        One spinning process can use at most one CPU; several can use all of them, and then
        the host and every other sandbox slow to a crawl. The cpu quota belongs to the
        container's cgroup, not to one process, so four processes share the same half CPU: the
        total is what is limited. The attack starts four spinners for three seconds, then adds
        up the CPU time its children used (os.times) and divides by the wall-clock time. On an
        idle two-CPU machine it gets well over one CPU without the quota, about 0.5 with it.
        It counts as an escape only when both facts agree: the kernel's own throttle counter
        (cpu.stat) never fired, and the processes really got more than the quota allows (at
        least 0.6 CPU per second, a margin above 0.5 because the ratio also depends on
        whatever else the machine is doing). A quiet counter alone proves nothing: without a
        quota it is always zero.
    """,
}

import json
import os
import time

STAT_FILES = ("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu.stat")
WORKERS = 4
ABOVE_QUOTA = 0.6  # CPU seconds per wall-clock second; the hardened quota is 0.5


def throttled():
    for path in STAT_FILES:
        try:
            with open(path) as f:
                return dict(line.split() for line in f).get("nr_throttled")
        except OSError:
            continue
    return None


before = throttled()
start = time.monotonic()
deadline = start + 3.0
pids = []
for _ in range(WORKERS):
    pid = os.fork()
    if pid == 0:
        while time.monotonic() < deadline:
            pass
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
wall = time.monotonic() - start
cpu = sum(os.times()[2:4])  # user + system time of the waited-for children
after = throttled()
periods = int(after) - int(before) if before is not None and after is not None else None
ratio = round(cpu / wall, 2)
# Both facts: never throttled, and clearly more CPU than the 0.5 quota would allow.
achieved = periods in (0, None) and ratio >= ABOVE_QUOTA
print("ATTACK_REPORT " + json.dumps({"achieved": achieved, "cpu_per_wall": ratio, "throttled_periods": periods, "workers": WORKERS}))

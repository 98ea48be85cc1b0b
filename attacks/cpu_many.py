ATTACK = {
    "title": "Many processes burning CPU",
    "category": "cpu",
    "control": "cpu",
    "hardened": "four spinning processes share half a CPU between them; the kernel runs the quota's periods and "
                "throttles the container",
    "ablated": "no quota: the kernel runs no bandwidth periods for the container and throttles nothing, so the four "
               "take every CPU they can get",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "cpu_per_wall": {"max": 0.8},
                                                "throttled_periods": {"min": 1}, "quota_periods": {"min": 1}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "throttled_periods": 0, "quota_periods": 0}},
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
        It counts as an escape when the kernel's own counters (cpu.stat) show the container
        held back in no period and either no quota enforced at all (no bandwidth periods) or
        clearly more CPU than the quota allows (at least 0.6 CPU per second). The counters
        decide, not the speed: on a busy machine four spinners with no quota may get less than
        a CPU between them, and are still free of any quota.
    """,
}

import json
import os
import time

STAT_FILES = ("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu.stat")
WORKERS = 4
ABOVE_QUOTA = 0.6  # CPU seconds per wall-clock second; the hardened quota is 0.5


def cpu_stat():
    for path in STAT_FILES:
        try:
            with open(path) as f:
                return dict(line.split() for line in f)
        except OSError:
            continue
    return None


before = cpu_stat()
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
after = cpu_stat()
periods, throttled = ((int(after[k]) - int(before[k]) if before and after else None)
                      for k in ("nr_periods", "nr_throttled"))
ratio = round(cpu / wall, 2)
# Never held back, and either no quota enforced at all or clearly more CPU than it allows.
achieved = throttled in (0, None) and (periods == 0 or ratio >= ABOVE_QUOTA)
print("ATTACK_REPORT " + json.dumps({"achieved": achieved, "cpu_per_wall": ratio, "throttled_periods": throttled,
                                     "quota_periods": periods, "workers": WORKERS}))

ATTACK = {
    "title": "CPU spin",
    "category": "cpu",
    "control": "cpu",
    "hardened": "the spin gets about half a CPU; the kernel runs the quota's periods and throttles it in most",
    "ablated": "no quota: the kernel runs no bandwidth periods for the container and throttles nothing, so the spin "
               "takes what CPU the machine has free",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "cpu_per_wall": {"max": 0.7},
                                                "throttled_periods": {"min": 1}, "quota_periods": {"min": 1}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "throttled_periods": 0, "quota_periods": 0}},
    },
    "gvisor": {
        "why": "gVisor's kernel keeps no CFS counters and its clocks are its own bookkeeping; the host's "
               "cgroup, read through the engine's stats, shows the quota holding",
        "expect": {"status": "ok", "host_cpu": {"cpu_per_wall": {"max": 0.7}, "throttled_periods": {"min": 1}}},
    },
    "explain": """
        A loop that never waits keeps one CPU busy for as long as it runs. The cpu control is a
        CFS quota in the container's cgroup: 50 ms of CPU time in every 100 ms period, half a
        CPU. While a quota is set the kernel counts each period it enforces (nr_periods in
        cpu.stat), and when the container has used its share it stops scheduling it until the
        next period begins, counted as a throttled period (nr_throttled). This attack spins
        for three seconds, reads both counters of its own cgroup, and reports the CPU seconds
        it got per wall-clock second. It counts as an escape when the kernel held it back in
        no period and either enforced no quota at all (no periods) or let it have clearly more
        than the quota allows (at least 0.6 CPU per second). The kernel's counters decide, not
        the speed: on a busy machine a spin with no quota may get less than half a CPU, and
        is still free of it; on an idle one it gets a whole CPU.
    """,
}

import json
import os
import time

ABOVE_QUOTA = 0.6  # CPU seconds per wall-clock second; the hardened quota is 0.5
STAT_FILES = ("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu.stat")


def cpu_stat():
    for path in STAT_FILES:
        try:
            with open(path) as f:
                return dict(line.split() for line in f)
        except OSError:
            continue
    return None


before = cpu_stat()
start, cpu0 = time.monotonic(), sum(os.times()[:2])
while time.monotonic() - start < 3.0:
    pass
wall, cpu = time.monotonic() - start, sum(os.times()[:2]) - cpu0
after = cpu_stat()
periods, throttled = ((int(after[k]) - int(before[k]) if before and after else None)
                      for k in ("nr_periods", "nr_throttled"))
ratio = round(cpu / wall, 2)
# Never held back, and either no quota enforced at all or clearly more CPU than it allows.
achieved = throttled in (0, None) and (periods == 0 or ratio >= ABOVE_QUOTA)
print("ATTACK_REPORT " + json.dumps({"achieved": achieved, "cpu_per_wall": ratio, "throttled_periods": throttled,
                                     "quota_periods": periods}))

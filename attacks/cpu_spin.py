ATTACK = {
    "title": "CPU spin",
    "category": "cpu",
    "control": "cpu",
    "hardened": "the spin gets about half a CPU; the kernel throttles it in most 100 ms periods",
    "ablated": "the spin runs unthrottled on a whole CPU",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "cpu_per_wall": {"max": 0.7}, "throttled_periods": {"min": 1}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "throttled_periods": 0, "cpu_per_wall": {"min": 0.6}}},
    },
    "gvisor": {
        "why": "gVisor's kernel keeps no CFS counters and its clocks are its own bookkeeping; the host's "
               "cgroup, read through the engine's stats, shows the quota holding",
        "expect": {"status": "ok", "host_cpu": {"cpu_per_wall": {"max": 0.7}, "throttled_periods": {"min": 1}}},
    },
    "explain": """
        A loop that never waits keeps one CPU busy for as long as it runs. The cpu control is a
        CFS quota in the container's cgroup: 50 ms of CPU time in every 100 ms period, half a
        CPU. When the container has used its share, the kernel stops scheduling it until the
        next period begins, and counts that in cpu.stat as a throttled period. This attack
        spins for three seconds and reports the CPU seconds it got per wall-clock second, and
        how many periods the kernel throttled it, read from its own cgroup. It counts as an
        escape only when both agree: no period was throttled, and the spin got clearly more
        than the quota allows (at least 0.6 CPU per second; not 1.0, because the ratio also
        depends on how busy the rest of the machine is). The counter alone would prove
        nothing: without a quota it is always zero.
    """,
}

import json
import os
import time

ABOVE_QUOTA = 0.6  # CPU seconds per wall-clock second; the hardened quota is 0.5
STAT_FILES = ("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu.stat")


def throttled():
    for path in STAT_FILES:
        try:
            with open(path) as f:
                return dict(line.split() for line in f).get("nr_throttled")
        except OSError:
            continue
    return None


before = throttled()
start, cpu0 = time.monotonic(), sum(os.times()[:2])
while time.monotonic() - start < 3.0:
    pass
wall, cpu = time.monotonic() - start, sum(os.times()[:2]) - cpu0
after = throttled()
periods = int(after) - int(before) if before is not None and after is not None else None
ratio = round(cpu / wall, 2)
# Both facts: never throttled, and clearly more CPU than the 0.5 quota would allow.
achieved = periods in (0, None) and ratio >= ABOVE_QUOTA
print("ATTACK_REPORT " + json.dumps({"achieved": achieved, "cpu_per_wall": ratio, "throttled_periods": periods}))

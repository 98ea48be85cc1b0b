"""Lesson 05, exercise solution. Run: .venv/bin/python notebooks/solutions/05_cpu.py"""

from sandbox import PROFILES, engine_client, run

BODY = r"""
import multiprocessing, time

def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass

def read(*paths):
    for path in paths:
        try:
            return open(path).read().strip()
        except OSError:
            pass
    return ""

def quota():
    v1 = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    if v1:
        return ("max" if int(v1) < 0 else v1) + "/" + read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    return read("/sys/fs/cgroup/cpu.max").replace(" ", "/")

workers = [multiprocessing.Process(target=spin, args=(SECONDS,)) for _ in range(WORKERS)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(f"quota_us={quota()}")
"""


def measure(workers, cpus, seconds=3):
    """The program's own view (its quota), and the kernel's record of the run (CPU-seconds per
    second of the program's time, throttled periods), which the checks rest on."""
    limits = PROFILES["hardened"].replace(cpus=cpus) if cpus else PROFILES["hardened"].without("cpu")
    result = run(f"WORKERS, SECONDS = {workers}, {seconds}\n" + BODY, limits)
    assert result.status == "ok", result.message
    found = dict(line.split("=") for line in result.stdout.split())
    usage = result.usage
    return {
        "quota_us": found["quota_us"],
        "cpu_per_wall": round(usage.cpu_s / usage.wall_s, 2),
        "throttled_periods": usage.throttled_periods,
        "cpu_periods": usage.cpu_periods,
    }


# (a) One process can use at most one CPU, which is also the quota. The kernel's facts decide:
# the quota is one CPU and the kernel enforces its periods; the ratio falls short of 1.0 when
# the host is busy (other programs take CPU the quota would allow), so only its upper bound is
# checked.
one = measure(1, 1.0)
print("one worker, cpus=1.0: ", one)
assert one["quota_us"] == "100000/100000"
assert one["cpu_periods"] > 0  # the kernel enforces the quota's periods
assert one["cpu_per_wall"] <= 1.1  # one process cannot use more than one CPU

if engine_client().api.info()["NCPU"] >= 2:
    # (b) Two processes at cpus=1.0: never more than the quota, whatever the host has free ...
    free_before = measure(2, None)["cpu_per_wall"]  # the same two, without the quota
    two = measure(2, 1.0)
    free_after = measure(2, None)["cpu_per_wall"]
    print("two workers, cpus=1.0:", two, f"| without the quota, before and after: {free_before}, {free_after}")
    assert two["quota_us"] == "100000/100000"
    assert two["cpu_per_wall"] <= 1.15  # the quota: one CPU between them
    # ... and the quota binds whenever the host had more than one CPU to give them. On a busy
    # machine the host holds them to about one CPU before the quota does, and nothing is throttled.
    if min(free_before, free_after) >= 1.3:
        assert two["throttled_periods"] > 0, two
    else:
        print("the host had no second CPU free for them, so the quota had nothing to bind")
print("all lesson 05 answers hold")

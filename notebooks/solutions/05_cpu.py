"""Lesson 05, exercise solution. Run: .venv/bin/python notebooks/solutions/05_cpu.py"""

from sandbox import PROFILES, engine, run

BODY = r"""
import multiprocessing, resource, time

def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass

def throttled():
    for path in ("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu.stat"):
        try:
            return int(dict(line.split() for line in open(path))["nr_throttled"])
        except (OSError, KeyError):
            pass
    return 0

before = throttled()
start = time.monotonic()
workers = [multiprocessing.Process(target=spin, args=(SECONDS,)) for _ in range(WORKERS)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
wall = time.monotonic() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu_per_wall={(used.ru_utime + used.ru_stime) / wall:.2f}")
print(f"throttled_periods={throttled() - before}")
"""


def measure(workers, cpus, seconds=3):
    result = run(f"WORKERS, SECONDS = {workers}, {seconds}\n" + BODY, PROFILES["hardened"].replace(cpus=cpus))
    assert result.status == "ok", result.message
    return dict(line.split("=") for line in result.stdout.split())


one = measure(1, 1.0)
print("one worker, cpus=1.0: ", one)
assert 0.6 <= float(one["cpu_per_wall"]) <= 1.1            # one process cannot use more than one CPU

if engine.client().api.info()["NCPU"] >= 2:
    two = measure(2, 1.0)
    print("two workers, cpus=1.0:", two)
    assert float(two["cpu_per_wall"]) <= 1.15               # the quota: one CPU between them
    assert int(two["throttled_periods"]) > 0                # ... and it binds
print("all lesson 05 answers hold")

"""Lesson 12, exercise solution. Run: .venv/bin/python notebooks/solutions/12_many_runs.py"""

import time

from sandbox import PROFILES, Pool, QueueFull


def hold_until(deadline):
    """A program that sleeps until the wall-clock instant `deadline` (at least 1 s), as the lesson's."""
    return (
        "import time\nstart = time.time()\n"
        f"time.sleep(max(1.0, {deadline!r} - start))\n"
        "print(f'start={start}')\nprint(f'end={time.time()}')\n"
    )


def facts(result):
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def peak_overlap(results):
    events = []
    for result in results:
        f = facts(result)
        events += [(float(f["start"]), 1), (float(f["end"]), -1)]
    peak = now = 0
    for _, step in sorted(events):
        now += step
        peak = max(peak, now)
    return peak


def burst(pool, size):
    # The three that start at once hold until the same instant 8 s ahead (within the 10 s clock),
    # so they overlap there however slowly their containers start; the two queued then sleep 1 s.
    program = hold_until(time.time() + 8)
    accepted, refused = [], 0
    for _ in range(size):
        try:
            accepted.append(pool.submit(program, PROFILES["hardened"]))
        except QueueFull:
            refused += 1
    return [f.result(timeout=60) for f in accepted], refused


with Pool(workers=3, queue=2) as pool:
    for round_number in (1, 2):
        results, refused = burst(pool, 10)
        peak = peak_overlap(results)
        print(f"burst {round_number}: {len(results)} accepted, {refused} refused, peak overlap {peak}")
        assert len(results) == 5 and refused == 5
        assert all(r.status == "ok" for r in results)
        assert peak == 3  # all three workers busy at once, never more
    assert pool.stats()["running"] == 0 and pool.stats()["queued"] == 0
print("all lesson 12 answers hold")

"""Lesson 14, exercise solution. Run where the engine has gVisor's runsc, e.g.:

bash docker/with-engine.sh docker26 -- .venv/bin/python notebooks/solutions/14_gvisor.py
"""

import json
import statistics
import sys

from sandbox import PROFILES, RuntimeMissing, engine_runtimes, run

if "runsc" not in engine_runtimes():
    sys.exit(
        f"This engine has no gVisor runtime (it has {', '.join(engine_runtimes())}), so there is "
        f"nothing to compare.\n{RuntimeMissing.hint}"
    )

# Each program times its own loop from inside (wall time, which gVisor's clock keeps as the host's).
PROGRAMS = {
    "syscalls": r"""
import json, os, time
began = time.perf_counter()
for _ in range(20000):
    os.stat("/")
print(json.dumps({"seconds": time.perf_counter() - began}))
""",
    "compute": r"""
import json, time
began = time.perf_counter()
total = 0
for i in range(1_000_000):
    total += i * i
print(json.dumps({"seconds": time.perf_counter() - began}))
""",
}
RUNTIMES = {"runc": PROFILES["hardened"], "runsc": PROFILES["gvisor"]}


def seconds(program, limits, runs=3):
    taken = []
    for _ in range(runs):
        result = run(program, limits)
        assert result.status == "ok", (result.message, result.stderr[-500:])
        taken.append(json.loads(result.stdout)["seconds"])
    return statistics.median(taken)


ratio = {}
for kind, program in PROGRAMS.items():
    times = {name: seconds(program, limits) for name, limits in RUNTIMES.items()}
    ratio[kind] = times["runsc"] / times["runc"]
    print(
        f"{kind:9} runc {times['runc'] * 1000:7.1f} ms   runsc {times['runsc'] * 1000:7.1f} ms   "
        f"runsc/runc {ratio[kind]:5.1f}x"
    )

# The arithmetic runs natively on the CPU under both; every os.stat is answered by gVisor's kernel.
assert ratio["syscalls"] > 2 * ratio["compute"], ratio
assert ratio["syscalls"] > 2, ratio
print("the system-call-heavy program pays more for gVisor: all lesson 14 answers hold")

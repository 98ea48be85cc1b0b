"""Lesson 02, exercise solution. Run: .venv/bin/python notebooks/solutions/02_timeouts.py"""

from docker.errors import NotFound

from sandbox import PROFILES, engine_client, run, wait_for_removals

DEFENDER = """
import os, signal, time
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)

def spin(seconds):
    end = time.monotonic() + seconds              # bounded, as every lesson program is
    while time.monotonic() < end:
        pass

if os.fork() == 0:                                # the child inherits the ignored signals
    spin(60)
    os._exit(0)
print("parent and child are spinning", flush=True)
spin(60)
"""

result = run(DEFENDER, PROFILES["hardened"].replace(timeout_s=2))
print(result.status, result.stopped_by, f"{result.duration_s:.2f} s", result.stdout.strip())
assert result.status == "timeout" and result.stopped_by == "timeout"
assert result.duration_s < 3 + 1  # the 2 s clock plus the time to kill (generous)
wait_for_removals()  # the container is removed after the answer, not before it
try:
    engine_client().api.inspect_container(result.container_id)
    raise AssertionError("the container still exists")
except NotFound:
    pass
print("all lesson 02 answers hold")

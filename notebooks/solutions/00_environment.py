"""Lesson 00, exercise solution. Run: .venv/bin/python notebooks/solutions/00_environment.py"""

import os

from sandbox.lab import doctor


def blockers(checks):
    """The fix of every failing required check; empty when the machine is ready."""
    return [check.fix for check in checks if check.required and not check.ok]


here = blockers(doctor.checks())
print("this machine:", here or "ready")
assert here == []

# The scientific stack as a sandboxed run finds it in the image, not the host's packages.
stack = doctor.stack_versions()
print("inside the image:", ", ".join(f"{name} {version}" for name, version in stack.items()))
assert set(stack) == {"numpy", "pandas", "scipy", "matplotlib"} and None not in stack.values()

saved = os.environ.get("DOCKER_HOST")
os.environ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
try:
    nowhere = blockers(doctor.checks())
finally:
    if saved is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = saved
print("no engine:", nowhere)
assert len(nowhere) == 1 and "doctor" in nowhere[0]
print("all lesson 00 answers hold")

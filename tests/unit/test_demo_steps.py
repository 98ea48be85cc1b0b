"""The demo's steps and what they promise per profile (no engine: the runs are in tests/engine)."""

from sandbox import PROFILES
from sandbox.lab.demo import STEPS


def test_expectations_follow_the_profile():
    """Under naive most controls are off: the demo promises nothing it cannot keep."""
    naive, seed = PROFILES["naive"], PROFILES["seed"]
    by_key = {s.key: s for s in STEPS}
    for key in ("infinite_loop", "memory_hog", "network_call", "fork_bomb", "socket_runner"):
        assert by_key[key].expectation(by_key[key].limits(naive, "/var/run/docker.sock")) is None
    for key in ("infinite_loop", "memory_hog", "network_call", "fork_bomb"):
        step = by_key[key]
        assert step.expectation(step.limits(seed, None)) == (step.expect, step.control, step.hint)
    assert by_key["socket_root"].limits(PROFILES["hardened"], "/x.sock").user == "root"

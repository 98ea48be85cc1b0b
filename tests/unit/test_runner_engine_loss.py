"""The runner's own logic when the engine disappears mid-run (a fake box; no security claim)."""

import pytest
import requests

from sandbox import PROFILES, EngineUnavailable, run, runner


class VanishingBox:
    """A started container whose engine then stops answering, like a killed dockerd."""

    short_id = "abc123"

    def __init__(self):
        self.closed = False

    def frames(self):
        yield (1, b"partial output\n")
        raise requests.exceptions.ConnectionError("Connection aborted")

    def deliver(self, payload):
        pass

    def kill(self):
        pass

    def wait_exit(self, timeout_s):
        raise requests.exceptions.ConnectionError("Connection refused")

    def engine_kill(self):
        pass

    def state(self):
        raise requests.exceptions.ConnectionError("Connection refused")

    def close(self):
        self.closed = True


def test_engine_lost_mid_run_is_a_clear_error_and_removal_is_still_tried(monkeypatch):
    fake = VanishingBox()
    monkeypatch.setattr(runner.Box, "start", classmethod(lambda cls, limits, **kw: fake))
    with pytest.raises(EngineUnavailable) as info:
        run("print(1)", PROFILES["hardened"].replace(timeout_s=2))
    assert "stopped answering during the run" in str(info.value) and "Start Docker" in str(info.value)
    assert fake.closed

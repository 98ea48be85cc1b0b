"""The runner's own logic when the engine disappears mid-run (a fake engine; no security claim)."""

import pytest
import requests

from sandbox import EngineUnavailable, PROFILES
from sandbox.runner import ContainerRun


class VanishingEngine:
    """Creates and starts a container, then stops answering like a killed dockerd."""

    def __init__(self):
        self.removed = []
        self.api = self
        self.containers = self

    def create(self, **options):
        return type("C", (), {"id": "abc123", "short_id": "abc123"})()

    def attach(self, *a, **kw):
        def frames():
            yield (b"partial output\n", None)
            raise requests.exceptions.ConnectionError("Connection aborted")
        return frames()

    def start(self, container_id):
        pass

    def wait(self, container_id, timeout=None):
        raise requests.exceptions.ConnectionError("Connection refused")

    def kill(self, container_id):
        raise requests.exceptions.ConnectionError("Connection refused")

    def remove_container(self, name, force=False):
        self.removed.append(name)
        raise requests.exceptions.ConnectionError("Connection refused")


def test_engine_lost_mid_run_is_a_clear_error_and_removal_is_still_tried():
    fake = VanishingEngine()
    options = {"name": "safe-python-run-x", "image": "safe-python:latest"}
    with pytest.raises(EngineUnavailable) as info:
        ContainerRun(fake, options, PROFILES["hardened"].replace(timeout_s=2), None).execute()
    assert "stopped answering during the run" in str(info.value) and "Start Docker" in str(info.value)
    assert fake.removed == ["safe-python-run-x"]

"""The runner's own logic when the engine disappears mid-run (a fake box; no security claim)."""

import pytest
import requests

from sandbox import PROFILES, EngineUnavailable, RunRefused, run, runner


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


class RefusingBox(VanishingBox):
    """A started container the engine then refuses to deliver to (an APIError, not silence)."""

    def deliver(self, payload):
        from docker.errors import APIError

        raise APIError("500 Server Error", explanation="cannot apply these limits (test double)")


def test_an_engine_refusal_mid_run_is_run_refused_in_the_engines_words(monkeypatch):
    fake = RefusingBox()
    monkeypatch.setattr(runner.Box, "start", classmethod(lambda cls, limits, **kw: fake))
    with pytest.raises(RunRefused) as info:
        run("print(1)", PROFILES["hardened"])
    assert info.value.message == "The engine refused to run the container: cannot apply these limits (test double)"
    assert fake.closed


def test_every_translation_of_a_refusal_says_the_same():
    from docker.errors import APIError

    from sandbox import engine

    refused = APIError("409", explanation="conflict")
    assert (
        engine.refusal(refused, "to run the container").message == "The engine refused to run the container: conflict"
    )
    with (
        pytest.raises(RunRefused, match=r"^The engine refused checking: conflict"),
        engine.translated_errors("checking"),
    ):
        raise refused
    with (
        pytest.raises(RunRefused, match=r"^The engine refused to run the container: conflict"),
        engine.translated_errors("starting the run's container", refusing="to run the container"),
    ):
        raise refused

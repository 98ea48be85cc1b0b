"""Engine or image missing or hung: /run and /health say so with what to do, within seconds, and
the server keeps serving and recovers."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
import uuid

import pytest

from sandbox import engine
from sandbox.languages import LANGUAGES


def _wait_for(predicate, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    return None


def test_engine_down_then_back(client, post_run, engine_ready, monkeypatch, tmp_path):
    body = json.dumps({"code": "print(2 + 2)"})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine-here.sock")
    engine.forget_clients()
    try:
        down = post_run(client, body)
        assert down.status_int == 503
        assert down.json["reason"] == "engine_unavailable"
        assert "Start Docker" in down.json["error"]  # says what to do
        assert "Traceback" not in down.text
        health = client.get("/health", expect_errors=True)
        assert health.status_int == 503 and health.json["engine"]["ok"] is False
        assert client.get("/").status_int == 200  # the page is still served
    finally:
        monkeypatch.undo()
        engine.forget_clients()
    back = post_run(client, body)
    assert back.status_int == 200 and back.json["output"] == "4\n"
    assert client.get("/health").json["ok"] is True


@pytest.fixture
def image_alias(engine_ready, monkeypatch):
    """The sandbox image under a second tag of this test's own, made Python's image for the test.

    Removing the tag later removes only the name (the image keeps its real tag), so "the image is
    gone" can be staged on the real engine without touching anything anyone else uses.
    """
    python = LANGUAGES["python"]
    alias = f"safe-python:health-test-{uuid.uuid4().hex[:8]}"
    repository, tag = alias.split(":")
    engine.client().images.get(python.image).tag(repository, tag)
    monkeypatch.setitem(LANGUAGES, "python", dataclasses.replace(python, image=alias))
    monkeypatch.setattr(engine, "IMAGE", alias)
    engine.forget_image(alias)
    yield alias
    monkeypatch.undo()
    try:
        engine.client().images.remove(alias)
    except Exception:  # noqa: BLE001 - already removed by the test
        pass
    engine.forget_image(alias)


def test_image_removed_after_a_good_check_is_reported_and_refused(client, post_run, image_alias):
    assert client.get("/health").json["image"]["ok"] is True  # present: cached as good
    engine.client().images.remove(image_alias)  # now gone
    health = client.get("/health", expect_errors=True)
    assert health.status_int == 503, health.json  # not the cached "present"
    assert health.json["engine"]["ok"] is True and health.json["image"]["ok"] is False
    assert "python -m sandbox build" in health.json["image"]["detail"]
    answer = post_run(client, json.dumps({"code": "print(1)"}))
    assert answer.status_int == 503
    assert answer.json["reason"] == "image_missing"
    assert image_alias in answer.json["error"] and "python -m sandbox build" in answer.json["error"]


class SilentEngine:
    """A unix socket that accepts connections and never answers: an engine that hangs."""

    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(16)
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        # Closing the accepted connections ends the client's wait at once (it sees EOF).
        self.listener.close()
        for conn in self.accepted:
            conn.close()


def test_health_answers_within_seconds_when_the_engine_hangs(client, engine_ready, monkeypatch, tmp_path):
    silent = SilentEngine(tmp_path / "hung.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/hung.sock")
    engine.forget_clients()
    try:
        for _ in range(2):  # the second request waits on the same stuck check, no longer
            started = time.monotonic()
            health = client.get("/health", expect_errors=True)
            elapsed = time.monotonic() - started
            assert health.status_int == 503 and health.json["engine"]["ok"] is False
            assert "did not answer within 3 s" in health.json["engine"]["detail"]
            assert elapsed < 6, f"/health took {elapsed:.1f} s with a hung engine"
        assert silent.accepted, "nothing ever connected, so this proved nothing"
    finally:
        silent.close()
        monkeypatch.undo()
        engine.forget_clients()
    recovered = _wait_for(lambda: client.get("/health", expect_errors=True).json["ok"], timeout_s=20)
    assert recovered, "/health did not recover once the engine answered again"

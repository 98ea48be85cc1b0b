"""Engine down: /run answers 503 with what to do, the server keeps serving, and recovers."""

from __future__ import annotations

import json

from sandbox import engine


def test_engine_down_then_back(client, post_run, engine_ready, monkeypatch, tmp_path):
    body = json.dumps({"code": "print(2 + 2)"})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine-here.sock")
    engine.forget_clients()
    try:
        down = post_run(client, body)
        assert down.status_int == 503
        assert down.json["reason"] == "engine_unavailable"
        assert "Start Docker" in down.json["error"]          # says what to do
        assert "Traceback" not in down.text
        health = client.get("/health", expect_errors=True)
        assert health.status_int == 503 and health.json["engine"]["ok"] is False
        assert client.get("/").status_int == 200                # the page is still served
    finally:
        monkeypatch.undo()
        engine.forget_clients()
    back = post_run(client, body)
    assert back.status_int == 200 and back.json["output"] == "4\n"
    assert client.get("/health").json["ok"] is True

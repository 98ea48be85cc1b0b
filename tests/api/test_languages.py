"""/run's "language" field, the languages in /api/config, /api/examples and /health.

The refusals need no engine (they stop before the pool); the runs are real, in each language's
own image on the real engine.
"""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from sandbox import Pool, engine
from sandbox.errors import SandboxError
from sandbox.languages import LANGUAGES


def body(**fields) -> str:
    return json.dumps(fields)


@pytest.fixture(scope="module")
def node_image(engine_ready):
    """The engine and the JavaScript image, which is part of the kit's set-up like Python's."""
    try:
        engine.ensure_image(LANGUAGES["javascript"].image)
    except SandboxError as exc:
        pytest.fail(f"the JavaScript image is part of the kit's set-up: {exc}", pytrace=False)


class RecordingRunner:
    """Records every call; the refusals below must never produce one."""

    def __init__(self):
        self.calls = []

    def __call__(self, code, limits=None, **kw):
        self.calls.append((code, kw))
        raise AssertionError("a refused request reached the runner")


@pytest.mark.parametrize(
    "language", ["ruby", "Python", " python", "JavaScript", "node", "", None, 3, ["python"]], ids=repr
)
def test_an_unsupported_language_is_422_listing_the_supported_ones(make_client, post_run, language):
    runner = RecordingRunner()
    with Pool(workers=1, queue=0, runner=runner) as pool:
        answer = post_run(make_client(pool), body(code="print(1)", language=language))
    assert answer.status_int == 422, answer.text
    assert answer.json["reason"] == "unknown_language"
    message = answer.json["error"]
    assert repr(language) in message
    assert "Supported: python, javascript" in message and 'default is "python"' in message
    assert "Traceback" not in answer.text and runner.calls == []


def test_language_is_checked_before_the_profile(make_client, post_run):
    # Both wrong: the answer names the language, the first thing a caller of another language trips on.
    with Pool(workers=1, queue=0, runner=RecordingRunner()) as pool:
        answer = post_run(make_client(pool), body(code="puts 1", language="ruby", profile="yolo"))
    assert (answer.status_int, answer.json["reason"]) == (422, "unknown_language")


def test_config_lists_the_languages(client):
    config = client.get("/api/config").json
    assert [lang["name"] for lang in config["languages"]] == list(LANGUAGES)
    assert {lang["name"]: lang["title"] for lang in config["languages"]} == {
        "python": "Python",
        "javascript": "JavaScript",
    }
    assert {lang["name"]: lang["extension"] for lang in config["languages"]} == {"python": ".py", "javascript": ".js"}
    assert config["default_language"] == "python"


def test_examples_carry_their_language(client):
    examples = client.get("/api/examples").json["examples"]
    by_language = {}
    for example in examples:
        by_language.setdefault(example["language"], set()).add(example["name"])
    assert set(by_language) == set(LANGUAGES)
    assert {"js_hello", "js_infinite_loop", "js_memory_hog", "js_network_call"} <= by_language["javascript"]
    assert {"hello", "memory_hog", "network_call"} <= by_language["python"]
    js_net = next(e for e in examples if e["name"] == "js_network_call")
    assert (js_net["expect"], js_net["control"]) == ("error", "network") and "target" in js_net["code"]


# -- real runs -------------------------------------------------------------------------------


def run(client, post_run, **fields) -> dict:
    answer = post_run(client, body(**fields))
    assert answer.status_int == 200, answer.text
    return answer.json


def test_without_a_language_it_is_python_and_says_so(client, post_run, engine_ready):
    data = run(client, post_run, code="print(2 + 2)")
    assert (data["output"], data["language"]) == ("4\n", "python")
    explicit = run(client, post_run, code="print(2 + 2)", language="python")
    assert (explicit["output"], explicit["language"]) == ("4\n", "python")


def test_javascript_runs_in_node_and_is_echoed(client, post_run, node_image):
    data = run(client, post_run, code="console.log(6 * 7)", language="javascript")
    assert (data["status"], data["output"], data["language"], data["exit_code"]) == ("ok", "42\n", "javascript", 0)
    assert data["profile"] == "hardened" and data["limits"]["timeout_s"] == 3


def test_the_language_really_picks_the_interpreter(client, post_run, node_image):
    # The same source is valid in one language and not the other: the field is not decoration.
    as_js = run(client, post_run, code="print(2 + 2)", language="javascript")
    assert (as_js["status"], as_js["error"]) == ("error", "ReferenceError: print is not defined")
    as_py = run(client, post_run, code="console.log(2 + 2)")
    assert as_py["status"] == "error" and as_py["error"] == "NameError: name 'console' is not defined"


def test_a_javascript_error_is_its_first_line(client, post_run, node_image):
    data = run(client, post_run, code="function f() { throw new TypeError('bad thing') }\nf()", language="javascript")
    assert (data["status"], data["error"], data["exit_code"]) == ("error", "TypeError: bad thing", 1)
    assert "output" not in data


def test_javascript_keeps_the_servers_timeout_and_profiles(client, post_run, node_image):
    data = run(client, post_run, code="while (true) {}", language="javascript", profile="seed_hardened")
    assert data["error"] == "Execution timed out after 3 seconds"
    assert (data["status"], data["stopped_by"], data["profile"], data["language"]) == (
        "timeout",
        "timeout",
        "seed_hardened",
        "javascript",
    )


def test_health_reports_every_languages_image(client, node_image):
    health = client.get("/health").json
    assert health["ok"] is True
    assert set(health["languages"]) == set(LANGUAGES)
    for name, state in health["languages"].items():
        assert state == {"available": True, "image": LANGUAGES[name].image, "detail": "present and current"}
    assert health["image"]["name"] == LANGUAGES["python"].image  # the shape /health always had


@pytest.fixture
def node_image_gone(engine_ready, monkeypatch):
    """JavaScript pointed at a tag no engine has: 'its image is missing', without removing anything."""
    missing = f"safe-node:missing-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(LANGUAGES, "javascript", dataclasses.replace(LANGUAGES["javascript"], image=missing))
    engine.forget_image(missing)
    yield missing
    monkeypatch.undo()
    engine.forget_image(missing)


def test_a_missing_javascript_image_leaves_python_running(client, post_run, node_image_gone):
    health = client.get("/health")
    assert health.status_int == 200 and health.json["ok"] is True  # Python still runs
    js = health.json["languages"]["javascript"]
    assert js["available"] is False and js["image"] == node_image_gone
    assert "python -m sandbox build" in js["detail"] and "--image javascript" in js["detail"]
    assert health.json["languages"]["python"]["available"] is True

    answer = post_run(client, body(code="console.log(1)", language="javascript"))
    assert answer.status_int == 503, answer.text
    assert answer.json["reason"] == "image_missing"
    assert node_image_gone in answer.json["error"] and "--image javascript" in answer.json["error"]
    assert "Traceback" not in answer.text
    assert run(client, post_run, code="print(1)")["output"] == "1\n"

"""POST /grade on a class's server, in process (WebTest): the teacher's code grades a right and
a wrong submission on the real engine (results.json that Gradescope's schema accepts, the
expected scores); students, no code and a server without a class are refused; bad tests and
oversized input are refused with their reason before any container starts."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from pathlib import Path

import jsonschema
import pytest

from server import Settings, create_app
from server.classroom import Classroom, Store
from server.grading import Grading
from server.jsonerr import Refusal

SCHEMA = json.loads((Path(__file__).parents[1] / "grading" / "gradescope_results.schema.json").read_text())

TESTS = """\
from sandbox.grading import scored


def test_small(student):
    assert student.add(2, 3) == 5


@scored(points=2, visibility="hidden")
def test_big(student):
    assert student.add(40, 2) == 42, "the hidden expected value"
"""
RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("classroom"))
    return store, store.create("graded", ["ada"])


@pytest.fixture
def served(klass, pool, checked_app):
    """A class's app where each student may run once a minute: the teacher's grading is not counted."""
    store, codes = klass
    classroom = Classroom(store, "graded", pool, per_minute=1, at_once=1)
    return checked_app(create_app(Settings(timeout_s=3, klass="graded"), pool, classroom=classroom)), codes


def grade(client, body: dict, code: str | None):
    headers = {"Authorization": f"Bearer {code}"} if code else {}
    return client.post_json("/grade", body, headers=headers, expect_errors=True)


@pytest.mark.usefixtures("engine_ready")
def test_the_teacher_grades_a_right_and_a_wrong_submission(served):
    client, codes = served
    right = grade(client, {"submission": RIGHT, "tests": TESTS}, codes["teacher"])
    wrong = grade(client, {"submission": WRONG, "tests": TESTS}, codes["teacher"])
    for answer in (right, wrong):
        assert answer.status_int == 200, answer.text
        jsonschema.validate(answer.json, SCHEMA)
    assert right.json["score"] == 3
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in right.json["tests"]] == [
        ("test_small", 1, 1, "passed"),
        ("test_big", 2, 2, "passed"),
    ]
    assert wrong.json["score"] == 0
    small, big = wrong.json["tests"]
    assert (small["extra_data"]["verdict"], big["extra_data"]["verdict"]) == ("failed", "failed")
    assert "returned -1" in small["output"]  # a visible test says what the student's code answered
    assert big["output"] == "Failed: (hidden test: no details)"  # a hidden one does not
    assert "hidden expected value" not in wrong.text


def test_only_the_teacher_may_grade(served):
    client, codes = served
    body = {"submission": RIGHT, "tests": TESTS}
    student, nobody = grade(client, body, codes["ada"]), grade(client, body, None)
    assert (student.status_int, student.json["reason"]) == (403, "teacher_only")
    assert (nobody.status_int, nobody.json["reason"]) == (401, "missing_code")


def test_a_server_without_a_class_says_how_to_start_one(pool, checked_app):
    client = checked_app(create_app(Settings(timeout_s=3), pool))
    answer = grade(client, {"submission": RIGHT, "tests": TESTS}, None)  # loopback, as the other tests
    assert (answer.status_int, answer.json["reason"]) == (404, "no_class")
    assert "--class NAME" in answer.json["error"] and "python -m sandbox grade" in answer.json["error"]


@pytest.mark.parametrize(
    ("body", "status", "reason", "said"),
    [
        ({"submission": RIGHT, "tests": "def test_a(student):\n    assert (\n"}, 400, "bad_tests", "line 2"),
        ({"submission": RIGHT, "tests": "x = 1\n"}, 400, "bad_tests", "defines no test function"),
        (
            {"submission": RIGHT, "tests": '@scored(visibility="secret")\ndef test_a(s): pass\n'},
            400,
            "bad_tests",
            "NameError",
        ),
        ({"submission": "x" * (256 * 1024 + 1), "tests": TESTS}, 413, "submission_too_large", "262145 bytes"),
        ({"submission": RIGHT, "tests": "#" * (1024 * 1024 + 1)}, 413, "tests_too_large", "the limit is 1048576"),
        ({"submission": "  \n", "tests": TESTS}, 400, "bad_submission", "is empty"),
        ({"submission": RIGHT}, 422, "bad_tests_field", "missing"),
        ({"submission": RIGHT, "tests": TESTS, "limits": {}}, 422, "unknown_field", "'limits'"),
        ({"submission": RIGHT, "tests": TESTS, "profile": "naive"}, 403, "ablation_disabled", "naive"),
    ],
)
def test_bad_input_is_refused_with_its_reason_before_anything_runs(served, body, status, reason, said):
    client, codes = served
    answer = grade(client, body, codes["teacher"])
    assert (answer.status_int, answer.json["reason"]) == (status, reason), answer.text
    assert said in answer.json["error"]
    assert "/tmp" not in answer.json["error"]  # the tests file is named as the teacher sent it, not where it was put


def test_an_unknown_visibility_is_the_tests_error_with_its_words(served):
    client, codes = served
    tests = 'from sandbox.grading import scored\n\n@scored(visibility="secret")\ndef test_a(student):\n    pass\n'
    answer = grade(client, {"submission": RIGHT, "tests": tests}, codes["teacher"])
    assert (answer.status_int, answer.json["reason"]) == (400, "bad_tests")
    assert "unknown visibility 'secret'" in answer.json["error"] and "tests.py" in answer.json["error"]


def test_one_grading_at_a_time_and_the_next_may_start_when_it_ends():
    """The grading's logic only: its runs held back by a stand-in for the queue, no engine."""
    grading, started, release = Grading(), threading.Event(), threading.Event()

    def start_run(code, limits, **kw):
        started.set()
        release.wait(10)
        held: Future = Future()
        held.set_exception(RuntimeError("the stand-in's run ended"))
        return held

    first = grading.submit(RIGHT, TESTS, None, start_run, threading.Event())
    assert started.wait(10)
    with pytest.raises(Refusal) as busy:
        grading.submit(RIGHT, TESTS, None, start_run, threading.Event())
    assert (busy.value.status, busy.value.reason, busy.value.headers) == (429, "grading_busy", {"Retry-After": "5"})
    release.set()
    with pytest.raises(RuntimeError, match="stand-in"):
        first.result(timeout=10)
    second = grading.submit(RIGHT, TESTS, None, start_run, threading.Event())
    with pytest.raises(RuntimeError, match="stand-in"):
        second.result(timeout=10)

"""A class's server, in process (WebTest) with the real engine: join codes, 401s and their
reasons, the slowdown of an address that guesses, a student's quota (that student's alone),
the teacher's view, and /metrics (who may read it, and its counters moving)."""

from __future__ import annotations

import re

import pytest

from server import Settings, create_app
from server.classroom import Classroom, Store

HOST = "127.0.0.1:8000"
pytestmark = pytest.mark.usefixtures("engine_ready")


@pytest.fixture(scope="module")
def klass(tmp_path_factory, pool):
    store = Store(tmp_path_factory.mktemp("classroom"))
    codes = store.create("demo", ["ada", "bob", "cy"])
    store.revoke("demo", "cy")
    store.create("old", ["dee"])
    store.expire("old")
    return store, codes


@pytest.fixture
def served(klass, pool, checked_app):
    """A fresh app (fresh quotas and failure counts) for class `demo`, one run a minute each."""
    store, codes = klass
    settings = Settings(timeout_s=3, klass="demo")
    classroom = Classroom(store, "demo", pool, per_minute=1, at_once=1)
    return checked_app(create_app(settings, pool, classroom=classroom)), codes, classroom


def bearer(code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {code}"}


def run(client, code_text: str, join: str | None, addr: str = "10.0.0.5"):
    return client.post_json(
        "/run",
        {"code": code_text},
        headers=bearer(join) if join else {},
        extra_environ={"REMOTE_ADDR": addr},
        expect_errors=True,
    )


def test_every_run_needs_a_live_code_of_the_class_and_each_refusal_says_why(served, klass):
    client, codes, _ = served
    store, _ = klass
    old = store.create("other", ["eve"])["eve"]
    cases = {
        None: "missing_code",
        "abcde-fghjk-mnpqr-stuvw": "unknown_code",
        codes["cy"]: "revoked_code",
        old: "unknown_code",  # a code of another class
    }
    for code, reason in cases.items():
        answer = run(client, "print(1)", code)
        assert (answer.status_int, answer.json["reason"]) == (401, reason), answer.text
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    me = client.get("/api/class/me", headers=bearer(codes["ada"]))
    assert me.json == {"class": "demo", "who": "ada", "role": "student", "quotas": {"per_minute": 1, "at_once": 1}}
    assert client.get("/api/config").json["join_code_required"] is True


def test_an_expired_class_s_codes_are_refused(klass, pool, checked_app):
    store, _ = klass
    codes = store.create("short", ["fay"])
    app = checked_app(create_app(Settings(klass="short"), pool, classroom=Classroom(store, "short", pool)))
    store.expire("short")
    answer = run(app, "print(1)", codes["fay"])
    assert (answer.status_int, answer.json["reason"]) == (401, "expired_class")


def test_an_address_that_keeps_sending_wrong_codes_is_slowed_and_others_are_not(served):
    client, codes, _ = served
    statuses = [run(client, "print(1)", "wrong-wrong-wrong", addr="10.9.9.9").status_int for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    slowed = run(client, "print(1)", codes["ada"], addr="10.9.9.9")  # even a good code, from there, for now
    assert slowed.status_int == 429 and slowed.json["reason"] == "too_many_failures"
    assert 1 <= int(slowed.headers["Retry-After"]) <= 60
    assert run(client, "print(1)", "wrong-wrong-wrong", addr="10.1.1.1").json["reason"] == "unknown_code"


def test_a_students_quota_is_theirs_alone_and_answers_429_with_retry_after(served):
    client, codes, _ = served
    first = run(client, "print('a', 6 * 7)", codes["ada"])
    assert first.status_int == 200 and first.json["output"] == "a 42\n"
    again = run(client, "print(2)", codes["ada"])
    assert again.status_int == 429 and again.json["reason"] == "student_per_minute"
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    other = run(client, "print('b')", codes["bob"])
    assert other.status_int == 200 and other.json["output"] == "b\n"


def test_the_teacher_sees_each_students_runs_and_the_totals_and_students_do_not(served):
    client, codes, _ = served
    hog = "x = []\nfor _ in range(36):\n    x.append(bytearray(8 * 1024 * 1024))\n"
    assert run(client, hog, codes["bob"]).status_int == 200
    assert client.get("/api/class", headers=bearer(codes["bob"]), expect_errors=True).status_int == 403
    assert client.get("/api/class", expect_errors=True).status_int == 401
    view = client.get("/api/class", headers=bearer(codes["teacher"])).json
    assert [s["name"] for s in view["students"]] == ["ada", "bob", "cy"]
    bob = next(s for s in view["students"] if s["name"] == "bob")
    assert bob["runs_total"] == 1
    assert (bob["runs"][0]["status"], bob["runs"][0]["stopped_by"]) == ("memory", "memory")
    assert bob["runs"][0]["usage"]["oom_kills"] >= 1 and bob["runs"][0]["duration_s"] > 0
    assert view["totals"] == {"runs": 1, "by_status": {"memory": 1}, "by_stopped_by": {"memory": 1}}


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_answer_loopback_or_the_teacher_and_their_counters_move(served, client):
    app, codes, _ = served
    outside = {"REMOTE_ADDR": "10.0.0.7"}
    assert app.get("/metrics", extra_environ=outside, expect_errors=True).status_int == 401
    assert (
        app.get("/metrics", headers=bearer(codes["ada"]), extra_environ=outside, expect_errors=True).status_int == 403
    )
    assert app.get("/metrics", headers=bearer(codes["teacher"]), extra_environ=outside).status_int == 200
    assert (
        client.get("/metrics", extra_environ=outside, expect_errors=True).status_int == 403
    )  # no class: loopback only

    before = app.get("/metrics").text
    assert run(app, "print(1)", codes["ada"]).status_int == 200
    assert run(app, "print(1)", codes["ada"]).status_int == 429
    after = app.get("/metrics")
    assert after.content_type == "text/plain"
    text = after.text
    assert (
        metric(text, 'safe_python_runs_total{status="ok"}') == metric(before, 'safe_python_runs_total{status="ok"}') + 1
    )
    assert metric(text, 'safe_python_too_many_requests_total{reason="student_per_minute"}') >= 1
    assert metric(text, "safe_python_run_seconds_count") == metric(before, "safe_python_run_seconds_count") + 1
    assert metric(text, "safe_python_queue_wait_seconds_count") >= 1
    for name in ("safe_python_queue_depth", "safe_python_workers_busy", 'safe_python_warm{state="idle"}'):
        assert re.search(rf"^{re.escape(name)} ", text, re.M), name

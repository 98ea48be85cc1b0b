"""Fair queueing on the real server and engine: student A queues 20 runs, then B one; B's run
starts before A's second. Each program prints the host's clock as it starts (one worker, so the
runs are one after another); the order is read from those, not from the server's bookkeeping.

About 10 s: the server's start, A's first run, B's, and the one of A's running when the server
is stopped (Ctrl+C cancels the rest, which answer 503)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from sandbox import reaper
from server.classroom import Store
from server.process import LOCAL, ServerProcess, call

pytestmark = pytest.mark.usefixtures("engine_ready")

PROGRAM = "import time\nprint(time.time())\ntime.sleep(0.2)\n"


def post(url: str, code: str, join: str) -> tuple[int, dict, dict]:
    return call(url + "/run", {"code": code}, timeout_s=120, bearer=join)


def teacher_view(url: str, code: str) -> dict:
    request = urllib.request.Request(url + "/api/class", headers={"Authorization": f"Bearer {code}"})
    with LOCAL.open(request, timeout=30) as answer:
        return json.load(answer)


def test_one_students_twenty_runs_do_not_hold_back_anothers_first(tmp_path, child_session):
    codes = Store(tmp_path).create("fair", ["a", "b"])
    srv = ServerProcess(
        *("--class", "fair", "--workers", "1", "--queue", "25", "--at-once", "20", "--per-minute", "100"),
        *("--timeout", "10"),
        env={"SANDBOX_DATA": str(tmp_path)},
        session=child_session(),
    ).start()
    answers: list[tuple[int, dict, dict]] = []
    threads = [threading.Thread(target=lambda: answers.append(post(srv.url, PROGRAM, codes["a"]))) for _ in range(20)]
    try:
        assert call(srv.url + "/api/config")[2]["join_code_required"] is True
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while teacher_view(srv.url, codes["teacher"])["queue"]["by_student"].get("a", 0) < 19:
            assert time.monotonic() < deadline, "A's runs were not all queued"
            time.sleep(0.05)
        over = post(srv.url, "print(1)", codes["a"])  # a 21st while 20 are queued or running
        assert over[0] == 429 and over[2]["reason"] == "student_at_once" and over[1]["Retry-After"]
        status, _, b = post(srv.url, PROGRAM, codes["b"])
        assert status == 200 and b["status"] == "ok", b
        b_started = float(b["stdout"])
    finally:
        code = srv.stop()
        for thread in threads:
            thread.join(60)
    assert code == 0, srv.log()[-3000:]
    assert reaper.leftovers(session=srv.session) == []
    ran = [float(a["stdout"]) for status, _, a in answers if status == 200]
    cancelled = [a["reason"] for status, _, a in answers if status != 200]
    assert len(ran) + len(cancelled) == 20 and set(cancelled) <= {"shutting_down"}, cancelled
    before_b = sorted(t for t in ran if t < b_started)
    # A's first run was already running when B came; round-robin serves B next. First-come
    # would have run all twenty of A's first.
    assert len(before_b) == 1, f"{len(before_b)} of A's runs started before B's ({len(ran)} ran in all)"

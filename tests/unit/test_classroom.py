"""The classroom's logic without an engine: codes stored as hashes, why a code is refused, the CLI,
the quotas' windows, the round-robin order, and a server bound beyond loopback without a class."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

from server import Settings
from server.classroom import Store
from server.classroom.cli import main as class_main
from server.classroom.fair import FairQueue
from server.classroom.quotas import WINDOW_S, Quotas, Window

ROOT = Path(__file__).resolve().parents[2]


def class_cli(capsys, *args: str, data: Path) -> tuple[int, str, str]:
    """`python -m server class ...`, in this process: (exit code, stdout, stderr)."""
    code = class_main(["--data", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def cli(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SANDBOX_DATA": str(data), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "server", *args], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_codes_are_stored_only_as_hashes_and_each_refusal_has_its_reason(tmp_path):
    store = Store(tmp_path)
    codes = store.create("physics", ["ada", "bob"])
    assert set(codes) == {"ada", "bob", "teacher"}
    raw = (tmp_path / "classroom.sqlite3").read_bytes()
    for code in codes.values():
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw
    assert oct((tmp_path / "classroom.sqlite3").stat().st_mode & 0o777) == "0o600"

    ada, why = store.check(codes["ada"], "physics")
    assert (ada.who, ada.role, why) == ("ada", "student", "ok")
    assert store.check(codes["ada"].upper().replace("-", ""), "physics")[0] == ada  # as typed, give or take
    assert store.check(codes["teacher"], "physics")[0].role == "teacher"
    assert store.check("nope-nope-nope-nope", "physics") == (None, "unknown_code")
    store.create("chemistry", ["cy"])
    assert store.check(codes["ada"], "chemistry") == (None, "unknown_code")  # another class's code
    store.revoke("physics", "bob")
    assert store.check(codes["bob"], "physics") == (None, "revoked_code")
    store.expire("physics")
    assert store.check(codes["ada"], "physics") == (None, "expired_class")


def test_class_cli_prints_one_code_per_student_and_refuses_bad_input_in_one_line(tmp_path, capsys):
    code, out, err = class_cli(capsys, "new", "maths", "--students", "3", data=tmp_path)
    assert code == 0, err
    lines = [line.split("\t") for line in out.splitlines() if not line.startswith("#")]
    assert [who for who, _ in lines] == ["student-1", "student-2", "student-3", "teacher"]
    assert len({code for _, code in lines}) == 4
    assert "--class maths" in err and "Authorization: Bearer CODE" in err  # how to start, and curl
    names = tmp_path / "names.csv"
    names.write_text("Ada Lovelace,ada@example.org\nAlan Turing\n\n", encoding="utf-8")
    code, out, err = class_cli(capsys, "new", "logic", "--csv", str(names), data=tmp_path)
    assert code == 0 and "Ada Lovelace\t" in out and "Alan Turing\t" in out, err
    code, out, err = class_cli(capsys, "new", "maths", "--students", "2", data=tmp_path)
    assert code == 2 and "already a class" in err and "Traceback" not in err
    assert class_cli(capsys, "revoke", "maths", "student-2", data=tmp_path)[0] == 0
    assert "maths\t3 students\t1 revoked\tlive" in class_cli(capsys, "list", data=tmp_path)[1]
    assert class_cli(capsys, "expire", "maths", data=tmp_path)[0] == 0
    assert "expired" in class_cli(capsys, "list", data=tmp_path)[1].split("logic")[0]
    code, _, err = class_cli(capsys, "expire", "nothing", data=tmp_path)
    assert code == 2 and "no class named" in err
    code, _, err = class_cli(capsys, "new", "x", "--csv", str(tmp_path / "absent.csv"), data=tmp_path)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err


def test_a_server_bound_beyond_loopback_without_a_class_refuses_to_start_and_says_how(tmp_path):
    refused = cli("--host", "0.0.0.0", "--port", "1", data=tmp_path)
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a class" in refused.stderr
    assert "python -m server class new NAME" in refused.stderr and "--class NAME" in refused.stderr
    assert "--open" in refused.stderr
    for host, alone in (("127.0.0.2", True), ("::1", True), ("0.0.0.0", False), ("::", False), ("lab.local", False)):
        assert Settings(host=host).loopback is alone, host
    unknown = cli("--host", "0.0.0.0", "--port", "1", "--class", "nope", "--data", str(tmp_path), data=tmp_path)
    assert unknown.returncode == 2 and "no class named 'nope'" in unknown.stderr


def test_the_quotas_count_at_once_and_per_minute_for_each_student_alone():
    quotas = Quotas(per_minute=3, at_once=2)
    assert quotas.take("a") is None and quotas.take("a") is None
    assert quotas.take("a") == ("student_at_once", 1)
    assert quotas.take("b") is None  # another student is not held by a's runs
    quotas.give_back("a")
    assert quotas.take("a") is None
    quotas.give_back("a")
    quotas.give_back("a")
    reason, wait = quotas.take("a")
    assert reason == "student_per_minute" and 1 <= wait <= WINDOW_S


def test_a_window_forgets_events_older_than_a_minute():
    now = [1000.0]
    window = Window(2, clock=lambda: now[0])
    window.add("x")
    window.add("x")
    assert window.full("x") == 60
    now[0] += 45
    assert window.full("x") == 15
    now[0] += 15
    assert window.full("x") == 0


class FakePool:
    """Only what the fair queue asks of a pool: its bounds. The runs are futures the test ends."""

    workers, queue = 1, 50

    def retry_after_s(self) -> int:
        return 1


def test_the_fair_queue_serves_students_round_robin_and_keeps_the_pool_to_its_workers():
    fair = FairQueue(FakePool())
    started: list[str] = []
    running: list[Future] = []

    def start(label):
        def go():
            started.append(label)
            inner: Future = Future()
            inner.set_running_or_notify_cancel()
            running.append(inner)
            return inner

        return go

    outer = [fair.submit("a", start(f"a{i}")) for i in range(1, 6)]
    fair.submit("b", start("b1"))
    fair.submit("c", start("c1"))
    assert started == ["a1"]  # one worker: nothing else is handed to the pool
    gone = fair.submit("c", start("c2"))
    assert gone.cancel()  # its client left while it waited: never started, not counted
    assert fair.waiting() == {"a": 4, "b": 1, "c": 1}
    while len(started) < 7:
        running[len(started) - 1].set_result(len(started))
    assert started == ["a1", "b1", "c1", "a2", "a3", "a4", "a5"]
    assert outer[0].result(timeout=1) == 1
    outer[4].cancel()  # already handed on: a waiting run would be cancelled, this one is not
    running[-1].set_result("done")
    assert fair.waiting() == {}


def test_the_store_survives_a_second_process_reading_it(tmp_path):
    store = Store(tmp_path)
    codes = store.create("one", ["x"])
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM codes").fetchone() == (2,)
    assert Store(tmp_path).check(codes["x"], "one")[1] == "ok"

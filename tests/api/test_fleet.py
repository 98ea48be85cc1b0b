"""Past one machine, for real: Debian's redis-server, two workers each on its own private Docker 26,
and the server with --broker, brought up once for the whole module.

Proved here: runs split across both workers; stdin, files and a timeout through the queue;
/run/stream through the queue, and a client that hangs up gets its run killed on its worker; a
worker SIGKILLed mid-run, and its engine stopped, has its run redelivered to the other (the
answer says `attempt: 2`), and the reaper removes its orphan container when the engine and the
worker start again; Redis stopped mid-burst
gives 503 `broker_unavailable` while it is gone, and the server recovers by itself with every
request answered once; nothing is left on either engine. Every process is stopped by its own pid,
whatever happens.

Cost: two private engines started side by side (Python's image only, no gVisor), and the
redelivery waits for the broker's visibility timeout (the workers take runs of at most 3 s, so
19 s). Marked own_engine (it starts engines) and once: the main pass runs it, the private
engines' passes do not.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.classroom import Store
from server.process import LOCAL, ServerProcess, call

pytestmark = [pytest.mark.own_engine, pytest.mark.once]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "private-engine.sh"
MAX_RUN_S = 3
LABEL = "org.safe-python.kit=1"


def _wait_for(what, check, timeout_s: float, step_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step_s)
    raise AssertionError(f"{what}: not within {timeout_s:g} s")


class Redis:
    def __init__(self, binary: str, folder: Path):
        self.binary, self.folder = binary, folder
        self.sock = folder / "redis.sock"
        self.password = uuid.uuid4().hex
        self.url = f"unix://:{self.password}@{self.sock}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.sock),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                self.password,
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for("redis-server answers", self.answers, 20)

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(unix_socket_path=str(self.sock), password=self.password).ping())
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Engine:
    def __init__(self, folder: Path):
        self.folder = folder
        self.host = ""

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "SANDBOX_ENGINE_IMAGES": "safe-python:latest", "SANDBOX_RUNSC": "0"}
        return subprocess.Popen(
            ["bash", str(SCRIPT), "start", "docker26", str(self.folder)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def containers(self) -> list[str]:
        env = {**os.environ, "DOCKER_HOST": self.host}
        listed = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={LABEL}"], env=env, capture_output=True, text=True, timeout=30
        )
        return listed.stdout.split()

    def running(self) -> list[str]:
        env = {**os.environ, "DOCKER_HOST": self.host}
        listed = subprocess.run(
            ["docker", "ps", "-q", "--filter", f"label={LABEL}"], env=env, capture_output=True, text=True, timeout=30
        )
        return listed.stdout.split()

    def stop_daemon(self) -> None:
        """Stop the engine's daemon by its own pid (its containers and data stay, as on a machine's stop)."""
        pidfile = self.folder / "docker.pid"
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
        _wait_for("the engine stopped", lambda: not pidfile.exists(), 60)

    def restart(self) -> None:
        proc = self.start()
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-500:]

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.folder)], capture_output=True, timeout=180)


class Worker:
    def __init__(self, name: str, engine: Engine, broker: str, session: str):
        self.name, self.engine, self.broker, self.session = name, engine, broker, session
        self.log = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - read after the process ends
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DOCKER_HOST": self.engine.host, "SANDBOX_SESSION": self.session, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "sandbox", "worker", "--broker", self.broker, "--name", self.name]
        self.proc = subprocess.Popen(
            [*argv, "--concurrency", "2", "--max-run-s", str(MAX_RUN_S)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )

    def text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _workers_answering(server: ServerProcess) -> set[str]:
    found = server.health() or {}
    return {w["name"] for w in found.get("broker", {}).get("workers", [])}


@pytest.fixture(scope="module")
def fleet(require, child_session, tmp_path_factory):
    if os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        require("private engines and redis-server", "it needs root on Debian", "SANDBOX_REQUIRE_ENGINES")
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        require("the queue extra (celery, redis)", str(exc), "SANDBOX_REQUIRE_ENGINES")
    fetched = subprocess.run(["bash", str(SCRIPT), "redis"], capture_output=True, text=True, timeout=300)
    if fetched.returncode != 0:
        require("redis-server", fetched.stderr.strip()[-300:], "SANDBOX_REQUIRE_ENGINES")
    base = Path(tempfile.mkdtemp(prefix="safe-python-fleet-"))
    engines = [Engine(base / "engine-a"), Engine(base / "engine-b")]
    broker = Redis(fetched.stdout.strip(), tmp_path_factory.mktemp("redis"))
    workers: list[Worker] = []
    server = None
    try:
        starting = [engine.start() for engine in engines]  # side by side: each waits on its own daemon
        for engine, proc in zip(engines, starting, strict=True):
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                require("a private Docker 26", err.strip()[-500:], "SANDBOX_REQUIRE_ENGINES")
            engine.host = out.strip().splitlines()[-1]
        broker.start()
        workers = [
            Worker(f"w{n}", engine, broker.url, child_session()) for n, engine in zip("ab", engines, strict=True)
        ]
        for worker in workers:
            worker.start()
        server = ServerProcess("--broker", broker.url, "--timeout", str(MAX_RUN_S), "--workers", "6", "--queue", "8")
        server.start()
        _wait_for("both workers answer", lambda: _workers_answering(server) == {"wa", "wb"}, 60)
        yield server, workers, engines, broker
    finally:
        if server is not None:
            server.stop()
        for worker in workers:
            worker.stop()
        broker.stop()
        for engine in engines:
            engine.stop()
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _run(server: ServerProcess, body: dict, timeout_s: float = 90) -> tuple[int, dict]:
    status, _, answer = call(server.url + "/run", body, timeout_s=timeout_s)
    return status, answer


def test_runs_split_across_both_workers_and_answer_as_the_local_path_does(fleet):
    server, *_ = fleet
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: _run(server, {"code": f"import time; time.sleep(0.5); print({i} * 2)"}), range(8))
        )
    assert [status for status, _ in answers] == [200] * 8, answers
    assert [a["output"] for _, a in answers] == [f"{i * 2}\n" for i in range(8)]
    assert {a["worker"] for _, a in answers} == {"wa", "wb"}
    assert {a["attempt"] for _, a in answers} == {1}
    assert all(a["profile"] == "hardened" and a["limits"]["timeout_s"] == MAX_RUN_S for _, a in answers)


def test_stdin_files_and_a_timeout_through_the_queue(fleet):
    server, *_ = fleet
    status, answer = _run(server, {"code": "print(input()[::-1])", "stdin": "Ada\n"})
    assert (status, answer["output"]) == (200, "adA\n")
    code = "import pathlib as p; print(p.Path('data.csv').read_text().upper()); p.Path('out/r.txt').write_text('ok')"
    status, answer = _run(server, {"code": code, "files": {"data.csv": "a,b\n"}})
    assert status == 200 and answer["output"] == "A,B\n\n", answer
    assert [f["name"] for f in answer["files"]] == ["r.txt"]
    status, answer = _run(server, {"code": "while True: pass"})
    assert status == 200 and answer["status"] == "timeout" and answer["stopped_by"] == "timeout"


FAIR_PROGRAM = "import time\nprint(time.time())\ntime.sleep(0.2)\n"


def _post_as(url: str, code: str, join: str) -> tuple[int, dict]:
    status, _, answer = call(url + "/run", {"code": code}, timeout_s=120, bearer=join)
    return status, answer


def test_a_class_is_served_fairly_through_the_queue(fleet, tmp_path, child_session):
    """The classroom's fairness holds through the broker: a class's server with --broker hands
    the queue one run at a time (--workers 1), the next from the student served least recently.
    A queues 20 runs, then B one; B's run starts before A's second, read from the programs'
    own clocks (both workers share this host's)."""
    _, _, _, broker = fleet
    codes = Store(tmp_path).create("fairq", ["a", "b"])
    srv = ServerProcess(
        *("--class", "fairq", "--broker", broker.url, "--workers", "1", "--queue", "25"),
        *("--at-once", "20", "--per-minute", "100", "--timeout", str(MAX_RUN_S)),
        env={"SANDBOX_DATA": str(tmp_path)},
        session=child_session(),
    ).start()
    answers: list[tuple[int, dict]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(_post_as(srv.url, FAIR_PROGRAM, codes["a"]))) for _ in range(20)
    ]
    try:
        for thread in threads:
            thread.start()
        teacher = urllib.request.Request(
            srv.url + "/api/class", headers={"Authorization": f"Bearer {codes['teacher']}"}
        )

        def queued() -> bool:
            with LOCAL.open(teacher, timeout=30) as answer:
                return json.load(answer)["queue"]["by_student"].get("a", 0) >= 19

        _wait_for("A's runs queued", queued, 60, 0.05)
        status, b = _post_as(srv.url, FAIR_PROGRAM, codes["b"])
        assert status == 200 and b["status"] == "ok", b
        b_started = float(b["output"])
    finally:
        srv.stop()
        for thread in threads:
            thread.join(60)
    ran = [float(a["output"]) for status, a in answers if status == 200]
    refused = [a.get("reason") for status, a in answers if status != 200]
    assert len(ran) + len(refused) == 20 and set(refused) <= {"shutting_down"}, (refused, srv.log()[-3000:])
    assert "Traceback" not in srv.log(), srv.log()[-3000:]  # the teacher's record of a run, the stop
    before_b = [t for t in ran if t < b_started]
    assert len(before_b) == 1, f"{len(before_b)} of A's runs started before B's ({len(ran)} ran in all)"


def _stream(server: ServerProcess, code: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = json.dumps({"code": code})
    connection.request("POST", "/run/stream", body=body, headers={"Content-Type": "application/json"})
    return connection, connection.getresponse()


def test_streaming_through_the_queue_and_a_hang_up_kills_the_run_on_its_worker(fleet):
    server, workers, engines, _ = fleet
    connection, answer = _stream(server, "for i in range(3): print(i, flush=True)")
    events = [json.loads(line) for line in answer.read().decode().splitlines()]
    connection.close()
    assert "".join(e["text"] for e in events if e["event"] == "output") == "0\n1\n2\n"
    assert events[-1]["event"] == "result" and events[-1]["status"] == "ok" and events[-1]["attempt"] == 1

    connection, answer = _stream(server, "print('x' * 200_000)")  # past the server's 64 KiB cap
    events = [json.loads(line) for line in answer.read().decode().splitlines()]
    connection.close()
    streamed = "".join(e["text"] for e in events if e["event"] == "output")
    assert events[-1]["status"] == "output_limit" and len(streamed.encode()) <= 64 * 1024

    code = "import time\nfor i in range(1000):\n    print(i, flush=True)\n    time.sleep(0.05)"
    connection, answer = _stream(server, code)
    while json.loads(answer.readline()).get("event") != "output":
        pass
    answer.close()
    connection.close()  # the client hangs up mid-run, well before its 3 s timeout
    # the worker says so only when a cancel reaches a run it is running (a timeout says nothing)
    _wait_for(
        "the worker running it kills it", lambda: any("its client left; killing it" in w.text() for w in workers), 20
    )
    _wait_for("its container gone", lambda: not any(e.running() for e in engines), 30)


def test_a_full_queue_is_refused_at_once(fleet):
    from sandbox import PROFILES, QueueFull
    from sandbox.fleet import FleetPool

    _, _, _, broker = fleet
    limits = PROFILES["hardened"].replace(timeout_s=MAX_RUN_S)
    pool = FleetPool(broker.url, workers=1, queue=1)  # this server's bound: 2 runs waited on
    try:
        held = [pool.submit("import time; time.sleep(1)", limits) for _ in range(2)]
        began = time.monotonic()
        with pytest.raises(QueueFull) as full:
            pool.submit("print(1)", limits)
        assert time.monotonic() - began < 5 and full.value.retry_after_s >= 1  # a safety bound: no waiting
        assert [f.result(timeout=60).status for f in held] == ["ok", "ok"]
    finally:
        pool.shutdown()


def test_a_worker_killed_mid_run_has_its_run_redelivered_and_its_orphan_reaped(fleet):
    server, workers, engines, _ = fleet
    answer: dict = {}
    code = "import time; print('begun', flush=True); time.sleep(2); print('done')"
    asking = threading.Thread(
        target=lambda: answer.update(zip(("status", "body"), _run(server, {"code": code}), strict=False))
    )
    asking.start()
    busy = _wait_for("the run has started on one engine", lambda: [e for e in engines if e.running()], 30, 0.05)[0]
    victim = workers[engines.index(busy)]
    victim.kill()  # SIGKILL: no goodbye to the broker, its container left running
    busy.stop_daemon()  # and its machine's engine stopped
    asking.join(120)
    assert answer["status"] == 200, answer
    other = ({"wa", "wb"} - {victim.name}).pop()
    assert answer["body"]["attempt"] == 2 and answer["body"]["worker"] == other
    assert answer["body"]["output"] == "begun\ndone\n"
    busy.restart()
    assert busy.containers(), "the killed worker's container should still be there for the reaper"
    victim.log.truncate(0)
    victim.start()  # the same machine's worker again: its reaper runs first
    _wait_for("the reaper's word", lambda: "the reaper removed 1 container(s)" in victim.text(), 60)
    assert busy.containers() == []
    _wait_for("both workers answer again", lambda: _workers_answering(server) == {"wa", "wb"}, 30)


def test_redis_restarted_mid_burst_503_while_gone_then_recovers(fleet):
    server, workers, _, broker = fleet
    before = [len(w.text()) for w in workers]
    with ThreadPoolExecutor(6) as pool:
        burst = [pool.submit(_run, server, {"code": f"import time; time.sleep(1); print({i})"}) for i in range(6)]
        time.sleep(0.5)
        broker.stop()
        status, answer = _run(server, {"code": "print(1)"})
        assert (status, answer["reason"]) == (503, "broker_unavailable"), answer
        health = server.health()
        assert health is not None and not health["ok"] and not health["broker"]["ok"]
        answers = [f.result(timeout=120) for f in burst]
    # each request answered once: a result, or 503 with the reason; never anything else
    for status, answer in answers:
        assert status == 200 or (status == 503 and answer["reason"] in ("broker_unavailable", "no_workers")), answer
    broker.start()
    _wait_for("both workers back", lambda: _workers_answering(server) == {"wa", "wb"}, 60)
    status, answer = _run(server, {"code": "print('back')"})
    assert (status, answer["output"]) == (200, "back\n")
    for worker, seen in zip(workers, before, strict=True):
        assert "redelivered: attempt" not in worker.text()[seen:]  # nothing ran twice (the worker's own words)


def test_nothing_is_left_on_either_engine(fleet):
    _, _, engines, _ = fleet
    _wait_for("no container of the kit on either engine", lambda: not any(e.containers() for e in engines), 30)

"""The real `python -m server` in a child process, spoken to over raw loopback sockets: what
waitress sees before the app does (body limits, chunked bodies, broken HTTP), clients that hang
up mid-run, and Ctrl+C (once: a graceful stop; twice: a forced one)."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from sandbox import engine, reaper
from server.body import MAX_BODY_BYTES
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")

LOOP = json.dumps({"code": "while True:\n    pass\n"}).encode()
SLEEP_30 = json.dumps({"code": "import time\ntime.sleep(30)\n"}).encode()
# Holds the only worker long enough (15 s of the server's 30 s clock) for a queued client to come,
# hang up and be noticed, however slowly: the first run must still be going when that is checked.
SLEEP_15 = json.dumps({"code": "import time\ntime.sleep(15)\nprint('slept')\n"}).encode()


@pytest.fixture(scope="module")
def live(child_session):
    # A 30 s timeout, so that a run that ends within seconds was ended by something else; no
    # warm containers, so that the session's containers are exactly the runs in flight.
    srv = ServerProcess(
        "--timeout", "30", "--workers", "1", "--queue", "2", "--warm", "0", session=child_session()
    ).start()
    yield srv
    code = srv.stop()
    assert code == 0, srv.log()
    assert reaper.leftovers(session=srv.session) == []


def connect(srv) -> socket.socket:
    return socket.create_connection(("127.0.0.1", srv.port), timeout=20)


def post_head(srv, length: int | str, extra: str = "") -> bytes:
    return (
        f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
        f"{extra}Content-Length: {length}\r\n\r\n"
    ).encode()


def read_answer(sock) -> tuple[int, dict, dict]:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    body = answer.read()
    return answer.status, dict(answer.getheaders()), json.loads(body)


def chunked(srv, chunks: list[bytes], finish: bool = True) -> bytes:
    head = (
        f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head + body + (b"0\r\n\r\n" if finish else b"")


def wait_until(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def test_contract_over_a_real_socket(live):
    body = json.dumps({"code": "print(2 + 2)"}).encode()
    with connect(live) as sock:
        sock.sendall(post_head(live, len(body)) + body)
        status, headers, data = read_answer(sock)
    assert (status, data["output"]) == (200, "4\n")
    assert headers["Content-Type"] == "application/json"
    assert "Access-Control-Allow-Origin" not in headers


def test_chunked_body_without_a_length_runs(live):
    body = json.dumps({"code": "print('chunked')"}).encode()
    with connect(live) as sock:
        sock.sendall(chunked(live, [body[:10], body[10:]]))
        status, _, data = read_answer(sock)
    assert (status, data["output"]) == (200, "chunked\n")


def test_huge_content_length_is_refused_before_the_body_is_sent(live):
    with connect(live) as sock:
        sock.sendall(post_head(live, 2 * 1024**3))  # announce 2 GiB, send none of it
        started = time.monotonic()
        status, headers, data = read_answer(sock)
    assert status == 413 and data["reason"] == "body_too_large"
    assert time.monotonic() - started < 5
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_chunked_body_past_the_bound_is_refused_before_it_ends(live):
    # More chunks than the bound and no final chunk: the answer comes without the body ever ending.
    with connect(live) as sock:
        sock.sendall(chunked(live, [b" " * 8192] * (MAX_BODY_BYTES // 8192 + 2), finish=False))
        status, _, data = read_answer(sock)
    assert status == 413 and data["reason"] == "body_too_large"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
        b"POST /run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    ],
)
def test_broken_http_gets_json_not_a_traceback(live, request_bytes):
    with connect(live) as sock:
        sock.sendall(request_bytes)
        status, headers, data = read_answer(sock)
    assert status in (400, 501)
    assert data["error"] and "Traceback" not in data["error"]
    assert "Content-Security-Policy" in headers


@pytest.mark.parametrize("path", ["/%ff", "/%00", "/%c0%af"])
def test_paths_that_are_not_utf8_or_hold_nul_answer_json(live, path):
    with connect(live) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n".encode())
        status, headers, data = read_answer(sock)
    assert (status, data["reason"]) == (400, "bad_path")
    assert headers["Content-Type"] == "application/json"


def test_client_that_hangs_up_mid_run_gets_its_container_killed_at_once(live):
    sock = connect(live)
    sent = time.monotonic()
    sock.sendall(post_head(live, len(SLEEP_30)) + SLEEP_30)
    seen = wait_until(lambda: reaper.leftovers(session=live.session), timeout=15)
    assert seen, "the run's container never appeared, so this test would prove nothing"
    assert live.health()["pool"]["running"] == 1
    hung_up = time.monotonic()
    sock.close()  # hang up long before the program would end
    # Neither the program (it sleeps 30 s) nor the server's 30 s clock ends the run before
    # sent + 30 s, whatever the machine's speed: a run over before then was killed by the hang-up.
    ends_by_itself = sent + 30
    gone = wait_until(
        lambda: reaper.leftovers(session=live.session) == [], timeout=ends_by_itself - time.monotonic() - 1, step=0.2
    )
    assert gone, f"container still there {time.monotonic() - hung_up:.1f} s after the hang-up"
    assert wait_until(lambda: live.health()["pool"]["running"] == 0, timeout=5), live.health()
    assert time.monotonic() < ends_by_itself, f"{time.monotonic() - hung_up:.1f} s after the hang-up"
    assert wait_until(lambda: "client_gone run killed (status killed)" in live.log(), timeout=5), live.log()[-1500:]
    body = json.dumps({"code": "print('still serving')"}).encode()
    with connect(live) as again:
        again.sendall(post_head(live, len(body)) + body)
        assert read_answer(again)[2]["output"] == "still serving\n"


def test_client_that_hangs_up_while_queued_gives_its_place_back(live):
    first = connect(live)
    first.sendall(post_head(live, len(SLEEP_15)) + SLEEP_15)  # takes the only worker for 15 s
    assert wait_until(lambda: live.health()["pool"]["running"] == 1, timeout=15)
    second = connect(live)
    second.sendall(post_head(live, len(LOOP)) + LOOP)
    assert wait_until(lambda: live.health()["pool"]["queued"] == 1, timeout=5)
    second.close()
    freed = wait_until(lambda: live.health()["pool"] if live.health()["pool"]["queued"] == 0 else None, timeout=10)
    assert freed and freed["running"] == 1, "the queued run was not cancelled while the first still ran"
    first.settimeout(60)  # its answer comes after the 15 s sleep
    status, _, data = read_answer(first)
    first.close()
    assert (status, data["status"], data["output"]) == (200, "ok", "slept\n")
    assert "client_gone queued run cancelled" in live.log()
    assert live.log().count("run=ok") >= 1


def _session_networks(session: str) -> list:
    return engine.client().api.networks(filters={"label": [f"{engine.LABEL_SESSION}={session}"]})


def refused(srv) -> bool:
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.timeout(120)
def test_ctrl_c_finishes_running_runs_answers_them_and_removes_everything(engine_ready, child_session):
    srv = ServerProcess(
        "--timeout", "4", "--workers", "1", "--queue", "2", "--allow-ablation", session=child_session()
    ).start()
    try:
        assert "--allow-ablation is ON" in srv.log()
        # A run without the network control creates an internal network and the target container.
        fetch = {
            "code": "import urllib.request\nprint(urllib.request.urlopen('http://target:8080/', timeout=5).status)",
            "without": ["network"],
        }
        body = json.dumps(fetch).encode()
        with connect(srv) as sock:
            sock.sendall(post_head(srv, len(body)) + body)
            assert read_answer(sock)[2]["output"] == "200\n"
        assert _session_networks(srv.session), "no network was made, so teardown would prove nothing"
        # One run going and one waiting when Ctrl+C arrives.
        running = connect(srv)
        running.sendall(post_head(srv, len(LOOP)) + LOOP)
        assert wait_until(lambda: srv.health()["pool"]["running"] == 1, timeout=15)
        queued = connect(srv)
        queued.sendall(post_head(srv, len(LOOP)) + LOOP)
        assert wait_until(lambda: srv.health()["pool"]["queued"] == 1, timeout=5)
        started = time.monotonic()
        srv.interrupt()
        assert read_answer(queued)[:1] == (503,)  # told at once, not left waiting
        assert wait_until(lambda: refused(srv), timeout=5), "still accepting connections after Ctrl+C"
        status, _, data = read_answer(running)  # the running one is answered
        assert (status, data["status"]) == (200, "timeout")
        code = srv.proc.wait(30)
        elapsed = time.monotonic() - started
    finally:
        srv.stop()
    running.close()
    queued.close()
    assert code == 0, srv.log()
    assert elapsed < 4 + 20
    assert "stopped: no container of this server is left" in srv.log()
    assert reaper.leftovers(session=srv.session) == []
    assert _session_networks(srv.session) == []
    assert "Traceback" not in srv.log()


@pytest.mark.timeout(120)
def test_second_ctrl_c_kills_running_runs_at_once(engine_ready, child_session):
    srv = ServerProcess("--timeout", "30", "--workers", "2", session=child_session()).start()
    try:
        sock = connect(srv)
        sent = time.monotonic()
        sock.sendall(post_head(srv, len(SLEEP_30)) + SLEEP_30)
        assert wait_until(lambda: reaper.leftovers(session=srv.session), timeout=15)
        srv.interrupt()
        assert wait_until(lambda: "Ctrl+C again kills them now" in srv.log(), timeout=10), srv.log()
        started = time.monotonic()
        srv.interrupt()
        status, _, data = read_answer(sock)
        sock.close()
        assert (status, data["status"]) == (200, "killed"), data
        assert data["error"].startswith("Cancelled")
        code = srv.proc.wait(20)
        stopped = time.monotonic()
    finally:
        srv.stop()
    assert code == 130, srv.log()
    # The program sleeps 30 s under a 30 s clock, both begun after `sent`: a server gone before
    # sent + 30 s killed its run, at any speed (waiting for it would take longer).
    assert stopped < sent + 30, f"a forced stop took {stopped - started:.1f} s"
    assert "forced stop: killing 1 running run(s) now" in srv.log()
    assert reaper.leftovers(session=srv.session) == []
    assert "Traceback" not in srv.log()


def test_server_logs_one_line_per_request(live):
    before = live.log().count("server.access")
    for path in ("/health", "/api/examples", "/nope"):
        with connect(live) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n".encode())
            read_answer(sock)
    assert wait_until(lambda: live.log().count("server.access") - before == 3, timeout=5), live.log()[-800:]

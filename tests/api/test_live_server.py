"""The real `python -m server` in a child process, spoken to over raw loopback sockets: what
waitress sees before the app does (body limits, chunked bodies, broken HTTP), clients that hang
up mid-run, and Ctrl+C."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from sandbox import engine, reaper
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")

LOOP = json.dumps({"code": "while True:\n    pass\n"}).encode()


@pytest.fixture(scope="module")
def live():
    srv = ServerProcess("--timeout", "4", "--workers", "1", "--queue", "2").start()
    yield srv
    code = srv.stop()
    assert code == 0, srv.log()
    assert reaper.leftovers(session=srv.session) == []


def connect(srv) -> socket.socket:
    return socket.create_connection(("127.0.0.1", srv.port), timeout=20)


def post_head(srv, length: int | str, extra: str = "") -> bytes:
    return (f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {length}\r\n\r\n").encode()


def read_answer(sock) -> tuple[int, dict, dict]:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    body = answer.read()
    return answer.status, dict(answer.getheaders()), json.loads(body)


def chunked(srv, chunks: list[bytes], finish: bool = True) -> bytes:
    head = (f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
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
        sock.sendall(post_head(live, 2 * 1024 ** 3))   # announce 2 GiB, send none of it
        started = time.monotonic()
        status, headers, data = read_answer(sock)
    assert status == 413 and data["reason"] == "body_too_large"
    assert time.monotonic() - started < 5
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_chunked_body_past_the_bound_is_refused_before_it_ends(live):
    # 80 KiB of chunks and no final chunk: the answer comes without the body ever ending.
    with connect(live) as sock:
        sock.sendall(chunked(live, [b" " * 8192] * 10, finish=False))
        status, _, data = read_answer(sock)
    assert status == 413 and data["reason"] == "body_too_large"


@pytest.mark.parametrize("request_bytes", [
    b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
    b"POST /run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
])
def test_broken_http_gets_json_not_a_traceback(live, request_bytes):
    with connect(live) as sock:
        sock.sendall(request_bytes)
        status, headers, data = read_answer(sock)
    assert status in (400, 501)
    assert data["error"] and "Traceback" not in data["error"]
    assert "Content-Security-Policy" in headers


def test_client_that_hangs_up_mid_run_leaves_no_container(live):
    sock = connect(live)
    sock.sendall(post_head(live, len(LOOP)) + LOOP)
    seen = wait_until(lambda: reaper.leftovers(session=live.session), timeout=15)
    assert seen, "the run's container never appeared, so this test would prove nothing"
    sock.close()   # hang up while the program is still looping
    gone = wait_until(lambda: reaper.leftovers(session=live.session) == [], timeout=4 + 20, step=0.5)
    assert gone, reaper.leftovers(session=live.session)
    assert wait_until(lambda: "client_gone run continues to its end" in live.log(), timeout=5), live.log()
    assert live.health()["pool"]["running"] == 0
    body = json.dumps({"code": "print('still serving')"}).encode()
    with connect(live) as again:
        again.sendall(post_head(live, len(body)) + body)
        assert read_answer(again)[2]["output"] == "still serving\n"


def test_client_that_hangs_up_while_queued_gives_its_place_back(live):
    first = connect(live)
    first.sendall(post_head(live, len(LOOP)) + LOOP)     # takes the only worker for 4 s
    assert wait_until(lambda: live.health()["pool"]["running"] == 1, timeout=15)
    second = connect(live)
    second.sendall(post_head(live, len(LOOP)) + LOOP)
    assert wait_until(lambda: live.health()["pool"]["queued"] == 1, timeout=5)
    second.close()
    freed = wait_until(lambda: live.health()["pool"] if live.health()["pool"]["queued"] == 0 else None, timeout=3)
    assert freed and freed["running"] == 1, "the queued run was not cancelled while the first still ran"
    status, _, data = read_answer(first)
    first.close()
    assert (status, data["status"]) == (200, "timeout")
    assert "client_gone queued run cancelled" in live.log()
    assert live.log().count("run=timeout") >= 1 and "POST /run 200" in live.log()


def _session_networks(session: str) -> list:
    return engine.client().api.networks(filters={"label": [f"{engine.LABEL_SESSION}={session}"]})


@pytest.mark.timeout(120)
def test_ctrl_c_stops_cleanly_and_removes_everything(engine_ready):
    srv = ServerProcess("--timeout", "4", "--allow-ablation").start()
    try:
        assert "--allow-ablation is ON" in srv.log()
        # A run without the network control creates this server's target container and network.
        fetch = {"code": "import urllib.request\nprint(urllib.request.urlopen('http://target:8080/', "
                         "timeout=5).status)", "without": ["network"]}
        body = json.dumps(fetch).encode()
        with connect(srv) as sock:
            sock.sendall(post_head(srv, len(body)) + body)
            assert read_answer(sock)[2]["output"] == "200\n"
        assert _session_networks(srv.session), "no network was made, so teardown would prove nothing"
        # A run still going when Ctrl+C arrives.
        loop = connect(srv)
        loop.sendall(post_head(srv, len(LOOP)) + LOOP)
        assert wait_until(lambda: srv.health()["pool"]["running"] == 1, timeout=15)
        started = time.monotonic()
        code = srv.stop(timeout_s=60)
        elapsed = time.monotonic() - started
    finally:
        srv.stop()
    loop.close()
    assert code == 0, srv.log()
    assert elapsed < 4 + 20
    assert "stopped: no container of this server is left running" in srv.log()
    assert reaper.leftovers(session=srv.session) == []
    assert _session_networks(srv.session) == []
    assert "Traceback" not in srv.log()


def test_server_logs_one_line_per_request(live):
    before = live.log().count("server.access")
    for path in ("/health", "/api/examples", "/nope"):
        with connect(live) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n".encode())
            read_answer(sock)
    assert wait_until(lambda: live.log().count("server.access") - before == 3, timeout=5), live.log()[-800:]

"""The server's connection bounds (server/connections.py), on a real `python -m server` over
loopback: sockets that trickle or idle cannot lock anyone else out, a half-closed client still
gets its answer, and no request can forge a line of the server's log."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from sandbox import reaper
from server.connections import IDLE_TIMEOUT_S, PER_ADDRESS, REQUEST_TIMEOUT_S
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")

# Far more than the per-address cap, and more than waitress's own default of 100 connections.
TRICKLERS = 300
# The safety bound of "answered within a few seconds" (the answer itself takes well under one).
ANSWER_BOUND_S = 5


@pytest.fixture(scope="module")
def live(child_session):
    srv = ServerProcess("--workers", "1", "--warm", "0", session=child_session()).start()
    yield srv
    assert srv.stop() == 0, srv.log()
    assert reaper.leftovers(session=srv.session) == []


def open_from(srv, source: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", srv.port))
    return sock


def read_all(sock, limit_s: float = 30) -> bytes:
    """Everything the server sends until it closes the connection (or `limit_s` passes)."""
    sock.settimeout(limit_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def health_from(srv, source: str = "127.0.0.1") -> tuple[float, bytes]:
    started = time.monotonic()
    with open_from(srv, source) as sock:
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: close\r\n\r\n".encode())
        answer = read_all(sock)
    return time.monotonic() - started, answer


def wait_for_log(srv, pattern: str, timeout_s: float = 20) -> re.Match | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(pattern, srv.log(), re.MULTILINE)
        if found:
            return found
        time.sleep(0.2)
    return None


def test_hundreds_of_trickling_connections_from_one_address_do_not_lock_out_another(live):
    socks = []
    try:
        for _ in range(TRICKLERS):
            sock = open_from(live, "127.0.0.2")
            sock.sendall(b"POST /run HTT")            # half a request line, then nothing
            socks.append(sock)
        took, answer = health_from(live)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < ANSWER_BOUND_S
        # Past the cap, each trickler was answered 429 and closed at once.
        refused = sum(read_all(s, 2).startswith(b"HTTP/1.1 429") for s in socks[PER_ADDRESS:])
        assert refused == TRICKLERS - PER_ADDRESS
    finally:
        for sock in socks:
            sock.close()


def test_a_request_that_never_arrives_whole_and_an_idle_connection_are_closed(live):
    with open_from(live, "127.0.0.3") as trickler, open_from(live, "127.0.0.3") as idle:
        trickler.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")      # headers never end
        idle.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n\r\n".encode())
        started = time.monotonic()
        answered = read_all(idle, IDLE_TIMEOUT_S + 20)
        idle_for = time.monotonic() - started
        trickled = read_all(trickler, REQUEST_TIMEOUT_S + 20)
        trickled_for = time.monotonic() - started
    assert answered.startswith(b"HTTP/1.1 200")        # answered, then kept open until idle
    assert trickled == b""                             # closed, never answered
    # Generous bounds: closed by the server's clocks, not by this test's 20 s of patience.
    assert idle_for < IDLE_TIMEOUT_S + 15 and trickled_for < REQUEST_TIMEOUT_S + 20


def test_a_half_closed_client_gets_its_answer_and_a_log_line(live):
    body = json.dumps({"code": "print('half')"}).encode()
    with open_from(live, "127.0.0.4") as sock:
        sock.sendall((f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        sock.shutdown(socket.SHUT_WR)                  # as `nc -N` does
        answer = read_all(sock, 60)
    # An interim 102 comes first (the server checks the client is still there), then the answer.
    assert answer.startswith(b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200"), answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 2)[2])["output"] == "half\n"
    assert wait_for_log(live, r"^.*127\.0\.0\.4 .*POST /run .*200\b")


def test_a_client_that_hangs_up_after_half_closing_has_its_run_killed(live):
    body = json.dumps({"code": "import time\ntime.sleep(60)"}).encode()
    sock = open_from(live, "127.0.0.5")
    sock.sendall((f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    sock.shutdown(socket.SHUT_WR)
    assert sock.recv(64).startswith(b"HTTP/1.1 102")    # the server asks; nobody answers
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()                                        # a reset: the client is gone
    assert wait_for_log(live, r"127\.0\.0\.5 .*499\b.*client_gone run killed", 40), live.log()[-2000:]
    assert reaper.leftovers(session=live.session) == []


@pytest.mark.parametrize("path, raw", [
    ("/%0d%0a127.0.0.1%20-%20-%20FORGED%20200", "\r\n"),
    ("/nul%00byte", "\x00"),
    ("/esc%1b[31mred", "\x1b"),
])
def test_a_request_cannot_write_a_forged_line_or_a_raw_control_byte_into_the_log(live, path, raw):
    with open_from(live, "127.0.0.6") as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n".encode())
        assert re.match(rb"HTTP/1\.1 40[04] ", read_all(sock))      # no such page, or a refused path
    marker = path.split("%", 1)[0]
    line = wait_for_log(live, rf"^.*127\.0\.0\.6 .*GET {re.escape(marker)}.*$")
    assert line, live.log()[-2000:]
    escaped = "".join(f"\\x{ord(c):02x}" for c in raw)
    assert escaped in line.group()
    log = live.log()
    assert raw[0] not in log                       # a CR, a NUL or an ESC never reaches the log raw
    assert not re.search(r"^127\.0\.0\.1 - - FORGED", log, re.MULTILINE)

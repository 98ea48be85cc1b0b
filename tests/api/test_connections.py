"""The server's connection bounds (server/connections.py), on a real `python -m server` over
loopback: sockets that trickle, idle or keep busy with requests cannot lock anyone else out, a
half-closed client still gets its answer, and no request can forge a line of the server's log."""

from __future__ import annotations

import http.client
import json
import re
import selectors
import socket
import threading
import time
from pathlib import Path

import pytest

from sandbox import reaper
from server.connections import (
    CONNECTION_LIMIT,
    IDLE_TIMEOUT_S,
    MAX_LIFETIME_S,
    MAX_REQUESTS,
    PER_ADDRESS,
    REQUEST_TIMEOUT_S,
)
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


def until_closed(sock, within_s: float = 5) -> bytes | None:
    """What the server sends before it closes this connection, or None if it keeps it `within_s`."""
    sock.settimeout(within_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return data


def closed_among(socks, settle_s: float = 1.0) -> set[int]:
    """The indices of the sockets the server has closed (any it closes within `settle_s`)."""
    closed = set()
    with selectors.DefaultSelector() as selector:
        for index, sock in enumerate(socks):
            selector.register(sock, selectors.EVENT_READ, index)
        deadline = time.monotonic() + settle_s
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                try:
                    if key.fileobj.recv(65536, socket.MSG_DONTWAIT):
                        continue
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    pass
                closed.add(key.data)
                selector.unregister(key.fileobj)
    return closed


# Between two keep-alive connections' last answers, so that which one is the idlest does not
# hang on the server finishing one answer's bookkeeping a moment after the client has read it
# (under load the first of 32 was once not the idlest).
IDLE_APART_S = 0.05


def keep_alive(srv, source: str) -> http.client.HTTPConnection:
    """A keep-alive connection from `source` that has had one answer and stays open."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20, source_address=(source, 0))
    conn.request("GET", "/api/examples")
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 200 and not answer.will_close
    return conn


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
            sock.sendall(b"POST /run HTT")  # half a request line, then nothing
            socks.append(sock)
        took, answer = health_from(live)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < ANSWER_BOUND_S
        # Past the cap, each trickler took the slot of an older one (closed, never answered).
        assert len(closed_among(socks)) == TRICKLERS - PER_ADDRESS
    finally:
        for sock in socks:
            sock.close()


class KeepAliveFlood:
    """CLIENTS connections across loopback addresses, each sending a cheap GET every PERIOD_S and
    opening a new connection PERIOD_S after the server closes one: never idle, never slow."""

    CLIENTS = 300
    SOURCES = tuple(f"127.0.0.{n}" for n in range(20, 30))  # 30 a source: under the per-address cap
    PERIOD_S = 3.0
    REQUEST = b"GET /api/examples HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"

    def __init__(self, srv):
        self.port = srv.port
        self.selector = selectors.DefaultSelector()
        self.socks: dict[int, socket.socket | None] = {}
        self.due = [0.0] * self.CLIENTS
        self.closed_by_server = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._keep, name="keep-alive-flood", daemon=True)

    def __enter__(self):
        try:
            for client in range(self.CLIENTS):
                self._open(client)
        except BaseException:
            self._close_all()
            raise
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self._close_all()
        assert not self.thread.is_alive()

    def _open(self, client: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(5)
            sock.bind((self.SOURCES[client % len(self.SOURCES)], 0))
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(self.REQUEST % self.port)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.socks[client] = sock
        self.due[client] = time.monotonic() + self.PERIOD_S
        self.selector.register(sock, selectors.EVENT_READ, client)

    def _keep(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.selector.select(0.1):
                client, sock = key.data, key.fileobj
                try:
                    answered = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    answered = b""
                if not answered:  # the server closed it
                    self.closed_by_server += 1
                    self.selector.unregister(sock)
                    sock.close()
                    self.socks[client] = None
            now = time.monotonic()
            for client, sock in self.socks.items():
                if now < self.due[client]:
                    continue
                try:
                    if sock is None:
                        self._open(client)
                    else:
                        sock.send(self.REQUEST % self.port)
                        self.due[client] = now + self.PERIOD_S
                except OSError:
                    self.due[client] = now + self.PERIOD_S  # tried again next period

    def _close_all(self) -> None:
        for sock in self.socks.values():
            if sock is not None:
                sock.close()
        self.selector.close()


def test_hundreds_of_keep_alive_clients_across_addresses_do_not_hold_the_server(live):
    with KeepAliveFlood(live) as flood:
        time.sleep(flood.PERIOD_S + 1)  # every client has sent again, the evicted ones reconnect
        took, answer = health_from(live)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < ANSWER_BOUND_S
        took, answer = health_from(live, flood.SOURCES[0])  # from an address of the flood too
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < ANSWER_BOUND_S
    # The slots were freed by closing idle connections, not by refusing newcomers.
    assert flood.closed_by_server >= flood.CLIENTS - CONNECTION_LIMIT


def test_an_address_holding_all_its_slots_idle_still_lets_a_new_connection_in(live):
    held = []
    try:
        for _ in range(PER_ADDRESS):
            held.append(keep_alive(live, "127.0.0.7"))
            time.sleep(IDLE_APART_S)
        took, answer = health_from(live, "127.0.0.7")
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < ANSWER_BOUND_S
        assert closed_among([c.sock for c in held]) == {0}  # the idlest made room
    finally:
        for conn in held:
            conn.close()


def test_a_connection_with_a_run_in_flight_is_never_evicted(live):
    body = json.dumps({"code": "import time\ntime.sleep(3)\nprint('kept')"})
    running = http.client.HTTPConnection("127.0.0.1", live.port, timeout=60, source_address=("127.0.0.8", 0))
    held = []
    try:
        # The run's connection has been quiet longest: only its run in flight keeps its slot.
        running.request("POST", "/run", body=body, headers={"Content-Type": "application/json"})
        for _ in range(PER_ADDRESS - 1):
            held.append(keep_alive(live, "127.0.0.8"))
            time.sleep(IDLE_APART_S)
        _, answer = health_from(live, "127.0.0.8")
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert closed_among([c.sock for c in held]) == {0}
        ran = running.getresponse()
        assert ran.status == 200
        assert json.loads(ran.read())["output"] == "kept\n"
    finally:
        running.close()
        for conn in held:
            conn.close()


def test_a_connection_serves_a_bounded_number_of_requests_then_closes(live):
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=20, source_address=("127.0.0.9", 0))
    try:
        for served in range(1, MAX_REQUESTS):
            conn.request("GET", "/api/examples")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200 and not answer.will_close, served
        # The last one by hand: http.client closes its own end on `Connection: close`.
        sock, conn.sock = conn.sock, None
        with sock:
            sock.sendall(f"GET /api/examples HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n\r\n".encode())
            last = until_closed(sock, 20)
        assert last is not None, "the connection stayed open past its last request"
        head = last.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        assert head.startswith("HTTP/1.1 200") and "\r\nConnection: close" in head, head
    finally:
        conn.close()


def test_the_docs_state_the_connection_bounds_the_server_enforces():
    readme = (Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
    words = " ".join(readme.split("- **Bounded connections**", 1)[1].split("\n- **", 1)[0].split())
    stated = re.search(
        r"At most (\d+) connections at once, and (\d+) from one address\..*"
        r"serves at most (\d+) requests and lives at most (\d+) s .*"
        r"within (\d+) s of its first byte .*closed after (\d+) s\.",
        words,
    )
    assert stated, words
    assert tuple(map(int, stated.groups())) == (
        CONNECTION_LIMIT,
        PER_ADDRESS,
        MAX_REQUESTS,
        MAX_LIFETIME_S,
        REQUEST_TIMEOUT_S,
        IDLE_TIMEOUT_S,
    )


def test_a_request_that_never_arrives_whole_and_an_idle_connection_are_closed(live):
    with open_from(live, "127.0.0.3") as trickler, open_from(live, "127.0.0.3") as idle:
        trickler.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
        idle.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n\r\n".encode())
        started = time.monotonic()
        answered = read_all(idle, IDLE_TIMEOUT_S + 20)
        idle_for = time.monotonic() - started
        trickled = read_all(trickler, REQUEST_TIMEOUT_S + 20)
        trickled_for = time.monotonic() - started
    assert answered.startswith(b"HTTP/1.1 200")  # answered, then kept open until idle
    assert trickled == b""  # closed, never answered
    # Generous bounds: closed by the server's clocks, not by this test's 20 s of patience.
    assert idle_for < IDLE_TIMEOUT_S + 15 and trickled_for < REQUEST_TIMEOUT_S + 20


def test_a_half_closed_client_gets_its_answer_and_a_log_line(live):
    body = json.dumps({"code": "print('half')"}).encode()
    with open_from(live, "127.0.0.4") as sock:
        sock.sendall(
            (
                f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        sock.shutdown(socket.SHUT_WR)  # as `nc -N` does
        answer = read_all(sock, 60)
    # An interim 102 comes first (the server checks the client is still there), then the answer.
    assert answer.startswith(b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200"), answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 2)[2])["output"] == "half\n"
    assert wait_for_log(live, r"^.*127\.0\.0\.4 .*POST /run .*200\b")


def test_a_client_that_hangs_up_after_half_closing_has_its_run_killed(live):
    body = json.dumps({"code": "import time\ntime.sleep(60)"}).encode()
    sock = open_from(live, "127.0.0.5")
    sock.sendall(
        (
            f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
    )
    sock.shutdown(socket.SHUT_WR)
    assert sock.recv(64).startswith(b"HTTP/1.1 102")  # the server asks; nobody answers
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # a reset: the client is gone
    assert wait_for_log(live, r"127\.0\.0\.5 .*499\b.*client_gone run killed", 40), live.log()[-2000:]
    assert reaper.leftovers(session=live.session) == []


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/%0d%0a127.0.0.1%20-%20-%20FORGED%20200", "\r\n"),
        ("/nul%00byte", "\x00"),
        ("/esc%1b[31mred", "\x1b"),
    ],
)
def test_a_request_cannot_write_a_forged_line_or_a_raw_control_byte_into_the_log(live, path, raw):
    with open_from(live, "127.0.0.6") as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n".encode())
        assert re.match(rb"HTTP/1\.1 40[04] ", read_all(sock))  # no such page, or a refused path
    marker = path.split("%", 1)[0]
    line = wait_for_log(live, rf"^.*127\.0\.0\.6 .*GET {re.escape(marker)}.*$")
    assert line, live.log()[-2000:]
    escaped = "".join(f"\\x{ord(c):02x}" for c in raw)
    assert escaped in line.group()
    log = live.log()
    assert raw[0] not in log  # a CR, a NUL or an ESC never reaches the log raw
    assert not re.search(r"^127\.0\.0\.1 - - FORGED", log, re.MULTILINE)

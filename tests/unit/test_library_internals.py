"""Each private or undocumented behaviour of docker-py and waitress the kit relies on, by name.

The kit's uses of them live in two modules, sandbox/docker_internals.py and
server/waitress_internals.py (ARCHITECTURE.md, "Private internals we rely on"). An upgrade of
either library that changes one of these behaviours fails the test named after it here, rather
than the sandbox's stdin or the server's bounds. No engine: docker-py's part that needs one is
tests/engine/test_library_internals.py.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask, WSGITask
from waitress.trigger import trigger

from sandbox import docker_internals
from server import waitress_internals
from server.waitress_internals import GuardedChannel

ROOT = Path(__file__).resolve().parents[2]

# The private or undocumented names each adapter holds; none may appear elsewhere in the kit.
PRIVATE = {
    "sandbox/docker_internals.py": ["_sock", "frames_iter", "docker.utils"],
    "server/waitress_internals.py": [
        "create_server",
        "BaseWSGIServer",
        "HTTPChannel",
        "WSGITask",
        "ErrorTask",
        "wasyncore",
        "pull_trigger",
        "task_dispatcher",
        "channel_class",
        "maintenance",
        "active_channels",
        "total_outbufs_len",
        "_flush_some",
        "outbuf_lock",
        "requests_lock",
        "close_when_flushed",
        "will_close",
        "last_activity",
        "recv_bytes",
        "build_response_header",
        "set_close_on_finish",
        "error_task_class",
        "task_class",
        "del_channel",
        "handle_close",
        "handle_read",
        "check_client_disconnected",
    ],
}


# -- the list stays true ---------------------------------------------------------------------
def _kit_sources():
    for folder in ("sandbox", "server"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield str(path.relative_to(ROOT)), path.read_text()


def _uses(source: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", source) is not None


def test_each_private_name_appears_only_in_its_adapter():
    strays = [
        f"{where}: {name} (belongs in {adapter})"
        for adapter, names in PRIVATE.items()
        for where, source in _kit_sources()
        if where != adapter
        for name in names
        if _uses(source, name)
    ]
    assert not strays


def test_only_the_waitress_adapter_imports_waitress():
    importing = [
        where for where, source in _kit_sources() if re.search(r"^\s*(from|import)\s+waitress\b", source, re.M)
    ]
    assert importing == ["server/waitress_internals.py"]


@pytest.mark.parametrize("adapter", sorted(PRIVATE))
def test_each_private_name_is_explained_in_its_adapter_and_in_the_architecture(adapter):
    docstring = inspect.getdoc(docker_internals if adapter.startswith("sandbox") else waitress_internals) or ""
    architecture = (ROOT / "ARCHITECTURE.md").read_text().split("## Private internals we rely on")[1]
    section = architecture.split("\n## ")[0]
    assert adapter in section
    assert [name for name in PRIVATE[adapter] if not _uses(docstring, name)] == []
    assert [name for name in PRIVATE[adapter] if not _uses(section, name)] == []


# -- docker-py ----------------------------------------------------------------------------
def _attach_stream():
    """The two ends of what docker-py's attach_socket returns on a unix socket: the HTTP
    response's read-only SocketIO (as `makefile("rb")` makes it), and the engine's side."""
    ours, engine_side = socket.socketpair()
    return socket.SocketIO(ours, "rb"), engine_side


def test_docker_attach_stream_is_read_only_and_its_socket_is_at__sock():
    attached, engine_side = _attach_stream()
    with pytest.raises(io.UnsupportedOperation):
        attached.write(b"x")  # why the kit cannot use the public write
    docker_internals.send(attached, b"run this")
    assert engine_side.recv(100) == b"run this"


def test_docker_close_stdin_ends_the_engine_s_input_and_keeps_the_output():
    attached, engine_side = _attach_stream()
    docker_internals.send(attached, b"k")
    docker_internals.close_stdin(attached)
    assert engine_side.recv(100) == b"k"
    assert engine_side.recv(100) == b""  # the end of the container's stdin, for every reader
    engine_side.sendall(b"the report")
    assert attached.read(100) == b"the report"


def test_docker_send_refuses_a_stream_without__sock():
    with pytest.raises(OSError):
        docker_internals.send(object(), b"x")


def test_docker_frames_iter_reads_the_engine_s_multiplexed_stream():
    attached, engine_side = _attach_stream()
    for stream, data in ((1, b"out\n"), (2, b"err\n"), (1, b"x" * 70000)):
        engine_side.sendall(struct.pack(">BxxxL", stream, len(data)) + data)
    engine_side.close()
    got: dict[int, bytes] = {}
    for stream, data in docker_internals.frames(attached):
        got[stream] = got.get(stream, b"") + data
    assert got == {1: b"out\n" + b"x" * 70000, 2: b"err\n"}


# -- waitress: the loop ---------------------------------------------------------------------
def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _server(sockets: dict, **arguments):
    return waitress_internals.create(_app, sockets, host="127.0.0.1", port=0, threads=1, **arguments)


@pytest.fixture
def served():
    """A guarded waitress server on loopback, its loop in a thread; closed as the server closes."""
    sockets: dict = {}
    server = _server(sockets, max_request_body_size=100, channel_request_lookahead=1)
    waitress_internals.guard_connections(server)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    yield server, sockets
    closed = threading.Event()
    waitress_internals.call_in_loop(server, lambda: (waitress_internals.close_all(sockets), closed.set()))
    assert closed.wait(5)
    loop.join(5)
    waitress_internals.stop_task_threads(server)


def _ask(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.effective_port), timeout=5) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"Connection: close" not in answer and answer.endswith(b"ok"):
                break
        return answer


def test_waitress_create_server_takes_the_map_and_puts_its_listener_and_trigger_there():
    sockets: dict = {}
    server = _server(sockets)
    assert waitress_internals.listeners(sockets) == [server]
    assert server.trigger in sockets.values()
    waitress_internals.close_all(sockets)
    waitress_internals.stop_task_threads(server)


def test_waitress_close_all_takes_ignore_all_and_empties_the_map():
    sockets: dict = {}
    server = _server(sockets)
    waitress_internals.close_all(sockets)
    assert sockets == {}
    waitress_internals.stop_task_threads(server)


def test_waitress_pull_trigger_takes_a_thunk_the_loop_s_thread_runs(served):
    server, _ = served
    ran_in = []
    done = threading.Event()
    waitress_internals.call_in_loop(server, lambda: (ran_in.append(threading.current_thread()), done.set()))
    assert done.wait(5) and ran_in[0] is not threading.current_thread()


def test_waitress_dispatcher_close_closes_the_listening_socket_and_keeps_the_trigger(served):
    server, sockets = served
    done = threading.Event()
    waitress_internals.call_in_loop(server, lambda: (waitress_internals.stop_listening(server), done.set()))
    assert done.wait(5)
    assert server not in sockets.values() and server.trigger in sockets.values()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.effective_port), timeout=5)
    again = threading.Event()
    waitress_internals.call_in_loop(server, again.set)  # the trigger still wakes the loop
    assert again.wait(5)


def test_waitress_task_dispatcher_shutdown_stops_its_threads():
    sockets: dict = {}
    server = _server(sockets)
    assert server.task_dispatcher.threads
    waitress_internals.stop_task_threads(server)
    assert not server.task_dispatcher.threads
    waitress_internals.close_all(sockets)


def test_waitress_listener_calls_maintenance_with_the_time_when_the_sweep_is_due():
    sockets: dict = {}
    server = _server(sockets)
    calls: list[float] = []
    server.maintenance = calls.append
    server.next_channel_cleanup = 0
    server.readable()  # what waitress's loop asks each turn
    assert len(calls) == 1 and abs(calls[0] - time.time()) < 5
    waitress_internals.close_all(sockets)
    waitress_internals.stop_task_threads(server)


# -- waitress: a connection -------------------------------------------------------------------
def test_waitress_accepts_each_connection_as_the_listener_s_channel_class_in_active_channels(served):
    server, sockets = served
    with socket.create_connection(("127.0.0.1", server.effective_port), timeout=5):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not server.active_channels:
            time.sleep(0.01)
        channels = list(server.active_channels.values())
        assert [type(c) for c in channels] == [GuardedChannel] and channels[0] in sockets.values()


def test_waitress_channel_counts_requests_and_total_outbufs_len_and_flush_some_says_if_it_sent():
    sockets: dict = {}
    server = _server(sockets)
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    filled = 0
    with contextlib.suppress(BlockingIOError):
        while True:  # a client that reads nothing: the answer stays buffered
            filled += ours.send(b"f" * 65536)
    channel = HTTPChannel(server, ours, ("127.0.0.1", 1), server.adj, map=sockets)
    assert channel.requests == [] and channel.total_outbufs_len == 0
    assert not waitress_internals.answers_pending(sockets)
    channel.requests.append(object())
    assert waitress_internals.answers_pending(sockets)
    channel.requests.clear()
    channel.write_soon(b"answer")
    assert channel.total_outbufs_len == 6 and waitress_internals.answers_pending(sockets)
    assert channel._flush_some() is False  # the client still reads nothing
    received = b""
    while len(received) < filled:
        received += peer.recv(1 << 20)
    assert channel._flush_some() is True and received + peer.recv(100) == b"f" * filled + b"answer"
    assert channel.total_outbufs_len == 0 and channel._flush_some() is False
    waitress_internals.close_all(sockets)
    waitress_internals.stop_task_threads(server)
    peer.close()


# What each method GuardedChannel and the tasks override is called with by waitress, and passes on.
OVERRIDDEN = [
    (HTTPChannel, "__init__", ["self", "server", "sock", "addr", "adj", "map"]),
    (HTTPChannel, "received", ["self", "data"]),
    (HTTPChannel, "handle_read", ["self"]),
    (HTTPChannel, "readable", ["self"]),
    (HTTPChannel, "check_client_disconnected", ["self"]),
    (HTTPChannel, "_flush_some", ["self", "do_close"]),
    (HTTPChannel, "service", ["self"]),
    (HTTPChannel, "del_channel", ["self", "map"]),
    (HTTPChannel, "handle_close", ["self"]),
    (WSGITask, "build_response_header", ["self"]),
    (WSGITask, "set_close_on_finish", ["self"]),
    (ErrorTask, "execute", ["self"]),
    (trigger, "pull_trigger", ["self", "thunk"]),
    (BaseWSGIServer, "pull_trigger", ["self"]),
    (BaseWSGIServer, "maintenance", ["self", "now"]),
]


@pytest.mark.parametrize(("base", "name", "parameters"), OVERRIDDEN, ids=lambda v: getattr(v, "__name__", v))
def test_waitress_has_each_method_the_server_overrides_or_calls_with_these_parameters(base, name, parameters):
    assert list(inspect.signature(getattr(base, name)).parameters) == parameters


def test_waitress_channel_makes_its_tasks_from_task_class_and_error_task_class():
    assert GuardedChannel.task_class is waitress_internals.BoundedTask
    assert GuardedChannel.error_task_class is waitress_internals.JsonErrorTask
    assert {HTTPChannel.task_class, HTTPChannel.error_task_class} == {WSGITask, ErrorTask}


def test_waitress_error_task_answers_a_refused_request_from_request_error(served):
    server, _ = served
    answer = _ask(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"Content-Type: application/json" in head
    assert b'"reason":"body_too_large"' in body.replace(b" ", b"")


def test_waitress_task_closes_after_an_answer_when_build_response_header_says_so(served, monkeypatch):
    server, _ = served
    assert b"Connection: close" not in _ask(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    monkeypatch.setattr(waitress_internals, "MAX_REQUESTS", 1)  # the first answer uses it up
    answer = _ask(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in answer

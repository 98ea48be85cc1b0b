"""The broker is out of the sandboxes' reach: a hardened program cannot connect to Redis even
when Redis listens on the host's loopback and on the engine's bridge address (the worst case of
docs/scale.md's binding advice), nor on its unix socket, while the host itself can.

Redis here is Debian's redis-server, started on a random port with a password and stopped by its
own pid. Once, on the system's engine (the one with a bridge: the private engines have none).
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from sandbox import PROFILES, run

pytestmark = pytest.mark.once

SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "private-engine.sh"

PROBE = """
import socket, sys
for where in {targets!r}:
    try:
        if where.startswith("/"):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(2)
            s.connect(where)
        else:
            host, port = where.rsplit(":", 1)
            s = socket.create_connection((host, int(port)), timeout=2)
        s.sendall(b"PING\\r\\n")
        print(where, "REACHED", s.recv(64))
    except OSError as exc:
        print(where, "refused", type(exc).__name__, exc.errno)
"""


def _bridge_address() -> str | None:
    found = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True)
    parts = found.stdout.split()
    return parts[parts.index("inet") + 1].split("/")[0] if "inet" in parts else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_on_the_host(engine_ready, require, tmp_path):
    fetched = subprocess.run(["bash", str(SCRIPT), "redis"], capture_output=True, text=True, timeout=300)
    if fetched.returncode != 0:
        require("redis-server", fetched.stderr.strip()[-300:], "SANDBOX_REQUIRE_ENGINES")
    bridge = _bridge_address()
    port, sock = _free_port(), tmp_path / "redis.sock"
    binds = ["127.0.0.1"] + ([bridge] if bridge else [])
    proc = subprocess.Popen(
        [
            fetched.stdout.strip(),
            "--port",
            str(port),
            "--bind",
            *binds,
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            uuid.uuid4().hex,
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        targets = [f"{host}:{port}" for host in binds] + [str(sock)]
        deadline = time.monotonic() + 20
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield targets
    finally:
        proc.kill()
        proc.wait(10)


def test_a_hardened_program_cannot_reach_the_broker_on_the_host(redis_on_the_host):
    targets = redis_on_the_host
    for target in targets:  # the host reaches every one of them: the test can fail
        if target.startswith("/"):
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(target)
        else:
            host, port = target.rsplit(":", 1)
            socket.create_connection((host, int(port)), timeout=2).close()
    result = run(PROBE.format(targets=targets), PROFILES["hardened"])
    lines = result.stdout.splitlines()
    assert len(lines) == len(targets), result.output
    assert all(" refused " in line for line in lines), result.output

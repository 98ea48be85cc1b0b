"""Start `python -m server` in a child process on a free loopback port, and stop it like Ctrl+C.

For the tests that need the real server as a user runs it (tests/api, tests/browser):

    >>> from server.process import ServerProcess
    >>> with ServerProcess("--timeout", "3") as srv:  # doctest: +ENGINE
    ...     srv.url
    ...     srv.session  # label of every container it makes
    'http://127.0.0.1:...'
    'srv...'

The child gets its own SANDBOX_SESSION (`session=`, e.g. the tests' `child_session()`, or a
random one), so what it leaves behind (nothing, if it works) can be checked with
`sandbox.leftovers(session=srv.session)`.

`LOCAL` is the only HTTP client to use for our own server: it ignores http_proxy and friends,
which would otherwise send code meant for 127.0.0.1 to a proxy. `call(url, body=None)` is a
GET (or a JSON POST) through it that returns (status, headers, JSON) whatever the status.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

# No ProxyHandler entries: never a proxy, whatever the environment says.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    url: str, body: dict | None = None, timeout_s: float = 30, bearer: str | None = None
) -> tuple[int, dict, dict]:
    """GET `url`, or POST `body` as JSON, through LOCAL (with `bearer` as the Authorization token,
    a student's join code say): (status, headers, decoded JSON)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Accept": "application/json"} | ({} if body is None else {"Content-Type": "application/json"})
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with LOCAL.open(request, timeout=timeout_s) as answer:
            return answer.status, dict(answer.headers), json.load(answer)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.load(error)


class ServerProcess:
    def __init__(
        self, *args: str, env: dict[str, str] | None = None, session: str | None = None, python: str = sys.executable
    ):
        self.args = list(args)
        self.port = free_port()
        self.session = session or f"srv{uuid.uuid4().hex[:10]}"
        self.env = {**os.environ, **(env or {}), "SANDBOX_SESSION": self.session, "PYTHONUNBUFFERED": "1"}
        self.python = python
        self.proc: subprocess.Popen | None = None
        # Append mode: the child shares this file offset, so its writes must always go to the end.
        self._log = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - lives with the object: log() reads it after stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout_s: float = 30) -> ServerProcess:
        self.proc = subprocess.Popen(
            [self.python, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log()}")
            if self.health() is not None:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {ready_timeout_s} s:\n{self.log()}")

    def health(self) -> dict | None:
        """GET /health as a dict (whatever its status), or None when nothing answers."""
        try:
            return call(self.url + "/health", timeout_s=10)[2]
        except (OSError, ValueError):  # nothing listening yet, or a half-written answer
            return None

    def interrupt(self) -> None:
        """Send one SIGINT (a Ctrl+C) without waiting."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def stop(self, timeout_s: float = 60) -> int:
        """Send SIGINT (Ctrl+C) and wait; kill after `timeout_s`. Returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def log(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

"""Start `python -m server` in a child process on a free loopback port, and stop it like Ctrl+C.

For the browser and load tests and for the demo, which need the real server as a user runs it:

    >>> from server.process import ServerProcess
    >>> with ServerProcess("--timeout", "3") as srv:          # doctest: +SKIP
    ...     srv.url                                            # e.g. 'http://127.0.0.1:40123'
    ...     srv.session                                        # label of every container it makes

The child gets its own SANDBOX_SESSION, so what it leaves behind (nothing, if it works) can be
checked with `sandbox.reaper.leftovers(session=srv.session)`.
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None, python: str = sys.executable):
        self.args = list(args)
        self.port = free_port()
        self.session = f"srv{uuid.uuid4().hex[:10]}"
        self.env = {**os.environ, **(env or {}), "SANDBOX_SESSION": self.session, "PYTHONUNBUFFERED": "1"}
        self.python = python
        self.proc: subprocess.Popen | None = None
        # Append mode: the child shares this file offset, so its writes must always go to the end.
        self._log = tempfile.TemporaryFile(mode="a+b")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout_s: float = 30) -> "ServerProcess":
        self.proc = subprocess.Popen(
            [self.python, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
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
            with urllib.request.urlopen(self.url + "/health", timeout=5) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            return json.load(error)
        except OSError:
            return None

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

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

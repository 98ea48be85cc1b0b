"""A box: one started container whose supervisor waits on its stdin for the one program it runs.

Made for one run and used once. `Box.start` creates it with the kit's labels and a unique name
(so that even an interrupt between "the engine made it" and "we learned its id" cannot leak
it), attaches to its stdin and output *before* starting it (so not a byte is missed), and
starts it. Whatever happens afterwards, `close()` removes the container, its network and its
uid lease. A warm pool (sandbox/warm.py) keeps boxes started ahead of their program; a cold run
starts one when the program arrives. Both get exactly the same container.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
from docker.errors import APIError
from docker.utils.socket import frames_iter

from . import engine, network, uids
from .errors import RunRefused
from .limits import Limits
from .options import container_options
from .supervisor import KILL
from .text import clip


@contextlib.contextmanager
def _refusal() -> Iterator[None]:
    """An engine that answers but will not apply these limits: RunRefused, in the engine's words."""
    try:
        yield
    except APIError as exc:
        raise RunRefused(f"The engine refused to run the container: {clip(str(exc.explanation or exc))}") from exc


class Box:
    def __init__(self, client: docker.DockerClient, limits: Limits, image: str, role: str, env: dict[str, str] | None):
        self.client, self.api = client, client.api
        self.limits, self.image = limits, image
        self.name = f"safe-python-{role}-{uuid.uuid4().hex[:16]}"
        self.id = self.short_id = ""
        self._stack = contextlib.ExitStack()
        self._socket: Any = None      # the SDK's attach stream (its type depends on the transport)
        self._role, self._env = role, env or {}
        self.on_close: Callable[[], None] | None = None          # called once the box is closed (a warm pool counts it)

    @classmethod
    def start(cls, limits: Limits, *, image: str, role: str = "run", env: dict[str, str] | None = None) -> Box:
        """Create, attach and start; on any failure nothing is left on the engine."""
        box = cls(engine.client(), limits, image, role, env)
        try:
            box._start()
        except BaseException:
            box.close()
            raise
        return box

    def _start(self) -> None:
        with engine.translated_errors("preparing the run"):
            engine.ensure_image(self.image)
            engine.ensure_runtime(self.limits.runtime)
            lease = uids.lease() if self.limits.distinct_uid and self.limits.user == "runner" else uids.shared()
            self._stack.callback(lease.release)
            self.uid = lease.uid
            network_name = (self._stack.enter_context(network.isolated())
                            if self.limits.network == "internal" else None)
            hosts = network.hosts_entry(network_name) if network_name else {}
        self._stack.callback(engine.remove_container, self.name, api=self.api)
        options = container_options(self.limits, image=self.image, labels=engine.labels(self._role),
                                    network_name=network_name, environment=self._env, uid=lease.uid)
        if hosts:
            options["extra_hosts"] = hosts
        options["name"] = self.name
        with engine.translated_errors("starting the run's container"), _refusal():
            self.id = engine.create_container(options, self.client)
            self.short_id = self.id[:12]
            self._socket = self.api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1,
                                                                    "stream": 1})
            self._stack.callback(self._socket.close)
            self.api.start(self.id)

    # -- talking to the supervisor --------------------------------------------------------------
    def deliver(self, payload: bytes) -> None:
        """Hand the supervisor its run (sandbox/supervisor.py's delivery)."""
        self._write(payload)

    def kill(self) -> None:
        """Ask the supervisor to kill every process now and report (the engine's kill follows if not)."""
        try:
            self._write(KILL)
        except OSError:
            pass   # the supervisor is gone already: it ended, or the container was killed

    def _write(self, data: bytes) -> None:
        # docker-py hands the hijacked connection over as a read-only SocketIO; its socket (plain
        # or TLS) is the way to write to the container's stdin.
        writer = getattr(self._socket, "_sock", None)
        if writer is None:
            raise OSError("the engine's attach stream cannot be written to")
        writer.sendall(data)

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(stream id, bytes) as the engine hands them over: 1 is stdout, 2 stderr."""
        return frames_iter(self._socket, tty=False)

    # -- the engine's view ----------------------------------------------------------------------
    def wait_exit(self, timeout_s: float) -> bool:
        return engine.wait_exit(self.id, timeout_s, api=self.api)

    def engine_kill(self) -> None:
        """SIGKILL from the engine: for a supervisor that did not answer the kit's kill."""
        with contextlib.suppress(Exception):
            self.api.kill(self.id)

    def state(self) -> dict[str, Any]:
        return self.api.inspect_container(self.id)["State"]

    def close(self) -> None:
        """Remove the container, close the stream, give back the uid and the network. Never raises."""
        with contextlib.suppress(Exception):
            self._stack.close()
        done, self.on_close = self.on_close, None
        if done is not None:
            done()

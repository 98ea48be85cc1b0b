"""A box: one started container whose supervisor waits on its stdin for the one program it runs.

Made for one run and used once. `Box.start` creates it with the kit's labels and a unique name
(so that even an interrupt between "the engine made it" and "we learned its id" cannot leak
it), attaches to its stdin and output *before* starting it (so not a byte is missed), and
starts it. Whatever happens afterwards, `close()` removes the container and its network, and
gives its uid lease back once the container is gone: one the engine would not remove keeps its
uid (logged) until the process ends, so that no new run shares it. A warm pool
(sandbox/warm.py) keeps boxes started ahead of their program; a cold run starts one when the
program arrives. Both get exactly the same container.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker

from . import docker_internals, engine, network, uids
from .limits import Limits
from .options import container_options
from .supervisor import KILL

log = logging.getLogger(__name__)

# Containers a close could not remove, by name, with the uid lease each holds until the process
# ends (whoever removes one later, sandbox.cleanup() say, may release its lease).
stranded: dict[str, uids.Lease] = {}


class Box:
    def __init__(self, client: docker.DockerClient, limits: Limits, image: str, role: str, env: dict[str, str] | None):
        self.client, self.api = client, client.api
        self.limits, self.image = limits, image
        self.name = f"safe-python-{role}-{uuid.uuid4().hex[:16]}"
        self.id = self.short_id = ""
        self._stack = contextlib.ExitStack()
        self._socket: Any = None  # the SDK's attach stream (its type depends on the transport)
        self._role, self._env = role, env or {}
        self.on_close: Callable[[], None] | None = None  # called once the box is closed (a warm pool counts it)
        self._gone = True  # no container of ours on the engine (none yet, or removed)

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
            self._stack.callback(self._give_back, lease)
            self.uid = lease.uid
            network_name = self._stack.enter_context(network.isolated()) if self.limits.network == "internal" else None
            hosts = network.hosts_entry(network_name) if network_name else {}
        self._gone = False  # from here the engine may hold a container of this name
        self._stack.callback(self._remove)
        options = container_options(
            self.limits,
            image=self.image,
            labels=engine.labels(self._role),
            network_name=network_name,
            environment=self._env,
            uid=lease.uid,
        )
        if hosts:
            options["extra_hosts"] = hosts
        options["name"] = self.name
        # An engine that answers but will not apply these limits: RunRefused, in its words.
        with engine.translated_errors("starting the run's container", refusing="to run the container"):
            self.id = engine.create_container(options, self.client)
            self.short_id = self.id[:12]
            self._socket = self.api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self._stack.callback(self._socket.close)
            self.api.start(self.id)

    # -- talking to the supervisor --------------------------------------------------------------
    def deliver(self, payload: bytes) -> None:
        """Hand the supervisor its run (sandbox/supervisor.py's delivery)."""
        self._write(payload)

    def kill(self) -> None:
        """Ask the supervisor to kill every process now and report (the engine's kill follows if not):
        the kill word, then the end of its stdin, which a program that reads the word first cannot take."""
        try:
            self._write(KILL)
            # Under gVisor the program can open /proc/1/fd/0 and take the word first.
            docker_internals.close_stdin(self._socket)
        except OSError:
            pass  # the supervisor is gone already: it ended, or the container was killed

    def _write(self, data: bytes) -> None:
        # To the container's stdin over the attached connection: docker-py has no public way.
        docker_internals.send(self._socket, data)

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(stream id, bytes) as the engine hands them over: 1 is stdout, 2 stderr."""
        return docker_internals.frames(self._socket)

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
        """Remove the container, close the stream, remove the network and, once the container is
        gone, give back the uid. Never raises."""
        with contextlib.suppress(Exception):
            self._stack.close()
        done, self.on_close = self.on_close, None
        if done is not None:
            done()

    # -- what close() undoes --------------------------------------------------------------------
    def _remove(self) -> None:
        self._gone = engine.remove_container(self.name, api=self.api)
        if not self._gone:
            log.error(
                "Could not remove container %s (id %s); its uid %s stays leased until this process ends "
                "(sandbox.cleanup() removes the container).",
                self.name,
                self.id or "unknown",
                self.uid,
            )

    def _give_back(self, lease: uids.Lease) -> None:
        # A uid given back while its container may still run would be two runs' uid at once.
        if self._gone:
            lease.release()
        else:
            stranded[self.name] = lease

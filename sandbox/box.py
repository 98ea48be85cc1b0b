"""A box: one started container whose supervisor waits on its stdin for the one program it runs.

Made for one run and used once. `Box.start` creates it with the kit's labels and a unique name
(so that even an interrupt between "the engine made it" and "we learned its id" cannot leak
it), attaches to its stdin and output *before* starting it (so not a byte is missed), and
starts it. Whatever happens afterwards, `close()` kills the container at once if it may still
run (one whose supervisor reported, `reported()`, ends by itself) and leaves the rest to a
thread of its own, off the answer's path: it removes the container and its network, and gives
its uid lease back once the container is gone; one the engine would not remove keeps its uid
(logged) until the process ends, so that no new run shares it. `engine.wait_for_removals()`
waits for the removals under way (the reaper's functions do, and so does the interpreter's
exit, for at most `engine.EXIT_WAIT_S`); a process killed before they end leaves containers
that name it as their owner, which `cleanup()` removes as orphans. A warm
pool (sandbox/warm.py) keeps boxes started ahead of their program; a cold run starts one when
the program arrives. Both get exactly the same container.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker

from . import docker_internals, engine, network, uids
from .languages import warm_program
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
        self._exited = False  # the engine said it exited
        self._reported = False  # its supervisor reported, with nothing of the program left
        self._closed = False  # close() was called

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
        if self._role == "warm":  # its program starts now too, and waits for its code (languages.py)
            options["command"] += warm_program(self.image)
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
        self._exited = engine.wait_exit(self.id, timeout_s, api=self.api)
        return self._exited

    def engine_kill(self) -> None:
        """SIGKILL from the engine: for a supervisor that did not answer the kit's kill."""
        with contextlib.suppress(Exception):
            self.api.kill(self.id)

    def reported(self) -> None:
        """Its supervisor has reported and killed every process of the program, and exits by
        itself: close() leaves it to the removal rather than killing it on the answer's path."""
        self._reported = True

    def state(self) -> dict[str, Any]:
        return self.api.inspect_container(self.id)["State"]

    def close(self) -> None:
        """Kill the container now if it may still run; then, in a thread of its own, remove it,
        close the stream, remove the network and, once the container is gone, give back the uid
        (and tell `on_close`). Never raises."""
        if self._closed:
            return
        self._closed = True
        engine.removing(1)
        if self.id and not (self._exited or self._reported):
            self.engine_kill()
        try:
            threading.Thread(target=self._close, name=f"sandbox-remove-{self.short_id}", daemon=True).start()
        except RuntimeError:  # no new thread at the interpreter's exit: remove it here
            self._close()

    def _close(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self._stack.close()
            done, self.on_close = self.on_close, None
            if done is not None:
                done()
        finally:
            engine.removing(-1)

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

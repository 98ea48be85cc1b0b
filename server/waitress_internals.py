"""Every part of waitress the server relies on beyond its one documented function, and nothing else.

Checked against waitress 3.0.1 and 3.0.2 (pyproject.toml pins `>=3.0.1,<3.1`: 3.0.1 changed how
a channel keeps `connected` and fixed a race in `received`; 3.0.2 changed none of the names
below). A maintainer who upgrades waitress reads this file; tests/unit/test_library_internals.py
asserts each behaviour below by name, so that an upgrade that changes one fails that test rather
than the server's bounds. No other module of the kit imports waitress or uses these names (the
same tests grep for them).

Waitress documents `waitress.serve(app, **arguments)` alone (docs/api.rst), and its arguments.
`serve` blocks until the process ends and hands out nothing: no way to stop it cleanly, bound its
connections or answer its own refusals in JSON. So, undocumented:

- the loop: `waitress.server.create_server(app, map=..., **arguments)` (what `serve` calls) and
  its `run()`; the map holds every socket of the loop (listeners, their wake-up triggers, the
  connections); a listener is a `BaseWSGIServer`, with `trigger.pull_trigger(thunk)` (run
  `thunk` in the loop's thread, queued before the wake-up byte is written),
  `task_dispatcher.shutdown()`, `wasyncore.dispatcher.close` (its listening socket alone: its own
  `close()` also closes the trigger the task threads still need), `wasyncore.close_all(map,
  ignore_all=True)` (close every socket; the loop then ends), `channel_class` (the class each
  accepted connection is made of), `maintenance(now)` (the idle sweep, every `cleanup_interval`)
  and `active_channels`;
- a connection: `HTTPChannel`, subclassed here as `GuardedChannel` for the bounds of
  server/connections.py. It reads `requests` (requests queued or running), `request` (one
  half-read), `total_outbufs_len` (answer bytes not sent yet), `last_activity`, `socket`,
  `adj.recv_bytes`, `outbuf_lock`, `requests_lock`, `connected`, `addr`, `server`, sets
  `will_close` and `close_when_flushed`, and overrides `received`, `handle_read`, `readable`,
  `check_client_disconnected`, `_flush_some` (returns whether it sent anything), `service` and
  `del_channel`, and calls `handle_close`; `server.pull_trigger()` wakes the loop;
- its tasks: `WSGITask` (`build_response_header`, `set_close_on_finish`, `channel`), the
  channel's `task_class`; `ErrorTask`, the channel's `error_task_class`, whose `execute` answers
  a request waitress refused while parsing it, from `request.error` (`code`, `reason`, `body`),
  by setting `status`, `response_headers`, `content_length` and calling `write`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask, WSGITask

from .connections import MAX_LIFETIME_S, MAX_REQUESTS, PROBE, REQUEST_TIMEOUT_S, TCP_CLOSE, Slots
from .httperrors import error_response, log_refusal, refusal


# -- the loop ----------------------------------------------------------------------------------
def create(app: Callable, sockets: dict, **arguments: Any) -> Any:
    """A waitress server for `app` (not yet running: `run()` it), its sockets kept in `sockets`."""
    return create_server(app, map=sockets, **arguments)


def listeners(sockets: dict) -> list:
    """The listening sockets in a server's map."""
    return [s for s in sockets.values() if isinstance(s, BaseWSGIServer)]


def call_in_loop(listener: Any, thunk: Callable[[], None]) -> None:
    """Have the loop's thread run `thunk`; OSError if the wake-up could not be written (the thunk
    is queued first, so the loop may have run it already)."""
    listener.trigger.pull_trigger(thunk)


def stop_listening(listener: Any) -> None:
    """Close the listening socket alone, not the trigger that task threads use to wake the loop."""
    wasyncore.dispatcher.close(listener)


def close_all(sockets: dict) -> None:
    """Close every socket of the loop (in its thread): the loop then ends by itself."""
    wasyncore.close_all(sockets, ignore_all=True)


def answers_pending(sockets: dict) -> bool:
    """Whether a connection still has a request queued or running, or answer bytes to send."""
    channels = [c for c in list(sockets.values()) if isinstance(c, HTTPChannel)]
    return any(c.requests or c.total_outbufs_len for c in channels)


def stop_task_threads(listener: Any) -> None:
    listener.task_dispatcher.shutdown()


# -- the answers waitress gives itself ---------------------------------------------------------
class JsonErrorTask(ErrorTask):
    """Waitress's refusal of a request it could not parse, in the kit's JSON (server/httperrors.py)."""

    def execute(self):
        error = self.request.error
        headers, body = refusal(error.code, error.reason, error.body)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
        log_refusal(self.channel.addr, self.request.command, self.request.path, error.code, error.reason)


class BoundedTask(WSGITask):
    """Waitress's WSGI task, closing the connection after the answer that uses up its bounds."""

    def build_response_header(self):
        if self.channel.used_up():
            self.set_close_on_finish()
        return super().build_response_header()


# -- the connections, under server/connections.py's bounds ---------------------------------------


class GuardedChannel(HTTPChannel):
    """A waitress channel under the bounds of server/connections.py, answering its refusals in JSON."""

    task_class = BoundedTask
    error_task_class = JsonErrorTask

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        self.peer = addr[0] if addr else "?"
        self.opened = time.monotonic()
        self.served = 0
        self.request_started: float | None = None
        self.peer_done = False  # the client shut down its sending side
        self.probed = False
        self.sent_any = False
        refused = server.slots.admit(self)
        if refused:
            self._refuse_at_once(*refused)

    def _refuse_at_once(self, code: int, phrase: str, message: str) -> None:
        try:
            self.socket.send(error_response(code, phrase, "too_many_connections", message))
        except OSError:
            pass
        self.will_close = True

    # -- bounds -----------------------------------------------------------------------------
    def evictable(self) -> bool:
        """Nothing in flight: no request queued or running, no answer left to send."""
        return not self.requests and not self.total_outbufs_len

    def idleness(self) -> tuple[int, float]:
        """Smallest for the connection to evict first: one idle after an answer, the longest idle;
        then one still without a whole request (fresh or trickling), the one waiting longest.
        A new connection is thus the last to go: its request is read one turn of the loop after
        it is accepted, and a flood of newcomers must not evict it before then."""
        if self.request_started is None and self.served:
            return 0, self.last_activity
        return 1, self.opened if self.request_started is None else self.request_started

    def evict(self) -> None:
        """Close the connection now, from the loop's thread."""
        self.handle_close()

    def used_up(self) -> bool:
        return self.served >= MAX_REQUESTS or time.monotonic() - self.opened >= MAX_LIFETIME_S

    # -- reading ----------------------------------------------------------------------------
    def received(self, data):
        if self.request_started is None:
            self.request_started = time.monotonic()
        done = super().received(data)
        if self.request is None:  # no request half-read any more
            self.request_started = None
        return done

    def handle_read(self):
        try:
            data = self.socket.recv(self.adj.recv_bytes)
        except BlockingIOError:
            return
        except OSError:
            self.handle_close()
            return
        if data:
            self.last_activity = time.time()
            self.received(data)
        elif self.requests:
            # End of file with a request in flight: the client may only have finished sending.
            self.peer_done = True
            self._probe()
        else:
            self.handle_close()

    def readable(self):
        return not self.peer_done and super().readable()

    def _probe(self) -> None:
        request = self.requests[0]
        if request.version != "1.1" or self.probed:
            return
        with self.outbuf_lock:
            if self.total_outbufs_len == 0 and not self.sent_any:
                try:
                    self.socket.send(PROBE)
                    self.probed = True
                except OSError:
                    self.connected = False

    def check_client_disconnected(self):
        if not self.connected:
            return True
        if not self.probed:
            return False
        # After its FIN, a read only ever says "end of file"; the reset a gone client answers
        # the probe with shows in the connection's state (Linux) or as a pending error.
        try:
            if hasattr(socket, "TCP_INFO"):
                return self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_CLOSE
            return self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0
        except OSError:
            return True

    # -- writing and closing ----------------------------------------------------------------
    def _flush_some(self, *args, **kwargs):
        sent = super()._flush_some(*args, **kwargs)
        self.sent_any = self.sent_any or bool(sent)
        return sent

    def service(self):
        self.served += 1
        super().service()
        if self.peer_done and not self.requests:
            with self.requests_lock:
                self.close_when_flushed = True  # nothing more can come from a half-closed client
            self.server.pull_trigger()

    def del_channel(self, map=None):
        self.server.slots.release(self)
        super().del_channel(map)


def guard_connections(server) -> None:
    """Put every listening socket of a waitress server under the bounds of server/connections.py."""
    listeners = (
        [server]
        if isinstance(server, BaseWSGIServer)
        else [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    )
    slots = Slots()  # one for all listeners: the bounds are the server's, not each socket's
    for listener in listeners:
        listener.slots = slots
        listener.channel_class = GuardedChannel
        listener.maintenance = _maintenance(listener)


def _maintenance(listener):
    """Waitress's idle sweep, plus requests that do not arrive whole in time."""
    idle_sweep = listener.maintenance

    def maintenance(now):
        idle_sweep(now)
        late = time.monotonic() - REQUEST_TIMEOUT_S
        for channel in list(listener.active_channels.values()):
            started = getattr(channel, "request_started", None)
            if started is not None and started < late and not channel.requests:
                channel.will_close = True

    return maintenance

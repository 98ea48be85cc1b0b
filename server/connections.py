"""The server's bounds on connections, and an answer for a client that has half-closed.

Waitress alone accepts 100 connections and keeps an idle one for 120 s, so about a hundred
sockets that send half a request line and nothing more kept everyone else out. Here:

- at most PER_ADDRESS connections at once from one address (the next ones are answered 429 and
  closed at once), and at most CONNECTION_LIMIT in all;
- a request must arrive whole (headers and body) within REQUEST_TIMEOUT_S of its first byte,
  however slowly it trickles, and a connection with no request in flight is closed after
  IDLE_TIMEOUT_S;
- a client that sends its request and then shuts down its sending side (as `nc -N` does) still
  gets its answer. To tell it from a client that hung up, an HTTP/1.1 client that half-closed
  is sent an interim `102 Processing` line before anything else: a client that is really gone
  answers it with a reset, and its run is killed at once as before.
"""

from __future__ import annotations

import socket
import time

from waitress.server import BaseWSGIServer

from .httperrors import JsonErrorChannel, error_response

PER_ADDRESS = 32
CONNECTION_LIMIT = 256
REQUEST_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 15
PROBE = b"HTTP/1.1 102 Processing\r\n\r\n"
TCP_CLOSE = 7        # the kernel's state of a connection the peer has reset


class GuardedChannel(JsonErrorChannel):
    """A waitress channel under the bounds above."""

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        counts = server.__dict__.setdefault("per_address", {})
        self.peer = addr[0] if addr else "?"
        counts[self.peer] = counts.get(self.peer, 0) + 1
        self.request_started: float | None = None
        self.peer_done = False       # the client shut down its sending side
        self.probed = False
        self.sent_any = False
        if counts[self.peer] > PER_ADDRESS:
            self._refuse_at_once()

    def _refuse_at_once(self) -> None:
        try:
            self.socket.send(error_response(429, "Too Many Requests", "too_many_connections",
                                            f"At most {PER_ADDRESS} connections at once from one address."))
        except OSError:
            pass
        self.will_close = True

    # -- reading ----------------------------------------------------------------------------
    def received(self, data):
        if self.request_started is None:
            self.request_started = time.monotonic()
        done = super().received(data)
        if self.request is None:          # no request half-read any more
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
        super().service()
        if self.peer_done and not self.requests:
            with self.requests_lock:
                self.close_when_flushed = True     # nothing more can come from a half-closed client
            self.server.pull_trigger()

    def del_channel(self, map=None):
        counts = self.server.__dict__.get("per_address", {})
        if self.peer in counts:
            counts[self.peer] -= 1
            if counts[self.peer] <= 0:
                del counts[self.peer]
        super().del_channel(map)


def guard_connections(server) -> None:
    """Put every listening socket of a waitress server under the bounds above."""
    listeners = [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for listener in listeners:
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

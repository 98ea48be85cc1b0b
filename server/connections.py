"""The server's bounds on connections, and an answer for a client that has half-closed.

Waitress alone accepts 100 connections and keeps an idle one for 120 s, so about a hundred
sockets that send half a request line and nothing more kept everyone else out. Bounding idle and
slow connections was not enough either: clients that send a request every few seconds on each of
their connections are neither idle nor slow, and held every slot (on loopback, from as many
addresses as 127.0.0.0/8 holds). Here:

- at most CONNECTION_LIMIT connections at once in all, and PER_ADDRESS from one address. A new
  connection that finds its address's slots, or all of them, full takes the slot of the
  connection that has waited longest with nothing in flight (no request queued or running, no
  answer left to send): one idle between requests first, the longest idle; else one that has
  not sent a whole request yet, the one waiting longest. That connection is closed without
  an answer, as HTTP lets a server close an idle keep-alive connection at any time (a client
  opens another). A connection with a request in flight, such as a run, is never evicted: only
  when every slot in question holds one is the newcomer answered at once and closed, 429
  `too_many_connections` when its address's slots are full, 503 when all are;
- a connection serves at most MAX_REQUESTS requests and lives at most MAX_LIFETIME_S: the answer
  that reaches either bound carries `Connection: close`, and the connection closes after it;
- a request must arrive whole (headers and body) within REQUEST_TIMEOUT_S of its first byte,
  however slowly it trickles, and a connection with no request in flight is closed after
  IDLE_TIMEOUT_S;
- a client that sends its request and then shuts down its sending side (as `nc -N` does) still
  gets its answer. To tell it from a client that hung up, an HTTP/1.1 client that half-closed
  is sent an interim `102 Processing` line before anything else: a client that is really gone
  answers it with a reset, and its run is killed at once as before.

Waitress is given ACCEPT_LIMIT, a little above CONNECTION_LIMIT, as its own connection_limit: at
its limit it stops accepting, and a newcomer would wait unseen in the kernel's backlog instead of
taking an idle connection's slot. Its limit is only a backstop: an evicted connection is closed
at once, and a refused one after its answer, on the loop's next turn.

Waitress has no public API for any of this, so this module, and only this module, uses its
internals: it subclasses its channel (`requests`, `request`, `last_activity`,
`total_outbufs_len`, `received`, `handle_read`, `service`, `del_channel`, ...) and its WSGI task
(`build_response_header`, `set_close_on_finish`), and sets a listener's `channel_class` and
`maintenance`. The slots are kept by waitress's loop thread alone (it accepts and closes).
"""

from __future__ import annotations

import logging
import socket
import time

from waitress.server import BaseWSGIServer
from waitress.task import WSGITask

from .httperrors import JsonErrorChannel, error_response

PER_ADDRESS = 32
CONNECTION_LIMIT = 256
# Above CONNECTION_LIMIT by more than the refused connections that can await their close.
ACCEPT_LIMIT = CONNECTION_LIMIT + 16
MAX_REQUESTS = 100
MAX_LIFETIME_S = 60
REQUEST_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 15
PROBE = b"HTTP/1.1 102 Processing\r\n\r\n"
TCP_CLOSE = 7        # the kernel's state of a connection the peer has reset
FULL_LOG_EVERY_S = 60

log = logging.getLogger("server")


class Slots:
    """The connections that hold a slot, in all and by address, shared by a server's listeners."""

    def __init__(self):
        self.held: set[GuardedChannel] = set()
        self.by_peer: dict[str, set[GuardedChannel]] = {}
        self.full_logged_at = -FULL_LOG_EVERY_S

    def admit(self, channel: GuardedChannel) -> tuple[int, str, str] | None:
        """Give `channel` a slot, evicting an idle connection if need be; else why not."""
        if len(self.by_peer.get(channel.peer, ())) >= PER_ADDRESS and not _evict_idlest(self.by_peer[channel.peer]):
            return 429, "Too Many Requests", (f"At most {PER_ADDRESS} connections at once from one address, "
                                              "and each of this address's has a request in flight.")
        if len(self.held) >= CONNECTION_LIMIT:
            if not _evict_idlest(self.held):
                return 503, "Service Unavailable", (f"All {CONNECTION_LIMIT} connections this server keeps "
                                                    "have a request in flight; try again shortly.")
            if time.monotonic() - self.full_logged_at >= FULL_LOG_EVERY_S:
                self.full_logged_at = time.monotonic()
                log.warning("all %d connection slots are taken: new connections close the idlest",
                            CONNECTION_LIMIT)
        self.held.add(channel)
        self.by_peer.setdefault(channel.peer, set()).add(channel)
        return None

    def release(self, channel: GuardedChannel) -> None:
        self.held.discard(channel)
        mine = self.by_peer.get(channel.peer)
        if mine is not None:
            mine.discard(channel)
            if not mine:
                del self.by_peer[channel.peer]


def _evict_idlest(channels) -> bool:
    idle = [c for c in channels if c.evictable()]
    if not idle:
        return False
    # Closed here, in the loop thread, rather than marked to close: a socket whose peer reads
    # nothing never turns writable, and would keep its slot in waitress's map.
    min(idle, key=GuardedChannel.idleness).handle_close()
    return True


class BoundedTask(WSGITask):
    """Waitress's WSGI task, closing the connection after the answer that uses up its bounds."""

    def build_response_header(self):
        if self.channel.used_up():
            self.set_close_on_finish()
        return super().build_response_header()


class GuardedChannel(JsonErrorChannel):
    """A waitress channel under the bounds above."""

    task_class = BoundedTask

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        self.peer = addr[0] if addr else "?"
        self.opened = time.monotonic()
        self.served = 0
        self.request_started: float | None = None
        self.peer_done = False       # the client shut down its sending side
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

    def used_up(self) -> bool:
        return self.served >= MAX_REQUESTS or time.monotonic() - self.opened >= MAX_LIFETIME_S

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
        self.served += 1
        super().service()
        if self.peer_done and not self.requests:
            with self.requests_lock:
                self.close_when_flushed = True     # nothing more can come from a half-closed client
            self.server.pull_trigger()

    def del_channel(self, map=None):
        self.server.slots.release(self)
        super().del_channel(map)


def guard_connections(server) -> None:
    """Put every listening socket of a waitress server under the bounds above."""
    listeners = [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    slots = Slots()     # one for all listeners: the bounds are the server's, not each socket's
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

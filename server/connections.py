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

This module holds the bounds and the slots. Waitress has no public API for any of this: the
channel that applies them to waitress's connections is `Connection` in
server/waitress_internals.py, the one module that uses waitress's internals. The slots are kept
by waitress's loop thread alone (it accepts and closes).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

PER_ADDRESS = 32
CONNECTION_LIMIT = 256
# Above CONNECTION_LIMIT by more than the refused connections that can await their close.
ACCEPT_LIMIT = CONNECTION_LIMIT + 16
MAX_REQUESTS = 100
MAX_LIFETIME_S = 60
REQUEST_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 15
PROBE = b"HTTP/1.1 102 Processing\r\n\r\n"
TCP_CLOSE = 7  # the kernel's state of a connection the peer has reset
FULL_LOG_EVERY_S = 60

log = logging.getLogger("server")


class Connection(Protocol):
    """What the slots need of a connection (waitress_internals.GuardedChannel)."""

    peer: str

    def evictable(self) -> bool: ...

    def idleness(self) -> tuple[int, float]: ...

    def evict(self) -> None: ...


class Slots:
    """The connections that hold a slot, in all and by address, shared by a server's listeners."""

    def __init__(self):
        self.held: set[Connection] = set()
        self.by_peer: dict[str, set[Connection]] = {}
        self.full_logged_at: float = -FULL_LOG_EVERY_S

    def admit(self, channel: Connection) -> tuple[int, str, str] | None:
        """Give `channel` a slot, evicting an idle connection if need be; else why not."""
        if len(self.by_peer.get(channel.peer, ())) >= PER_ADDRESS and not _evict_idlest(self.by_peer[channel.peer]):
            return (
                429,
                "Too Many Requests",
                (
                    f"At most {PER_ADDRESS} connections at once from one address, "
                    "and each of this address's has a request in flight."
                ),
            )
        if len(self.held) >= CONNECTION_LIMIT:
            if not _evict_idlest(self.held):
                return (
                    503,
                    "Service Unavailable",
                    (
                        f"All {CONNECTION_LIMIT} connections this server keeps "
                        "have a request in flight; try again shortly."
                    ),
                )
            if time.monotonic() - self.full_logged_at >= FULL_LOG_EVERY_S:
                self.full_logged_at = time.monotonic()
                log.warning("all %d connection slots are taken: new connections close the idlest", CONNECTION_LIMIT)
        self.held.add(channel)
        self.by_peer.setdefault(channel.peer, set()).add(channel)
        return None

    def release(self, channel: Connection) -> None:
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
    min(idle, key=lambda c: c.idleness()).evict()
    return True

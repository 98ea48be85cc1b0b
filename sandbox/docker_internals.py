"""Every private or undocumented part of docker-py the kit relies on, and nothing else.

Checked against docker 7.1 and 7.2 (pyproject.toml pins that range). A maintainer who upgrades
docker-py reads this file; tests/unit/test_library_internals.py asserts each behaviour below by
name, so that an upgrade that changes one fails that test rather than the sandbox. No other
module of the kit uses these names (tests/unit/test_library_internals.py greps for them).

A run talks to its supervisor over one connection: the one `APIClient.attach_socket` hijacks
before the container starts, so that not a byte of output is missed. On it:

- `socket.SocketIO._sock`, writing. For a unix-socket or plain-TCP engine, `attach_socket`
  returns the connection as its HTTP response's `SocketIO`, opened read-only (its `write`
  refuses). The program, its stdin and the kit's kill reach the supervisor through the
  container's stdin on that connection, and docker-py has no public way to write to it (its
  `attach` only reads; an exec is another process, not the supervisor's stdin). `_sock` is the
  standard library's name for the socket under a `SocketIO`. (A TLS engine's connection comes as
  the `ssl.SSLSocket` itself, with no `_sock`: `send` refuses it, as the kit always has: writing
  a TLS connection while another thread reads it was never checked to be safe.) The kit's kill
  also half-closes `_sock` (`shutdown(SHUT_WR)`): the engine then closes the container's stdin
  (StdinOnce), an end of file every reader of it sees, while the output still comes.
- `docker.utils.socket.frames_iter`, reading: the Engine API's multiplexed stream (8-byte header:
  stream id, size; then the bytes) as (stream id, bytes) pairs, from whichever of the objects
  above `attach_socket` returned. Not in docker-py's documentation. Its documented reader,
  `attach(stream=True)`, opens a second connection of its own (and asks the engine whether the
  container has a TTY first): it could not read the connection the kit attached before the start.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

from docker.utils.socket import frames_iter


def send(attached: Any, data: bytes) -> None:
    """Write `data` to the container's stdin over the connection `attach_socket` returned."""
    writer = getattr(attached, "_sock", None)  # the read-only SocketIO's socket
    if writer is None:
        raise OSError("the engine's attach stream cannot be written to")
    writer.sendall(data)


def close_stdin(attached: Any) -> None:
    """Half-close that connection: the engine closes the container's stdin (StdinOnce), the
    output still comes."""
    writer = getattr(attached, "_sock", None)
    if writer is None:
        raise OSError("the engine's attach stream cannot be written to")
    writer.shutdown(socket.SHUT_WR)


def frames(attached: Any) -> Iterator[tuple[int, bytes]]:
    """(stream id, bytes) as the engine sends them on that connection: 1 is stdout, 2 stderr."""
    return frames_iter(attached, tty=False)

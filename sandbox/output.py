"""Collect a container's stdout and stderr as they stream, up to a byte cap.

The engine hands us frames of at most a few tens of KiB whatever the program writes, so host
memory stays bounded by the cap plus one frame, in one huge write or a million small ones.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable


class CappedOutput:
    """Bytes of stdout and stderr, kept until their sum reaches `cap` bytes."""

    def __init__(self, cap: int, on_text: Callable[[str, str], None] | None = None):
        self.cap = cap
        self.truncated = False
        self._buffers = {"stdout": bytearray(), "stderr": bytearray()}
        self._kept = 0
        self._on_text = on_text
        self.full = threading.Event()   # set once the cap is reached
        self.done = threading.Event()   # set when the stream ends, for whatever reason
        self.wake = threading.Event()   # set by either: what a supervisor waits on
        self.error: BaseException | None = None
        self.callback_error: Exception | None = None

    def add(self, stream: str, chunk: bytes) -> None:
        room = self.cap - self._kept
        if len(chunk) > room:
            chunk = chunk[:room]
            self.truncated = True
        if chunk:
            self._buffers[stream] += chunk
            self._kept += len(chunk)
            self._tell(stream, chunk)
        if self.truncated:
            self.full.set()
            self.wake.set()

    def _tell(self, stream: str, chunk: bytes) -> None:
        """Pass text to the caller's callback; one that fails is switched off, never the reading."""
        if self._on_text is None:
            return
        try:
            self._on_text(stream, chunk.decode("utf-8", errors="replace"))
        except Exception as exc:  # noqa: BLE001 - a caller's bug must not stall the engine's copy
            self.callback_error = exc
            self._on_text = None

    def consume(self, frames: Iterable[tuple[bytes | None, bytes | None]]) -> None:
        """Read demultiplexed (stdout, stderr) frames until the stream ends.

        Past the cap the frames are still read, and dropped: the engine copies the program's
        output to us and waits for that copy to finish before it records the exit, so a reader
        that stops reading would stall the kill and the removal behind it.
        """
        try:
            for out, err in frames:
                if self.full.is_set():
                    continue
                if out:
                    self.add("stdout", out)
                if err:
                    self.add("stderr", err)
        except BaseException as exc:  # noqa: BLE001 - handed to the runner, which decides
            self.error = exc
        finally:
            self.done.set()
            self.wake.set()

    def text(self, stream: str) -> str:
        # Programs may print any bytes; a cut may also split a UTF-8 sequence. Never crash on it.
        return bytes(self._buffers[stream]).decode("utf-8", errors="replace")

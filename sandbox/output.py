"""Collect a container's stdout and stderr as they stream, up to a byte cap, and find the report.

The engine hands us frames of at most a few tens of KiB whatever the program writes, so host
memory stays bounded by the cap plus one frame, in one huge write or a million small ones.

The supervisor's report comes last on stdout, after a one-off secret (sandbox/supervisor.py).
Everything from the secret on is the report, never output, and it is looked for in every frame,
past the cap too: the cap bounds what is kept of the program's output, not what is read. The
same secret ends stderr, written once nothing of the program is left to write: the engine keeps
each stream's order, so with the report's line whole and stderr's end seen, both streams are
complete (`finished`) before the engine has even recorded the exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from .files import HARVEST_ENTRIES, HARVEST_FILES, HARVEST_TOTAL_BYTES, MAX_NAME_BYTES, SHOWN_NAME_CHARS

STREAMS = {1: "stdout", 2: "stderr"}
# A hard cap on the report, kept whatever arrives: the kernel's facts (16 KiB is ample), the
# harvested files' base64, their names (at worst six bytes of JSON a byte: a quote is \u0022),
# and the refusals' escaped names, clipped by characters (at worst twelve bytes a character: a
# UTF-16 pair of \uXXXX escapes), with short reasons. About 5.8 MiB. The supervisor's bounds keep
# a whole report below it (tests/unit/test_files.py builds the largest).
REPORT_MAX = (
    16 * 1024
    + (HARVEST_TOTAL_BYTES + 2) // 3 * 4
    + HARVEST_FILES * (6 * MAX_NAME_BYTES + 16)
    + HARVEST_ENTRIES * (12 * SHOWN_NAME_CHARS + 256)
)


class CappedOutput:
    """Bytes of stdout and stderr, kept until their sum reaches `cap` bytes."""

    def __init__(self, cap: int, on_text: Callable[[str, str], None] | None = None, marker: bytes = b""):
        self.cap = cap
        self.truncated = False
        self._buffers = {"stdout": bytearray(), "stderr": bytearray()}
        self._kept = 0
        self._on_text = on_text
        self.marker = marker  # the secret and a space: where the report begins
        self._tails = {"stdout": b"", "stderr": b""}  # each stream's last bytes, for a marker cut in two
        self._held = {"stdout": b"", "stderr": b""}  # kept bytes not yet told: perhaps the marker's start
        self.report: bytearray | None = None
        self._report_whole = False  # its line's newline has come
        self._stderr_ended = False  # the marker that ends stderr has come
        self.full = threading.Event()  # set once the cap is reached
        self.finished = threading.Event()  # set once the report is whole and stderr has ended
        self.done = threading.Event()  # set when the stream ends, for whatever reason
        self.wake = threading.Event()  # set by any of them: what a supervisor waits on
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

    def _tell(self, stream: str, chunk: bytes, hold: bool = True) -> None:
        """Pass text to the caller's callback; one that fails is switched off, never the reading.
        An end that could be the start of the marker waits for the next frame (or the stream's
        end): a frame cut inside the marker must not show the caller a piece of the secret."""
        if self._on_text is None:
            return
        chunk, self._held[stream] = self._held[stream] + chunk, b""
        if hold and self.marker:
            size = next(
                (n for n in range(min(len(chunk), len(self.marker) - 1), 0, -1) if self.marker.startswith(chunk[-n:])),
                0,
            )
            chunk, self._held[stream] = chunk[: len(chunk) - size], chunk[len(chunk) - size :]
        if not chunk:
            return
        try:
            self._on_text(stream, chunk.decode("utf-8", errors="replace"))
        except Exception as exc:  # noqa: BLE001 - a caller's bug must not stall the engine's copy
            self.callback_error = exc
            self._on_text = None

    def stdout_frame(self, chunk: bytes) -> None:
        """A frame of stdout: the program's bytes up to the report's secret, the report after it."""
        if self.report is not None:
            if not self._report_whole:
                piece = chunk[: REPORT_MAX - len(self.report)]
                self.report += piece  # appended, never copied whole
                self._report_whole = b"\n" in piece
                self._check_finished()
            return
        rest = self._split("stdout", chunk)
        if rest is not None:
            self.report = bytearray(rest[:REPORT_MAX])
            self._report_whole = b"\n" in self.report
            self._check_finished()

    def stderr_frame(self, chunk: bytes) -> None:
        """A frame of stderr: the program's bytes up to the secret that ends it; nothing after."""
        if not self._stderr_ended and self._split("stderr", chunk) is not None:
            self._stderr_ended = True
            self._check_finished()

    def _split(self, stream: str, chunk: bytes) -> bytes | None:
        """Keep the program's bytes of `chunk`; return what follows the marker if it is there."""
        if self.marker:
            joined = self._tails[stream] + chunk
            at = joined.find(self.marker)
            if at >= 0:
                tail = len(self._tails[stream])
                if not self.full.is_set():
                    held = self._held[stream]  # the marker's bytes among them are never told
                    self._held[stream] = held[: max(0, len(held) - (tail - at))]
                    self._retract(stream, tail - at)  # marker bytes kept from the last frame
                    if at > tail:
                        self.add(stream, joined[tail:at])
                self._tell(stream, b"", hold=False)  # what was held back is the program's after all
                return joined[at + len(self.marker) :]
            self._tails[stream] = joined[-(len(self.marker) - 1) :]
        if not self.full.is_set():
            self.add(stream, chunk)
        return None

    def _check_finished(self) -> None:
        if self._report_whole and self._stderr_ended:
            self.finished.set()
            self.wake.set()

    def _retract(self, stream: str, count: int) -> None:
        if count > 0:
            kept = self._buffers[stream]
            cut = min(count, len(kept))
            del kept[len(kept) - cut :]
            self._kept -= cut

    def consume(self, frames: Iterable[tuple[int, bytes]]) -> None:
        """Read (stream id, bytes) frames until the stream ends.

        Past the cap the frames are still read: the report is still to come, and the engine
        copies the program's output to us and waits for that copy to finish before it records
        the exit, so a reader that stopped reading would stall the kill and the removal.
        """
        try:
            for stream, data in frames:
                if not data:
                    continue
                if STREAMS.get(stream) == "stdout":
                    self.stdout_frame(data)
                else:
                    self.stderr_frame(data)
        except BaseException as exc:  # noqa: BLE001 - handed to the runner, which decides
            self.error = exc
        finally:
            for name in self._held:
                self._tell(name, b"", hold=False)  # the stream ended: nothing held is the marker
            self.done.set()
            self.wake.set()

    def text(self, stream: str) -> str:
        # Programs may print any bytes; a cut may also split a UTF-8 sequence. Never crash on it.
        return bytes(self._buffers[stream]).decode("utf-8", errors="replace")

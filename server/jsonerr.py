"""One shape for every error: `{"error": "<one human line>", "reason": "<code>"}`."""

from __future__ import annotations

import json
import re


class Refusal(Exception):
    """A request the server refuses on purpose: a status, a machine-readable reason, a message."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers or {}

    def payload(self) -> dict:
        return {"error": self.message, "reason": self.reason}


# The only message a 500 ever carries: the details go to the server's log, never to the client.
GENERIC_500 = "The server hit an unexpected error; it has been logged. Please try again."

JSON_TYPE = "application/json"
JSON_HEADERS = (("Content-Type", JSON_TYPE), ("Cache-Control", "no-store"))


def dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def error_body(message: str, reason: str) -> bytes:
    return dumps({"error": message, "reason": reason})


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` for a log line: control characters (CR, LF, NUL, ESC...) escaped, so a request
    can never write a forged line, or a raw NUL, into the server's log."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)

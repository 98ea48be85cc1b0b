"""Errors that waitress answers itself, before the app runs, in the same JSON shape as ours.

Waitress refuses some requests while parsing them: a Content-Length above the body limit (413,
answered before the body is read, so a huge upload costs nothing), a chunked body that grows past
it, a malformed request (400), headers too large (431). Its own answers are plain text; the error
task in server/waitress_internals.py makes them `{"error": ..., "reason": ...}` with the security
headers, like the rest, from `refusal` here.
"""

from __future__ import annotations

import logging

from sandbox import MAX_CODE_CHARS

from .body import MAX_BODY_BYTES
from .headers import add_security_headers
from .jsonerr import GENERIC_500, JSON_HEADERS, error_body, printable

access = logging.getLogger("server.access")

_REASONS = {400: "bad_request", 413: "body_too_large", 431: "headers_too_large", 501: "not_implemented"}
_MESSAGES = {
    413: f"The body is larger than this server accepts ({MAX_BODY_BYTES} bytes; code is limited "
    f"to {MAX_CODE_CHARS} characters). It was refused without being read.",
    500: GENERIC_500,
}


def refusal(code: int, reason: str, detail: str) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and JSON body of waitress's own refusal (its error's code, reason and body)."""
    message = _MESSAGES.get(code) or f"{reason}: {detail}".rstrip(": ")
    body = error_body(message, _REASONS.get(code, "internal_error" if code >= 500 else "bad_request"))
    return add_security_headers(list(JSON_HEADERS)), body


def log_refusal(addr, command: str | None, path: str | None, code: int, reason: str) -> None:
    access.info(
        "%s %s %s %s refused by the HTTP layer: %s",
        addr[0] if addr else "-",
        printable(command or "-"),
        printable(path or "-"),
        code,
        printable(reason),
    )


def error_response(code: int, phrase: str, reason: str, message: str) -> bytes:
    """A whole HTTP response in the kit's JSON shape, for a connection refused before any request."""
    body = error_body(message, reason)
    headers = add_security_headers([*JSON_HEADERS, ("Content-Length", str(len(body))), ("Connection", "close")])
    head = f"HTTP/1.1 {code} {phrase}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("latin-1") + b"\r\n" + body

"""The WSGI layer around the app: who may talk to it, which headers go out, one log line each.

- Host: only the names this server was bound to (127.0.0.1, localhost, [::1] and the configured
  host, on its port, plus any --allow-host). A DNS-rebinding page makes a browser send its own
  name in Host while the address is 127.0.0.1; refusing unknown Hosts defeats it. -> 421
- Origin: a POST carrying an Origin that is not this server's own is refused, so another site
  cannot make a visitor's browser run code here even through a "simple" request. -> 403
  (No CORS header is ever sent either: see server/headers.py.)
- Path: bytes that are not UTF-8, or a NUL, are refused. -> 400
- Every response gets the security headers; every request gets one access-log line.
- Last resort: an exception that escapes the app answers a generic JSON 500, never a traceback.
"""

from __future__ import annotations

import logging
import time

from .headers import add_security_headers
from .jsonerr import GENERIC_500, JSON_HEADERS, error_body, printable
from .settings import Settings

log = logging.getLogger("server")
access = logging.getLogger("server.access")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """Host header values this server answers to (lower case, with the port)."""
    port = settings.port
    names = {"127.0.0.1", "localhost", "[::1]", _bracket(settings.host), *map(_bracket, settings.allowed_hosts)}
    values = set()
    for name in names:
        name = name.lower()
        if name in ("0.0.0.0", "[::]"):
            continue  # "every address" is not a name a browser sends
        values.add(name if _has_port(name) else f"{name}:{port}")
        if port == 80 and not _has_port(name):
            values.add(name)
    return frozenset(values)


class Guard:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.hosts = allowed_hosts(settings)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    def __call__(self, environ, start_response):
        started = time.monotonic()
        seen = {"status": "-"}

        def start(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, add_security_headers(list(headers)), exc_info)

        streamed = False
        try:
            refusal = self._check(environ)
            if refusal:
                environ["server.note"] = f"refused={refusal[2]}"
                return _answer(start, *refusal)
            try:
                body = self.app(environ, start)
            except Exception:  # the last line of defence: log it, answer JSON
                log.exception(
                    "unhandled error on %s %s",
                    printable(environ.get("REQUEST_METHOD", "-")),
                    printable(environ.get("PATH_INFO", "-")),
                )
                return _answer(start, "500 Internal Server Error", GENERIC_500, "internal_error")
            if isinstance(body, (list, tuple)):
                return body
            # A streamed answer (or a file): its log line is written when it has been sent.
            streamed = True
            return _LoggedStream(body, environ, seen, started)
        finally:
            if not streamed:
                _log_request(environ, seen["status"], time.monotonic() - started)

    def _check(self, environ) -> tuple[str, str, str] | None:
        bad_path = _check_path(environ.get("PATH_INFO", ""))
        if bad_path:
            return ("400 Bad Request", bad_path, "bad_path")
        host = (environ.get("HTTP_HOST") or "").strip().lower()
        if host not in self.hosts:
            shown = host or "none"
            return (
                "421 Misdirected Request",
                f"This server does not answer to Host {shown!r}. Open it as http://127.0.0.1 or "
                "http://localhost on its port, or start it with --allow-host NAME.",
                "bad_host",
            )
        origin = environ.get("HTTP_ORIGIN")
        if (
            environ.get("REQUEST_METHOD", "GET").upper() in UNSAFE_METHODS
            and origin is not None
            and origin.strip().lower() not in self.origins
        ):
            return ("403 Forbidden", f"Requests from another origin ({origin}) may not run code here.", "cross_origin")
        return None


def _check_path(path: str) -> str | None:
    """Why the path is refused, or None. WSGI hands it over as latin-1; Bottle would silently
    drop the bytes that are not UTF-8 (so /%ff became /), and a NUL names no file."""
    try:
        decoded = path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return "The path is not valid UTF-8."
    if "\x00" in decoded:
        return "The path holds a NUL character."
    return None


def _answer(start, status: str, message: str, reason: str) -> list[bytes]:
    body = error_body(message, reason)
    start(status, [*JSON_HEADERS, ("Content-Length", str(len(body)))])
    return [body]


class _LoggedStream:
    """A streamed body that logs its request once it has been sent, or given up."""

    def __init__(self, body, environ, seen, started):
        self._body, self._environ, self._seen, self._started = body, environ, seen, started

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            _log_request(self._environ, self._seen["status"], time.monotonic() - self._started)


def _log_request(environ, status: str, elapsed: float) -> None:
    path = printable(environ.get("PATH_INFO", ""))
    if environ.get("QUERY_STRING"):
        path += "?…"  # query strings are not logged: they may carry anything
    note = printable(environ.get("server.note", ""))
    access.info(
        "%s %s %s %s %.3fs%s",
        printable(environ.get("REMOTE_ADDR", "-")),
        printable(environ.get("REQUEST_METHOD", "-")),
        path,
        status,
        elapsed,
        f" {note}" if note else "",
    )


def _bracket(name: str) -> str:
    """IPv6 literals appear in Host inside brackets."""
    return f"[{name}]" if name.count(":") > 1 and not name.startswith("[") else name


def _has_port(name: str) -> bool:
    return ":" in name.rsplit("]", 1)[-1]

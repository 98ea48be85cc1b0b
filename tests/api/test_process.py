"""server.process: the loopback client never goes through a proxy the environment names."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.process import call, free_port


def _serve(name: str, seen: list):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps({"answered_by": name}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def ours_and_a_proxy(monkeypatch):
    """Our 'server' and a 'proxy' (both on loopback), with http_proxy naming the proxy."""
    ours_seen, proxy_seen = [], []
    ours, proxy = _serve("ours", ours_seen), _serve("proxy", proxy_seen)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.server_port}")
    yield f"http://127.0.0.1:{ours.server_port}", ours_seen, proxy_seen
    ours.shutdown()
    proxy.shutdown()


def test_the_environment_would_send_loopback_traffic_to_the_proxy(ours_and_a_proxy):
    # The hazard itself, so that the next test can fail: urllib's default handlers obey http_proxy.
    # A fresh opener, since urlopen() keeps the one its first call built, from that moment's
    # environment (an earlier test's call would have fixed it without the proxy).
    url, _, proxy_seen = ours_and_a_proxy
    with urllib.request.build_opener().open(url + "/health", timeout=5) as answer:
        assert json.load(answer) == {"answered_by": "proxy"}
    assert proxy_seen


def test_call_goes_straight_to_our_server(ours_and_a_proxy):
    url, ours_seen, proxy_seen = ours_and_a_proxy
    status, _, data = call(url + "/health", timeout_s=5)
    assert (status, data) == (200, {"answered_by": "ours"})
    assert ours_seen == ["/health"] and proxy_seen == []


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))

"""The server's own defences: Host (DNS rebinding), Origin, no CORS, CSP and friends."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from server.headers import CONTENT_SECURITY_POLICY
from server.settings import WEB_ROOT

MISSING_CODE = b"{}"  # passes the guard, then fails validation: 422 means "the guard let it in"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000", "[::1]:8000"])
def test_loopback_names_on_the_bound_port_are_served(client, host):
    answer = client.get("/api/examples", headers={"Host": host})
    assert answer.status_int == 200


@pytest.mark.parametrize(
    "host", ["evil.example:8000", "127.0.0.1:9999", "localhost", "127.0.0.1.nip.io:8000", "attacker.test"]
)
def test_other_hosts_are_refused(client, host):
    answer = client.get("/", headers={"Host": host}, expect_errors=True)
    assert answer.status_int == 421
    assert answer.json["reason"] == "bad_host"
    run = client.post(
        "/run",
        params=b'{"code": "print(1)"}',
        content_type="application/json",
        headers={"Host": host},
        expect_errors=True,
    )
    assert run.status_int == 421


def test_missing_host_is_refused(client):
    answer = client.get("/api/examples", extra_environ={"HTTP_HOST": ""}, expect_errors=True)
    assert answer.status_int == 421


def test_allow_host_adds_a_name(make_client, pool):
    classroom = make_client(pool, allowed_hosts=("teacher.local",))
    assert classroom.get("/api/examples", headers={"Host": "teacher.local:8000"}).status_int == 200
    assert classroom.get("/api/examples", headers={"Host": "other.local:8000"}, expect_errors=True).status_int == 421


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8000"])
def test_cross_origin_posts_are_refused(client, post_run, origin):
    answer = post_run(client, MISSING_CODE, headers={"Origin": origin})
    assert answer.status_int == 403
    assert answer.json["reason"] == "cross_origin"


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "http://localhost:8000", None])
def test_same_origin_and_no_origin_posts_pass_the_guard(client, post_run, origin):
    answer = post_run(client, MISSING_CODE, headers={"Origin": origin} if origin else {})
    assert answer.status_int == 422


def test_no_cors_headers_anywhere(client, post_run):
    evil = {"Origin": "http://evil.example"}
    answers = [
        client.get("/", headers=evil),
        client.get("/api/examples", headers=evil),
        client.options("/run", headers={**evil, "Access-Control-Request-Method": "POST"}, expect_errors=True),
        post_run(client, b'{"code": 1}', headers=evil),
    ]
    for answer in answers:
        assert not any(name.lower().startswith("access-control-") for name in answer.headers), answer.headers
    assert answers[2].status_int in (403, 405)


def test_security_headers_on_pages_api_and_errors(client):
    for answer in (
        client.get("/"),
        client.get("/app.js"),
        client.get("/health", expect_errors=True),
        client.get("/nope", expect_errors=True),
    ):
        headers = answer.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_csp_allows_only_self_and_no_inline_script():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.problems.append("script without src")
        if tag == "style":
            self.problems.append("<style> element")
        self.problems += [f"{tag} has {n}" for n in names if n.startswith("on") or n == "style"]
        for name, value in attrs:
            if name in ("src", "href") and value and value.startswith(("http:", "https:", "//")):
                self.problems.append(f"{tag} loads {value} from another site")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script body")


@pytest.mark.parametrize("page", sorted(p.name for p in Path(WEB_ROOT).glob("*.html")))
def test_pages_have_no_inline_script_style_or_cdn(page):
    finder = _InlineFinder()
    finder.feed((Path(WEB_ROOT) / page).read_text(encoding="utf-8"))
    assert finder.problems == []


def test_vendored_editor_keeps_its_license():
    license_text = (Path(WEB_ROOT) / "vendor" / "codemirror" / "LICENSE").read_text()
    assert "MIT License" in license_text and "Marijn Haverbeke" in license_text

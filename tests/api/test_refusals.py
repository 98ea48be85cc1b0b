"""Every kind of bad input gets a JSON error with the right status, before any container starts.

None of these needs the engine: each request is refused before it reaches the pool.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import webtest

from sandbox import Pool, QueueFull, RunRefused
from server.body import MAX_BODY_BYTES

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")

BAD_BODIES = [
    # (id, raw body, content type, status, reason)
    ("not-json", b"print(2 + 2)", "application/json", 400, "not_json"),
    ("truncated-json", b'{"code": "print(1)"', "application/json", 400, "not_json"),
    ("empty-body", b"", "application/json", 400, "empty_body"),
    ("json-array", b'["print(1)"]', "application/json", 400, "not_object"),
    ("json-string", b'"print(1)"', "application/json", 400, "not_object"),
    ("invalid-utf8", b'{"code": "print(\xff\xfe)"}', "application/json", 400, "not_utf8"),
    ("raw-nul-byte", b'{"code": "print(1)\x00"}', "application/json", 400, "not_json"),
    ("deep-nesting", b"[" * 60000, "application/json", 400, "not_json"),
    ("text-plain", b'{"code": "print(1)"}', "text/plain", 415, "unsupported_media_type"),
    ("form", b"code=print(1)", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("latin1-charset", b'{"code": "print(1)"}', "application/json; charset=latin-1", 415, "unsupported_media_type"),
    ("missing-code", b"{}", "application/json", 422, "missing_code"),
    ("code-number", b'{"code": 42}', "application/json", 422, "code_not_string"),
    ("code-null", b'{"code": null}', "application/json", 422, "code_not_string"),
    ("code-list", b'{"code": ["print(1)"]}', "application/json", 422, "code_not_string"),
    ("code-empty", b'{"code": "   "}', "application/json", 422, "invalid_code"),
    ("code-nul-escape", b'{"code": "print(1)\\u0000"}', "application/json", 422, "invalid_code"),
    ("code-lone-surrogate", b'{"code": "print(\\"\\ud800\\")"}', "application/json", 422, "invalid_code"),
    ("code-too-long", json.dumps({"code": "#" * 5001}).encode(), "application/json", 413, "code_too_long"),
    ("unknown-field", b'{"code": "print(1)", "profil": "seed"}', "application/json", 422, "unknown_field"),
    ("unknown-profile", b'{"code": "print(1)", "profile": "yolo"}', "application/json", 422, "unknown_profile"),
    ("unknown-language", b'{"code": "print(1)", "language": "ruby"}', "application/json", 422, "unknown_language"),
    ("language-not-string", b'{"code": "print(1)", "language": null}', "application/json", 422, "unknown_language"),
    ("profile-not-string", b'{"code": "print(1)", "profile": 1}', "application/json", 422, "unknown_profile"),
    (
        "naive-without-ablation",
        b'{"code": "print(1)", "profile": "naive"}',
        "application/json",
        403,
        "ablation_disabled",
    ),
    (
        "without-without-ablation",
        b'{"code": "print(1)", "without": ["network"]}',
        "application/json",
        403,
        "ablation_disabled",
    ),
    # The naive harvester follows links out of out/: never a visitor's to switch on.
    (
        "without-harvest-without-ablation",
        b'{"code": "print(1)", "without": ["harvest"]}',
        "application/json",
        403,
        "ablation_disabled",
    ),
    ("without-not-list", b'{"code": "print(1)", "without": "network"}', "application/json", 422, "bad_without"),
    ("without-unknown", b'{"code": "print(1)", "without": ["gravity"]}', "application/json", 422, "bad_without"),
]


@pytest.mark.parametrize(
    "body, content_type, status, reason", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_bad_input_is_refused_with_json(client, post_run, body, content_type, status, reason):
    answer = post_run(client, body, content_type=content_type)
    assert answer.status_int == status, answer.text
    assert answer.content_type == "application/json"
    assert answer.json["reason"] == reason
    assert answer.json["error"] and "Traceback" not in answer.text
    assert "output" not in answer.json
    for header in SECURITY_HEADERS:
        assert header in answer.headers


def test_ablation_refusals_pass_when_the_teacher_allows_it(ablation_client, post_run):
    # The same bodies that are 403 above get past validation; a bad control name still does not.
    answer = post_run(ablation_client, b'{"code": "print(1)", "without": ["gravity"]}')
    assert answer.status_int == 422 and answer.json["reason"] == "bad_without"


class CountingInput(io.RawIOBase):
    """A request body that never ends, counting every byte the app reads from it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("the app tried to read an unbounded body whole")
        self.read_bytes += size
        return b" " * size


def _raw_post(client, environ_changes):
    request = webtest.TestRequest.blank(
        "/run", method="POST", content_type="application/json", environ={"HTTP_HOST": "127.0.0.1:8000"}
    )
    for key in ("CONTENT_LENGTH",):
        request.environ.pop(key, None)
    request.environ.update(environ_changes)
    # Call the WSGI app directly: WebTest's lint would itself read the body we are guarding.
    return request.get_response(client.app)


def test_huge_content_length_is_refused_without_reading(client):
    body = CountingInput()
    answer = _raw_post(client, {"CONTENT_LENGTH": str(500 * 1024 * 1024), "wsgi.input": body})
    assert answer.status_int == 413
    assert answer.json["reason"] == "body_too_large"
    assert body.read_bytes == 0


def test_body_without_length_is_read_only_up_to_the_bound(client):
    body = CountingInput()
    answer = _raw_post(client, {"wsgi.input": body, "wsgi.input_terminated": True})
    assert answer.status_int == 413
    assert answer.json["reason"] == "body_too_large"
    assert 0 < body.read_bytes <= MAX_BODY_BYTES + 1


def test_body_without_length_or_terminator_asks_for_a_length(client):
    answer = _raw_post(client, {"wsgi.input": io.BytesIO(b'{"code": "print(1)"}')})
    assert answer.status_int == 411
    assert answer.json["reason"] == "length_required"


def test_wrong_method_and_unknown_path_answer_json(client):
    wrong = client.get("/run", expect_errors=True)
    assert wrong.status_int == 405 and wrong.json["reason"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    missing = client.get("/no/such/page", expect_errors=True)
    assert missing.status_int == 404 and missing.json["reason"] == "not_found"


def test_static_files_cannot_escape_the_web_folder(client):
    for path in ("/../pyproject.toml", "/%2e%2e/pyproject.toml", "/..%2fserver/app.py"):
        answer = client.get(path, expect_errors=True)
        assert answer.status_int in (403, 404), path
        assert answer.content_type == "application/json" and "[project]" not in answer.text


def test_page_files_are_served_with_their_types(client):
    assert client.get("/").content_type == "text/html"
    assert client.get("/app.js").content_type in ("text/javascript", "application/javascript")
    assert client.get("/style.css").content_type == "text/css"
    assert client.get("/vendor/codemirror/LICENSE").content_type == "text/plain"


class ExplodingPool:
    workers, queue = 1, 0

    def submit(self, code, limits=None, **kw):
        raise RuntimeError("secret internal detail /etc/passwd")

    def stats(self):
        return {"running": 0, "queued": 0, "workers": 1, "queue": 0}


class FullPool(ExplodingPool):
    def submit(self, code, limits=None, **kw):
        raise QueueFull("All 1 workers are busy and 0 runs are waiting.", retry_after_s=7)


def test_unexpected_error_is_a_generic_json_500_and_logged(make_client, post_run, caplog):
    client = make_client(ExplodingPool())
    with caplog.at_level("ERROR", logger="server"):
        answer = post_run(client, b'{"code": "print(1)"}')
    assert answer.status_int == 500
    assert answer.json == {"error": answer.json["error"], "reason": "internal_error"}
    assert "secret" not in answer.text and "Traceback" not in answer.text and "RuntimeError" not in answer.text
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)


def test_full_pool_answers_429_with_retry_after(make_client, post_run):
    answer = post_run(make_client(FullPool()), b'{"code": "print(1)"}')
    assert answer.status_int == 429
    assert answer.json["reason"] == "busy"
    assert answer.headers["Retry-After"] == "7"


def test_a_full_pool_answers_the_stream_the_same_429(make_client):
    answer = make_client(FullPool()).post(
        "/run/stream", params=b'{"code": "print(1)"}', content_type="application/json", expect_errors=True
    )
    assert (answer.status_int, answer.json["reason"], answer.headers["Retry-After"]) == (429, "busy", "7")
    assert answer.content_type == "application/json"  # a plain answer, not a stream


def test_no_content_type_at_all_is_415(client):
    body = b'{"code": "print(1)"}'
    request = webtest.TestRequest.blank("/run", method="POST", environ={"HTTP_HOST": "127.0.0.1:8000"})
    request.environ.pop("CONTENT_TYPE", None)
    request.environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    answer = request.get_response(client.app)
    assert answer.status_int == 415
    assert answer.json["reason"] == "unsupported_media_type"
    assert "none" in answer.json["error"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/json;charset=UTF-8", 'Application/JSON; charset="utf8"'],
)
def test_json_with_a_utf8_charset_is_accepted(client, post_run, content_type):
    # {} passes the content-type check and fails the next one: 422 proves the type was accepted.
    answer = post_run(client, b"{}", content_type=content_type)
    assert answer.status_int == 422 and answer.json["reason"] == "missing_code"


@pytest.mark.parametrize("path", ["/%00", "/%ff", "/%c0%af", "/a%00b.js", "/%2e%2e%2f%00", "/run%ff"])
def test_paths_that_are_not_utf8_or_hold_nul_are_400_json(client, path):
    # Bottle alone would drop the undecodable bytes, so /%ff answered the page itself.
    answer = client.get(path, expect_errors=True)
    assert (answer.status_int, answer.content_type) == (400, "application/json"), (path, answer.text[:200])
    assert answer.json["reason"] == "bad_path"
    assert "Content-Security-Policy" in answer.headers


class RefusingRunner:
    def __call__(self, code, limits=None, **kw):
        raise RunRefused("The engine refused to run the container: invalid seccomp profile (test double)")


def test_engine_refusing_a_configuration_is_run_refused_not_engine_down(make_client, post_run, caplog):
    # Our mapping only: the engine's refusal is faked; which limits it refuses is not tested here.
    with Pool(workers=1, queue=0, runner=RefusingRunner()) as pool, caplog.at_level("WARNING", logger="server"):
        answer = post_run(make_client(pool), b'{"code": "print(1)", "profile": "seed_hardened"}')
    assert answer.status_int == 500
    assert answer.json["reason"] == "run_refused"
    assert "invalid seccomp profile (test double)" in answer.json["error"]  # the engine's own line
    assert "seed_hardened profile" in answer.json["error"] and "sandbox doctor" in answer.json["error"]
    assert any("refused a run under seed_hardened" in r.getMessage() for r in caplog.records)


def test_the_docs_state_the_body_bound_the_server_enforces():
    # The README once said 64 KiB while the server took seven times that: read its figure here.
    page = (Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
    row = re.search(
        r"^\| 413 \| body over (?P<figure>[\d,]+ (?:bytes|KiB))(?: \((?P<second>[\d,]+ (?:bytes|KiB))\))?",
        page,
        re.MULTILINE,
    )
    assert row, "docs/server.md's table of statuses has no 413 row stating the body bound"
    for figure in filter(None, (row["figure"], row["second"])):
        number, unit = figure.split()
        assert int(number.replace(",", "")) * (1024 if unit == "KiB" else 1) == MAX_BODY_BYTES, figure

"""`files` over HTTP: sent with a run (text or base64), refused when bad, and what the program
left in out/ coming back in the answer of /run and in the last event of /run/stream.

The refusals need no engine: a pool double proves that a refused request never reached a pool,
so nothing was started and nothing is left. The runs use the real engine and image (pandas,
matplotlib and its backend that saves a shown figure to out/figure-1.png).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import socket

import pytest

from sandbox import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_NAME_BYTES,
    MAX_STDIN_BYTES,
    MAX_TOTAL_BYTES,
    SESSION,
    QueueFull,
    reaper,
)
from server.body import MAX_BODY_BYTES
from server.process import ServerProcess

PNG = b"\x89PNG\r\n\x1a\n"
CSV = "x,y\n1,1\n2,4\n3,9\n"
CANONICAL = (
    "import pandas as pd\n"
    "import matplotlib.pyplot as plt\n"
    "df = pd.read_csv('data.csv')\n"
    "print(int(df['y'].sum()))\n"
    "plt.plot(df['x'], df['y'])\n"
    "plt.show()\n"
)


class RecordingPool:
    """Records what reaches it and answers 429: a request that gets here passed every check."""

    workers, queue = 1, 0

    def __init__(self):
        self.submitted: list[dict] = []

    def submit(self, code, limits=None, **kw):
        self.submitted.append({"code": code, **kw})
        raise QueueFull("recorded (test double)", retry_after_s=1)

    def stats(self):
        return {"running": 0, "queued": 0, "workers": 1, "queue": 0}


def b64(data: bytes) -> dict:
    return {"base64": base64.b64encode(data).decode("ascii")}


def with_files(files, **more) -> bytes:
    return json.dumps({"code": "print(1)", "files": files, **more}).encode()


BAD_FILES = [
    # (id, files, status, reason)
    ("a-list", [["data.csv", "1"]], 422, "bad_files"),
    ("a-string", "data.csv", 422, "bad_files"),
    ("null", None, 422, "bad_files"),
    ("content-number", {"a.csv": 3}, 422, "bad_file"),
    ("content-null", {"a.csv": None}, 422, "bad_file"),
    ("content-list", {"a.csv": ["x"]}, 422, "bad_file"),
    ("content-empty-object", {"a.csv": {}}, 422, "bad_file"),
    ("content-unknown-key", {"a.csv": {"base64": "QQ==", "type": "text/csv"}}, 422, "bad_file"),
    ("content-misspelt-key", {"a.csv": {"base_64": "QQ=="}}, 422, "bad_file"),
    ("base64-not-string", {"a.csv": {"base64": 5}}, 422, "bad_file"),
    ("base64-no-padding", {"a.bin": {"base64": "QQ"}}, 422, "bad_base64"),
    ("base64-space", {"a.bin": {"base64": "Q Q=="}}, 422, "bad_base64"),
    ("base64-newline", {"a.bin": {"base64": "QUJD\nREVG"}}, 422, "bad_base64"),
    ("base64-urlsafe", {"a.bin": {"base64": "-_-_"}}, 422, "bad_base64"),
    ("base64-data-url", {"a.bin": {"base64": "data:text/csv;base64,QQ=="}}, 422, "bad_base64"),
    ("base64-not-ascii", {"a.bin": {"base64": "QQ==é"}}, 422, "bad_base64"),
    ("base64-after-padding", {"a.bin": {"base64": "QQ==QQ=="}}, 422, "bad_base64"),
    ("base64-not-canonical", {"a.bin": {"base64": "QR=="}}, 422, "bad_base64"),
    ("too-many", {f"f{i}.txt": "" for i in range(MAX_FILES + 1)}, 413, "too_many_files"),
    ("text-over-1-MiB", {"big.txt": "x" * (MAX_FILE_BYTES + 1)}, 413, "file_too_large"),
    ("text-over-1-MiB-in-utf8", {"big.txt": "é" * (MAX_FILE_BYTES // 2 + 1)}, 413, "file_too_large"),
    ("bytes-over-1-MiB", {"big.bin": b64(b"\0" * (MAX_FILE_BYTES + 1))}, 413, "file_too_large"),
    ("base64-far-over", {"big.bin": {"base64": "AAAA" * (MAX_FILE_BYTES // 2)}}, 413, "file_too_large"),
    ("over-4-MiB-in-all", {f"f{i}.txt": "x" * MAX_FILE_BYTES for i in range(5)}, 413, "files_too_large"),
    ("absolute-name", {"/etc/passwd": "x"}, 422, "invalid_files"),
    ("parent-name", {"../x.csv": "x"}, 422, "invalid_files"),
    ("nul-in-name", {"a\x00b": "x"}, 422, "invalid_files"),
    ("newline-in-name", {"a\nb": "x"}, 422, "invalid_files"),
    ("empty-name", {"": "x"}, 422, "invalid_files"),
    ("in-out", {"out/x.csv": "x"}, 422, "invalid_files"),
    ("long-name", {"x" * 300: "x"}, 422, "invalid_files"),
    ("same-name-twice", {"caf\u00e9.txt": "1", "cafe\u0301.txt": "2"}, 422, "invalid_files"),
    ("text-lone-surrogate", {"a.txt": "\ud800"}, 422, "invalid_files"),
]


@pytest.mark.parametrize("path", ["/run", "/run/stream"])
@pytest.mark.parametrize("files, status, reason", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_before_any_run(make_client, files, status, reason, path):
    pool = RecordingPool()
    answer = make_client(pool).post(path, params=with_files(files), content_type="application/json", expect_errors=True)
    assert (answer.status_int, answer.content_type) == (status, "application/json"), answer.text[:300]
    assert answer.json["reason"] == reason
    assert answer.json["error"] and "Traceback" not in answer.text
    assert len(answer.json["error"]) < 600  # a hostile name is clipped, not echoed whole
    assert pool.submitted == []  # refused before the pool: no container, nothing left behind


def test_a_refusal_names_what_to_send(make_client):
    # The words, once: the reason codes above are for programs, these for the person.
    pool = RecordingPool()
    client = make_client(pool)

    def error(files, **more):
        return client.post("/run", params=with_files(files, **more), content_type="application/json", status="*").json

    assert '{"base64": "..."}' in error({"a.csv": 3})["error"]
    assert "'type'" in error({"a.csv": {"base64": "QQ==", "type": "x"}})["error"]
    assert "not canonical" in error({"a.bin": {"base64": "QR=="}})["error"]
    assert "../x.csv has a '.' or '..' component" in error({"../x.csv": "1"})["error"]  # the core's words
    # The seed's flags keep the working directory read-only: there is nowhere to put a file.
    refused = error({"a.csv": "1"}, profile="seed_hardened")
    assert refused["reason"] == "files_not_writable" and "read-only" in refused["error"]
    assert pool.submitted == []


def test_good_files_reach_the_pool_decoded(make_client):
    pool = RecordingPool()
    files = {"data.csv": CSV, "raw.bin": b64(bytes(range(256))), "sub/é.txt": "ü", "empty": {"base64": ""}}
    answer = make_client(pool).post("/run", params=with_files(files), content_type="application/json", status="*")
    assert answer.status_int == 429  # the double's answer: every check passed
    assert pool.submitted[0]["files"] == {"data.csv": CSV, "raw.bin": bytes(range(256)), "sub/é.txt": "ü", "empty": b""}
    none = RecordingPool()
    make_client(none).post("/run", params=with_files({}), content_type="application/json", status="*")
    assert "files" not in none.submitted[0]  # {} is no files at all


def worst_case_body() -> bytes:
    """The largest valid request, JSON-escaped the most a client would: every field at its bound,
    each character escaped (ensure_ascii), each file's base64 padded, each name as long as allowed."""
    snake = "\U0001f40d"  # 4 bytes in UTF-8, 12 in JSON (a surrogate pair of \\uXXXX)
    code = "print(1)\n#" + snake * (5000 - len("print(1)\n#"))
    stdin = "\x01" * MAX_STDIN_BYTES  # 6 bytes of JSON each (\\u0001)
    size = MAX_TOTAL_BYTES // MAX_FILES // 3 * 3 - 2
    assert size % 3 == 1  # base64 pads it with two "="
    component = snake * (255 // 4)  # 252 bytes: the longest component of 4-byte characters
    names = []
    for i in range(MAX_FILES):
        stem = "/".join([component] * 4)
        names.append(stem + "/" + chr(0x1F600 + i) * ((MAX_NAME_BYTES - len(stem.encode()) - 1) // 4))
    assert all(MAX_NAME_BYTES - 4 < len(n.encode()) <= MAX_NAME_BYTES for n in names)
    files = {name: b64(b"\xff" * size) for name in names}
    body = {"code": code, "language": "python", "profile": "hardened", "without": [], "stdin": stdin}
    return json.dumps({**body, "files": files}).encode()


def test_the_largest_valid_request_fits_the_body_bound_and_the_bound_is_no_larger(make_client):
    body = worst_case_body()
    assert len(body) <= MAX_BODY_BYTES
    # The bound grows with what a valid request needs and no further: about 6 MiB, not "64 MiB
    # to be safe" (each body is held in memory while it is parsed, so the slack is memory too).
    assert MAX_BODY_BYTES - len(body) < 128 * 1024, (MAX_BODY_BYTES, len(body))
    pool = RecordingPool()
    answer = make_client(pool).post("/run", params=body, content_type="application/json", status="*")
    assert answer.status_int == 429, answer.text[:300]  # accepted by every check; the double refuses
    assert len(pool.submitted[0]["files"]) == MAX_FILES


def test_a_body_at_the_bound_is_read_and_one_byte_more_is_413(make_client):
    pool = RecordingPool()
    client = make_client(pool)
    body = with_files({"a.txt": "x"})
    at_bound = body + b" " * (MAX_BODY_BYTES - len(body))  # JSON allows whitespace after the object
    answer = client.post("/run", params=at_bound, content_type="application/json", status="*")
    assert answer.status_int == 429 and len(pool.submitted) == 1  # read, checked, handed on
    answer = client.post("/run", params=at_bound + b" ", content_type="application/json", status="*")
    assert (answer.status_int, answer.json["reason"]) == (413, "body_too_large")
    assert f"{MAX_BODY_BYTES} bytes" in answer.json["error"]
    assert len(pool.submitted) == 1


def test_config_states_the_files_bounds_for_the_page(make_client):
    config = make_client(RecordingPool()).get("/api/config").json
    assert config["files"] == {
        "max_files": MAX_FILES,
        "max_file_bytes": MAX_FILE_BYTES,
        "max_total_bytes": MAX_TOTAL_BYTES,
    }


# -- runs on the real engine ---------------------------------------------------------------


@pytest.fixture
def patient(pool, make_client):
    """The app with a 30 s clock: importing pandas and matplotlib takes longer than the 3 s the
    other API tests give a run."""
    return make_client(pool, timeout_s=30)


def post(client, path: str, body: dict):
    return client.post(path, params=json.dumps(body).encode(), content_type="application/json", expect_errors=True)


def the_png(files: list[dict]) -> bytes:
    assert [f["name"] for f in files] == ["figure-1.png"], files
    (figure,) = files
    assert figure["type"] == "image/png"
    data = base64.b64decode(figure["base64"], validate=True)
    assert data.startswith(PNG) and figure["size"] == len(data) > 1000
    return data


@pytest.mark.usefixtures("engine_ready")
def test_a_csv_in_read_by_pandas_and_a_png_out_through_run(patient):
    answer = post(patient, "/run", {"code": CANONICAL, "files": {"data.csv": CSV}})
    assert answer.status_int == 200, answer.text[:500]
    data = answer.json
    assert (data["status"], data["stdout"]) == ("ok", "14\n"), data["stderr"]
    the_png(data["files"])
    assert (data["files_refused"], data["files_unexamined"]) == ([], 0)


@pytest.mark.usefixtures("engine_ready")
def test_the_same_through_run_stream(patient):
    answer = post(patient, "/run/stream", {"code": CANONICAL, "files": {"data.csv": b64(CSV.encode())}})
    assert (answer.status_int, answer.content_type) == (200, "application/x-ndjson")
    events = [json.loads(line) for line in answer.body.decode("utf-8").splitlines()]
    last = events[-1]
    assert (last["event"], last["status"], last["stdout"]) == ("result", "ok", "14\n"), last.get("stderr")
    the_png(last["files"])
    assert (last["files_refused"], last["files_unexamined"]) == ([], 0)


@pytest.mark.usefixtures("engine_ready")
def test_bytes_go_in_unchanged_and_what_out_refuses_is_said(client):
    raw = bytes(range(256)) * 3
    code = (
        "import hashlib, os\n"
        "print(hashlib.sha256(open('in/raw.bin', 'rb').read()).hexdigest())\n"
        "open('out/plot.svg', 'w').write('<svg xmlns=\"http://www.w3.org/2000/svg\"/>')\n"
        "os.symlink('/proc/1/environ', 'out/secret.txt')\n"
    )
    data = post(client, "/run", {"code": code, "files": {"in/raw.bin": b64(raw)}}).json
    assert (data["status"], data["stdout"]) == ("ok", hashlib.sha256(raw).hexdigest() + "\n"), data["stderr"]
    assert [(f["name"], f["type"]) for f in data["files"]] == [("plot.svg", "image/svg+xml")]
    assert [r["name"] for r in data["files_refused"]] == ["secret.txt"]
    assert data["files_refused"][0]["reason"]


@pytest.mark.usefixtures("engine_ready")
def test_refused_files_start_nothing_on_the_real_pool(client, pool):
    before = reaper.leftovers(session=SESSION)  # the session's target may be up: compare, not []
    for _, files, status, _reason in BAD_FILES[:3] + BAD_FILES[-3:]:
        assert post(client, "/run", {"code": "print(1)", "files": files}).status_int == status
    assert pool.stats()["running"] == pool.stats()["queued"] == 0
    assert reaper.leftovers(session=SESSION) == before


def _ask(srv, body: bytes, length: int | None = None) -> tuple[int, dict]:
    head = (
        f"POST /run HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=60) as sock:
        sock.sendall(head + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read())


@pytest.mark.usefixtures("engine_ready")
def test_a_real_server_runs_the_largest_request_and_refuses_a_byte_more(child_session):
    # Through waitress, whose own bound (server/serve.py) must let the largest valid body pass.
    srv = ServerProcess("--timeout", "20", "--workers", "1", "--queue", "0", "--warm", "0", session=child_session())
    srv.start()
    try:
        body = worst_case_body()
        status, data = _ask(srv, body)
        assert status == 200 and data["status"] == "ok", (status, data.get("error"), data.get("stderr"))
        # Announced, not sent: waitress answers from Content-Length before it reads a byte.
        status, data = _ask(srv, b"", length=MAX_BODY_BYTES + 1)
        assert (status, data["reason"]) == (413, "body_too_large")
    finally:
        assert srv.stop() == 0, srv.log()[-2000:]
    assert reaper.leftovers(session=srv.session) == []

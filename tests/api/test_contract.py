"""The HTTP contract fuzzed: schemathesis against `python -m server` on loopback, the real engine
behind it, every operation of /openapi.json: zero 500s and zero answers that break the document
(status, content type, body, headers). Its seed and example count are fixed, so the run is the
same each time and bounded: about 20 to 40 s, most of it the coverage phase's runs of real programs.

Checks of the server's own input rules against the document's (`positive_data_acceptance`,
`negative_data_rejection`) are left out: the server refuses more than a schema can say (a NUL
in the code, a language this machine lacks), and says so with a 4xx that the document lists.
The WebTest clients of tests/api check every answer the rest of the suite sees (conftest.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox import reaper
from server.classroom import Store
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")

SEED = "1"
EXAMPLES = "10"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)


def fuzz(url: str, folder, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "run", url + "/openapi.json", "--seed", SEED),
            *("--max-examples", EXAMPLES, "--checks", CHECKS, "--no-shrink", "--workers", "1"),
            *("--request-timeout", "30", "--warnings", "off", "--report-dir", str(folder), *args),
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=folder,
    )


def test_schemathesis_finds_no_500_and_no_answer_outside_the_document(child_session, tmp_path):
    srv = ServerProcess("--timeout", "3", "--workers", "2", "--warm", "1", session=child_session()).start()
    try:
        # Every operation through every phase, but /run/stream, whose input rules are /run's:
        # its coverage phase would run the same few hundred programs again. It gets examples
        # and fuzzing of its own.
        runs = [
            fuzz(srv.url, tmp_path, "--phases", "examples,coverage,fuzzing", "--exclude-path", "/run/stream"),
            fuzz(srv.url, tmp_path, "--phases", "examples,fuzzing", "--include-path", "/run/stream"),
        ]
    finally:
        code = srv.stop()
    for run in runs:
        assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
        assert "No issues found" in run.stdout
    assert code == 0, srv.log()[-2000:]
    assert reaper.leftovers(session=srv.session) == []
    assert " 500 " not in srv.log()  # the access log: not one 500, whatever the checks say


def test_schemathesis_on_a_class_s_endpoints_with_the_teacher_s_code(child_session, tmp_path):
    """The same checks for what a class adds, on a class's server, the teacher's code sent.

    But /grade: with the teacher's code its `tests` field is Python that the server runs in its
    own process (server/grading.py), so fuzzing it would run whatever the fuzzer writes on this
    host, and each body it accepted would be a grading's runs. Its refusals on a server without
    a class are fuzzed above; its answers with the code are checked by tests/api/test_grade.py."""
    codes = Store(tmp_path).create("fuzzed", ["ada"])
    srv = ServerProcess(
        *("--timeout", "3", "--workers", "1", "--warm", "0", "--class", "fuzzed"),
        env={"SANDBOX_DATA": str(tmp_path)},
        session=child_session(),
    ).start()
    try:
        run = fuzz(
            srv.url,
            tmp_path,
            *("--phases", "examples,coverage,fuzzing", "--include-path-regex", "^/(api/class|metrics)"),
            *("--header", f"Authorization: Bearer {codes['teacher']}"),
        )
    finally:
        code = srv.stop()
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
    assert code == 0, srv.log()[-2000:]
    assert codes["teacher"] not in srv.log()

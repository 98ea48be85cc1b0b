"""POST /run/stream (output as newline-delimited JSON events while the program runs) and the
`stdin` field of both run endpoints."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from sandbox import reaper
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")


def events_of(response) -> list[dict]:
    assert response.content_type == "application/x-ndjson"
    return [json.loads(line) for line in response.body.decode("utf-8").splitlines()]


def post_stream(client, body: dict):
    return client.post(
        "/run/stream", params=json.dumps(body).encode(), content_type="application/json", expect_errors=True
    )


def test_a_streamed_run_sends_start_its_output_and_the_whole_result(client):
    events = events_of(post_stream(client, {"code": "import sys\nprint('out')\nprint('err', file=sys.stderr)"}))
    assert events[0] == {"event": "start", "profile": "hardened", "language": "python"}
    written = {
        stream: "".join(e["text"] for e in events if e.get("stream") == stream) for stream in ("stdout", "stderr")
    }
    assert written == {"stdout": "out\n", "stderr": "err\n"}
    assert [e["event"] for e in events][-1] == "result"
    assert (events[-1]["status"], events[-1]["stdout"], events[-1]["stderr"]) == ("ok", "out\n", "err\n")


# Every character besides \n and \r that str.splitlines() splits a line on.
SPLITLINES_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def test_a_streamed_line_never_holds_a_character_that_splitlines_splits_on(client):
    code = f"print('a' + {SPLITLINES_BREAKS!r} + 'z')"
    events = events_of(post_stream(client, {"code": code}))  # every line parsed whole, or it fails
    printed = "".join(e["text"] for e in events if e["event"] == "output")
    assert printed == "a" + SPLITLINES_BREAKS + "z\n"
    assert events[-1]["event"] == "result" and events[-1]["stdout"] == printed


def test_a_streamed_run_ends_with_the_same_verdict_as_run(client):
    events = events_of(post_stream(client, {"code": "while True:\n    pass\n"}))
    assert (events[-1]["event"], events[-1]["status"], events[-1]["stopped_by"]) == ("result", "timeout", "timeout")


def test_a_streamed_flood_is_cut_at_the_same_output_cap(client):
    events = events_of(post_stream(client, {"code": "while True:\n    print('x' * 1000)\n"}))
    streamed = sum(len(e["text"].encode()) for e in events if e["event"] == "output")
    result = events[-1]
    assert (result["event"], result["status"], result["stopped_by"], result["truncated"]) == (
        "result",
        "output_limit",
        "output_cap",
        True,
    )
    assert streamed <= 64 * 1024  # never more than the cap reached the client
    assert len(result["stdout"].encode()) <= 64 * 1024


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({"code": 5}, 422, "code_not_string"),
        ({"code": "print(1)", "stdin": 5}, 422, "stdin_not_string"),
        ({"code": "print(1)", "stdin": "x" * (64 * 1024 + 1)}, 413, "stdin_too_large"),
    ],
)
def test_a_streamed_run_refused_before_it_starts_is_a_plain_json_answer(client, body, status, reason):
    answer = post_stream(client, body)
    assert (answer.status_int, answer.json["reason"]) == (status, reason)


def test_stdin_reaches_the_program_over_http(client, post_run):
    body = json.dumps({"code": "name = input()\nprint(f'Hello, {name}!')", "stdin": "Ada\n"})
    answer = post_run(client, body)
    assert answer.json["output"] == "Hello, Ada!\n"
    assert answer.json["usage"]["stdin_bytes"] == 4


def test_without_stdin_the_program_reads_end_of_file_at_once(client, post_run):
    answer = post_run(client, json.dumps({"code": "import sys\nprint(repr(sys.stdin.read()))"}))
    assert (answer.json["status"], answer.json["output"]) == ("ok", "''\n")


@pytest.mark.parametrize("bad, reason", [(["a"], "stdin_not_string"), ("x" * (64 * 1024 + 1), "stdin_too_large")])
def test_bad_stdin_is_refused_with_a_reason(client, post_run, bad, reason):
    answer = post_run(client, json.dumps({"code": "print(1)", "stdin": bad}))
    assert answer.status_int in (413, 422) and answer.json["reason"] == reason


# -- over a real socket: events leave while the program is still running ----------------------


@pytest.fixture(scope="module")
def live(child_session):
    srv = ServerProcess("--timeout", "60", "--workers", "1", "--warm", "0", session=child_session()).start()
    yield srv
    assert srv.stop() == 0, srv.log()
    assert reaper.leftovers(session=srv.session) == []


def test_output_arrives_while_the_program_runs_and_hanging_up_kills_it(live):
    body = json.dumps({"code": "import time\nprint('first', flush=True)\ntime.sleep(50)\nprint('never')"})
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=40)
    conn.request("POST", "/run/stream", body=body, headers={"Content-Type": "application/json"})
    sock = conn.sock  # the response takes it over from the connection
    answer = conn.getresponse()
    assert answer.status == 200
    assert json.loads(answer.readline())["event"] == "start"
    printed = ""
    while printed != "first\n":  # a write may come in more than one event
        event = json.loads(answer.readline())
        if event["event"] == "running":  # a quiet spell on a busy machine
            continue
        assert (event["event"], event["stream"]) == ("output", "stdout")
        printed += event["text"]
    # While it sleeps, the stream says it is still running, with the seconds since it began.
    event = json.loads(answer.readline())
    assert event["event"] == "running" and event["seconds"] >= 1.5
    # The program is still sleeping: its container is running now, not a record of the past.
    assert len(reaper.leftovers(session=live.session)) == 1
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    answer.close()
    # A client gone mid-stream has its run killed at once, well before the program's 50 s.
    for _ in range(150):
        if "POST /run/stream" in live.log() and "client_gone run killed" in live.log():
            break
        time.sleep(0.2)
    assert "client_gone run killed" in live.log(), live.log()[-2000:]
    assert reaper.leftovers(session=live.session) == []

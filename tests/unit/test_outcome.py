"""The status rules: facts from the engine and the kit in, status/control/message out."""

import pytest

from sandbox import PROFILES
from sandbox.outcome import Facts, classify, last_error_line

H = PROFILES["hardened"]


def facts(exit_code=0, oom=False, killed_for=None, safety=False, stderr=""):
    return Facts(exit_code, oom, killed_for, safety, stderr)


def test_ok():
    assert classify(facts(), H).status == "ok"


def test_timeout_uses_the_seeds_wording():
    o = classify(facts(137, killed_for="timeout"), H)
    assert (o.status, o.stopped_by, o.message) == ("timeout", "timeout", "Execution timed out after 10 seconds")


def test_fractional_timeout_is_written_plainly():
    assert classify(facts(137, killed_for="timeout"), H.replace(timeout_s=2.5)).message.endswith("after 2.5 seconds")


def test_exit_137_alone_is_not_a_memory_error():
    o = classify(facts(137), H)
    assert o.status == "killed" and o.stopped_by is None and "SIGKILL" in o.message


def test_oom_killed_is_memory():
    o = classify(facts(137, oom=True), H)
    assert (o.status, o.stopped_by, o.message) == ("memory", "memory", "Memory limit exceeded (128 MiB)")


def test_our_timeout_kill_wins_over_oom():
    assert classify(facts(137, oom=True, killed_for="timeout"), H).status == "timeout"


def test_output_cap():
    o = classify(facts(137, killed_for="output"), H)
    assert (o.status, o.stopped_by, o.message) == ("output_limit", "output_cap", "Output limit exceeded (64 KiB)")


def test_safety_net_is_not_called_a_control():
    o = classify(facts(137, killed_for="timeout", safety=True), H.without("timeout"))
    assert o.status == "timeout" and o.stopped_by == "safety_net"


def test_sigxfsz_is_the_ulimits_control():
    o = classify(facts(128 + 25), H)
    assert (o.status, o.stopped_by) == ("killed", "ulimits") and "SIGXFSZ" in o.message


TRACEBACK = 'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nZeroDivisionError: division by zero\n'


def test_error_message_is_the_last_traceback_line():
    o = classify(facts(1, stderr=TRACEBACK), H)
    assert (o.status, o.stopped_by, o.message) == ("error", None, "ZeroDivisionError: division by zero")


def test_error_without_stderr_says_the_exit_code():
    assert classify(facts(3), H).message == "Exited with code 3"


@pytest.mark.parametrize("line, control", [
    ("OSError: [Errno 101] Network is unreachable", "network"),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "network"),
    ("OSError: [Errno 30] Read-only file system: '/etc/x'", "read_only"),
    ("RuntimeError: can't start new thread", "pids"),
    ("OSError: [Errno 24] Too many open files", "ulimits"),
    ("PermissionError: [Errno 13] Permission denied: '/etc/shadow'", "user"),
    ("PermissionError: [Errno 1] Operation not permitted", None),
    ("MemoryError", "memory"),
])
def test_the_control_behind_an_error(line, control):
    assert classify(facts(1, stderr=line), H).stopped_by == control


def test_eagain_is_the_pids_limit_while_it_is_on():
    line = "BlockingIOError: [Errno 11] Resource temporarily unavailable"
    assert classify(facts(1, stderr=line), H).stopped_by == "pids"
    assert classify(facts(1, stderr=line), H.without("pids")).stopped_by is None


def test_cancel_is_killed_by_the_caller_not_a_control():
    o = classify(facts(137, killed_for="cancel"), H)
    assert (o.status, o.stopped_by) == ("killed", None) and "Cancelled" in o.message


def test_sigxcpu_names_no_control_the_kit_does_not_set():
    assert classify(facts(128 + 24), H).stopped_by is None


def test_a_control_that_is_off_is_never_named():
    line = "OSError: [Errno 101] Network is unreachable"
    assert classify(facts(1, stderr=line), H.without("network")).stopped_by is None


def test_long_lines_are_shortened():
    assert len(last_error_line("x" * 1000)) == 300


NODE_STDERR = """node:internal/fs/utils:356
    throw err;
    ^

Error: EROFS: read-only file system, open '/etc/owned'
    at Object.openSync (node:fs:596:3)
    at [eval]:1:15 {
  errno: -30,
  code: 'EROFS',
}

Node.js v18.20.4
"""


def test_a_node_error_is_its_first_line_and_names_the_control():
    o = classify(Facts(1, False, None, False, NODE_STDERR, "javascript"), H)
    assert o.message == "Error: EROFS: read-only file system, open '/etc/owned'" and o.stopped_by == "read_only"

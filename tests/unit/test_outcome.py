"""The status rules: the supervisor's report, the kit's own kill and the engine's state in;
status, control, message and hint out. Only facts name a control; stderr gives a hint."""

import signal

import pytest

from sandbox import PROFILES
from sandbox.languages import last_error_line
from sandbox.outcome import Facts, classify
from sandbox.supervisor import Report

H = PROFILES["hardened"]


def facts(
    exit_code=0,
    sig=None,
    killed_for=None,
    safety=False,
    stderr="",
    killed=None,
    engine_oom=False,
    reported=True,
    **counters,
):
    report = (
        Report(
            exit_code=None if sig else exit_code,
            signal=sig,
            killed=bool(killed_for) if killed is None else killed,
            **counters,
        )
        if reported
        else None
    )
    return Facts(report, killed_for, safety, 0 if reported else exit_code, engine_oom, stderr)


def test_ok():
    assert classify(facts(), H).status == "ok"


def test_timeout_uses_the_seeds_wording():
    o = classify(facts(sig=9, killed_for="timeout"), H)
    assert (o.status, o.stopped_by, o.message) == ("timeout", "timeout", "Execution timed out after 10 seconds")


def test_fractional_timeout_is_written_plainly():
    assert classify(facts(sig=9, killed_for="timeout"), H.replace(timeout_s=2.5)).message.endswith("after 2.5 seconds")


def test_a_program_that_ended_before_the_kill_is_never_a_timeout():
    """The kit's clock ran out, but the supervisor had already reaped the program's exit, in time."""
    o = classify(facts(exit_code=0, killed_for="timeout", killed=False, elapsed_s=9.98), H)
    assert (o.status, o.stopped_by) == ("ok", None)


def test_a_program_that_outlived_the_deadline_is_a_timeout_whatever_the_supervisor_says():
    """A late supervisor (starved, or slow to read the kill) reaped a program that ended on its
    own after the deadline: the kit killed for time, so it is a timeout."""
    for elapsed in (10.0, 12.53, None):
        o = classify(facts(exit_code=0, killed_for="timeout", killed=False, elapsed_s=elapsed), H)
        assert (o.status, o.stopped_by) == ("timeout", "timeout"), elapsed


def test_a_broken_supervisor_never_hands_a_kit_kill_to_the_program():
    """A supervisor that failed (its poll() broke) reports no exit status: the kit's kill decides,
    and the program's stderr is never the message."""
    broken = Report(supervisor_error="OSError: [Errno 22] Invalid argument")
    for reason, status in (("timeout", "timeout"), ("cancel", "killed")):
        o = classify(Facts(broken, reason, False, 0, False, "Execution timed out after 1 seconds"), H)
        assert o.status == status and o.message != "Execution timed out after 1 seconds", reason


def test_a_broken_supervisor_is_an_error_in_the_kits_words():
    broken = Report(supervisor_error="OSError: [Errno 22] Invalid argument")
    o = classify(Facts(broken, None, False, 0, True, "OSError: [Errno 11] Resource temporarily unavailable"), H)
    assert (o.status, o.stopped_by) == ("error", None)
    assert o.message.startswith("The kit's supervisor failed (OSError: [Errno 22]") and o.hint == "pids"


def test_a_report_without_an_exit_status_is_a_supervisor_failure():
    o = classify(Facts(Report(oom_kills=None), None, False, 0, True, "Killed"), H)
    assert (o.status, o.stopped_by) == ("error", None) and "supervisor failed" in o.message


def test_a_silenced_supervisor_is_an_error_never_the_programs_line():
    o = classify(Facts(None, None, False, 1, False, "ValueError: the grade is 100"), H)
    assert o.status == "error" and o.message == "The run ended without the supervisor's report (container exit code 1)"
    o = classify(Facts(None, "timeout", False, 137, False, "ValueError: the grade is 100"), H)
    assert (o.status, o.stopped_by) == ("timeout", "timeout")


def test_exit_137_is_the_programs_own_exit_not_a_signal():
    o = classify(facts(137), H)
    assert o.status == "error" and o.stopped_by is None and o.message == "Exited with code 137"


def test_exit_153_is_not_the_ulimits_control():
    assert classify(facts(153), H).stopped_by is None


def test_sigkill_without_an_oom_kill_is_killed():
    o = classify(facts(sig=9), H)
    assert o.status == "killed" and o.stopped_by is None and "SIGKILL" in o.message


def test_sigkill_with_an_oom_kill_recorded_is_memory():
    o = classify(facts(sig=9, oom_kills=1), H)
    assert (o.status, o.stopped_by) == ("memory", "memory")
    # The kernel records the kill, not its victim: the message claims no more than that.
    assert o.message == (
        "Memory limit exceeded (128 MiB): the out-of-memory killer ended 1 process of this run, "
        "and the program ended by SIGKILL"
    )


def test_a_childs_oom_kill_does_not_make_the_run_memory():
    o = classify(facts(0, oom_kills=1), H)
    assert (o.status, o.stopped_by) == ("ok", None) and "OOM killer" in o.message


def test_no_report_falls_back_to_the_engines_oom_fact():
    o = classify(facts(137, reported=False, engine_oom=True), H)
    assert (o.status, o.stopped_by) == ("memory", "memory") and "supervisor" in o.message


def test_no_report_without_an_oom_is_an_error_that_says_so():
    o = classify(facts(137, reported=False), H)
    assert o.status == "error" and o.stopped_by is None and "without the supervisor's report" in o.message
    assert "cannot tell" not in o.message


def test_a_sigkill_without_a_report_where_the_engine_records_no_oom_is_a_hint_not_a_verdict():
    from dataclasses import replace

    unrecorded = replace(facts(137, reported=False), engine_records_oom=False)
    o = classify(unrecorded, H)
    assert (o.status, o.stopped_by, o.hint) == ("error", None, "memory") and "cannot tell" in o.message
    assert classify(unrecorded, H.without("memory")).hint is None
    assert "cannot tell" not in classify(replace(unrecorded, engine_exit=1), H).message


def test_our_timeout_kill_wins_over_oom():
    assert classify(facts(sig=9, killed_for="timeout", oom_kills=1), H).status == "timeout"


def test_output_cap():
    o = classify(facts(sig=9, killed_for="output"), H)
    assert (o.status, o.stopped_by, o.message) == ("output_limit", "output_cap", "Output limit exceeded (64 KiB)")


def test_safety_net_is_not_called_a_control():
    o = classify(facts(sig=9, killed_for="timeout", safety=True), H.without("timeout"))
    assert o.status == "timeout" and o.stopped_by == "safety_net"


def test_sigxfsz_suggests_the_ulimits_control():
    """A program can send itself SIGXFSZ: the signal alone is a hint, never a control."""
    o = classify(facts(sig=signal.SIGXFSZ), H)
    assert (o.status, o.stopped_by, o.hint) == ("killed", None, "ulimits") and "SIGXFSZ" in o.message


def test_sigsys_suggests_the_seccomp_control():
    o = classify(facts(sig=signal.SIGSYS), H)
    assert (o.status, o.stopped_by, o.hint) == ("killed", None, "seccomp") and "SIGSYS" in o.message


TRACEBACK = (
    'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nZeroDivisionError: division by zero\n'
)


def test_error_message_is_the_last_traceback_line():
    o = classify(facts(1, stderr=TRACEBACK), H)
    assert (o.status, o.stopped_by, o.message) == ("error", None, "ZeroDivisionError: division by zero")


def test_error_without_stderr_says_the_exit_code():
    assert classify(facts(3), H).message == "Exited with code 3"


@pytest.mark.parametrize(
    "counters, control",
    [
        ({"forks_refused": 3}, "pids"),
        ({"oom_kills": 1}, "memory"),
        ({"no_route": 1}, "network"),
        ({"scratch_full": ("/tmp",)}, "read_only"),
        ({}, None),
    ],
)
def test_a_failed_program_names_the_control_the_kernels_counters_show(counters, control):
    assert classify(facts(1, **counters), H).stopped_by == control


@pytest.mark.parametrize(
    "line, hint",
    [
        ("OSError: [Errno 101] Network is unreachable", "network"),
        ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "network"),
        ("OSError: [Errno 30] Read-only file system: '/etc/x'", "read_only"),
        ("RuntimeError: can't start new thread", "pids"),
        ("OSError: [Errno 24] Too many open files", "ulimits"),
        ("PermissionError: [Errno 13] Permission denied: '/etc/shadow'", "user"),
        ("PermissionError: [Errno 1] Operation not permitted", None),
        ("MemoryError", "memory"),
    ],
)
def test_the_error_text_gives_a_hint_never_a_control(line, hint):
    o = classify(facts(1, stderr=line), H)
    assert o.hint == hint and o.stopped_by is None


def test_a_forged_network_error_names_no_control():
    """The program printed the words; the kernel saw no packet refused."""
    o = classify(facts(1, stderr="OSError: [Errno 101] Network is unreachable", no_route=0), H)
    assert o.stopped_by is None and o.hint == "network"


def test_eagain_hints_at_pids_only_while_it_is_on():
    line = "BlockingIOError: [Errno 11] Resource temporarily unavailable"
    assert classify(facts(1, stderr=line), H).hint == "pids"
    assert classify(facts(1, stderr=line), H.without("pids")).hint is None


def test_cancel_is_killed_by_the_caller_not_a_control():
    o = classify(facts(sig=9, killed_for="cancel"), H)
    assert (o.status, o.stopped_by) == ("killed", None) and "Cancelled" in o.message


def test_sigxcpu_names_no_control_the_kit_does_not_set():
    assert classify(facts(sig=signal.SIGXCPU), H).stopped_by is None


def test_a_control_that_is_off_is_never_named():
    assert classify(facts(1, no_route=2), H.without("network")).stopped_by is None
    line = "OSError: [Errno 101] Network is unreachable"
    assert classify(facts(1, stderr=line), H.without("network")).hint is None


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


def test_a_node_error_is_its_first_line_and_hints_at_the_control():
    o = classify(Facts(Report(exit_code=1), None, False, 0, False, NODE_STDERR, "javascript"), H)
    assert o.message == "Error: EROFS: read-only file system, open '/etc/owned'" and o.hint == "read_only"

"""The catalog's expectation matching, on hand-made results (our logic, not evidence)."""

from sandbox import PROFILES, Usage
from sandbox.lab import catalog, judging
from sandbox.result import Result


def ok_result():
    return Result(status="ok", stdout="", stderr="", exit_code=0, duration_s=1.0, limits=PROFILES["hardened"])


def test_an_empty_dict_expects_an_empty_fact_not_anything():
    assert judging._matches({}, {})
    assert not judging._matches({"AWS_SECRET": "x"}, {})
    assert not judging._matches(None, {}) and not judging._matches([], {}) and not judging._matches(0, {})


def test_env_secrets_hardened_expectation_really_checks_that_nothing_leaked():
    expect = catalog.load("env_secrets").expect["hardened"]
    leaked = catalog.check_expectations(expect, ok_result(), {"achieved": False, "secrets": {"API_KEY": "k"}})
    assert leaked == ["report.secrets: expected {}, got {'API_KEY': 'k'}"]
    assert catalog.check_expectations(expect, ok_result(), {"achieved": False, "secrets": {}}) == []


def test_ranges_and_partial_dicts_still_match_as_before():
    assert judging._matches(5, {"min": 1, "max": 9}) and not judging._matches(True, {"min": 0})
    assert judging._matches({"/tmp": "ENOSPC", "/": "EROFS"}, {"/tmp": "ENOSPC"})
    assert not judging._matches({"/tmp": "EROFS"}, {"/tmp": "ENOSPC"})


def test_a_cpu_attack_is_judged_on_the_kernels_record_not_on_what_it_printed():
    def judged(**usage):
        return catalog.judge_kernel_cpu(Usage(**usage), "said by the program", "its report")[0]

    # No quota at all: no bandwidth periods, nothing throttled. Escaped however little CPU a busy
    # machine had free for it, and whatever the program claimed.
    assert judged(cpu_periods=0, throttled_periods=0, cpu_s=1.5, wall_s=3.1) == "escaped"
    # A quota that held it back in some period: contained, however much it claims to have got.
    assert judged(cpu_periods=31, throttled_periods=29, cpu_s=1.5, wall_s=3.1) == "contained"
    # A quota that never bound: only clearly more CPU than 0.5 per second is an escape.
    assert judged(cpu_periods=31, throttled_periods=0, cpu_s=3.0, wall_s=3.1) == "escaped"
    assert judged(cpu_periods=31, throttled_periods=0, cpu_s=1.2, wall_s=3.1) == "contained"
    # A kernel that keeps no such record: the program's own verdict stands, said as its own.
    assert catalog.judge_kernel_cpu(Usage(cpu_s=1.0, wall_s=3.0), "escaped", "its report") == ("escaped", "its report")


def test_a_fork_bomb_and_a_memory_hog_are_judged_on_the_kernels_record_where_it_was_kept():
    bomb, hog = catalog.load("fork_bomb"), catalog.load("memory_hog")

    def judged(attack, verdict="said by the program", **usage):
        return catalog.judge_on_record(attack, Usage(**usage), verdict, "its report")

    # All 200 tasks at once and no fork refused: an escape, whatever the program printed.
    assert judged(bomb, "contained", forks_refused=0, peak_tasks=201)[0] == "escaped"
    # One refused fork is the pids limit at work, though the program claims it got everything.
    verdict, evidence = judged(bomb, "escaped", forks_refused=1, peak_tasks=64)
    assert verdict == "contained" and evidence.startswith(
        "the kernel's record (supervisor): forks_refused=1 peak_tasks=64"
    )
    assert judged(hog, "contained", oom_kills=0, peak_mib=265.9)[0] == "escaped"
    assert judged(hog, "escaped", oom_kills=1, peak_mib=128.0)[0] == "contained"
    assert judged(hog, "escaped", oom_kills=0, peak_mib=120.0)[0] == "contained"  # never held 256 MiB
    # An attack that broke and shows no escape stays an error: it may never have tried.
    assert judged(bomb, "error", forks_refused=0, peak_tasks=2)[0] == "error"
    # A record the kernel did not keep (gVisor's sandbox keeps none): the run's own verdict stands.
    assert judged(bomb, "escaped", forks_refused=None, peak_tasks=201) == ("escaped", "its report")
    # An attack that names no record is judged as before.
    assert judged(catalog.load("tcp_egress"), "escaped", no_route=0) == ("escaped", "its report")

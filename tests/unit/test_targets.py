"""The audit's logic without an engine: target names, the verdict on a foreign target, what
cannot apply there, and the command protocol through a real child process."""

from __future__ import annotations

import sys

import pytest

from sandbox.lab import catalog, targets
from sandbox.lab.errors import TargetError
from sandbox.lab.targets.matrix import NA, REPORT, TARGET_END
from sandbox.lab.verdict import Verdict

FORK_BOMB = catalog.load("fork_bomb")


def ran(stdout="", exit_code=0, **kw):
    return targets.TargetRun(stdout, "", exit_code, 1.0, **kw)


def test_target_names_parse_and_bad_ones_are_refused():
    assert targets.parse("docker-run:seed").flags == targets.SEED_FLAGS.split()
    assert targets.parse("http:http://127.0.0.1:8000/run").url == "http://127.0.0.1:8000/run"
    assert targets.parse("kit:hardened").label == "kit:hardened"
    for bad in ("kit:nope", "http:ftp://x", "command:", "docker-run:--memory 1g python:3", "nothing"):
        with pytest.raises(TargetError):
            targets.parse(bad)


def test_a_foreign_verdict_rests_on_the_report_or_the_target_s_end():
    judge = targets.judge_foreign
    escaped = judge(FORK_BOMB, ran('ATTACK_REPORT {"achieved": true, "children": 199}'))
    assert escaped[:2] == (Verdict.ESCAPED, REPORT) and escaped[2].startswith("by the program's report")
    assert judge(FORK_BOMB, ran('ATTACK_REPORT {"achieved": false}'))[:2] == (Verdict.CONTAINED, REPORT)
    assert judge(FORK_BOMB, ran("", 137))[:2] == (Verdict.CONTAINED, TARGET_END)
    assert judge(FORK_BOMB, ran("", None, timed_out=True))[:2] == (Verdict.CONTAINED, TARGET_END)
    assert judge(FORK_BOMB, ran("", None, harness_killed=True))[0] == Verdict.ESCAPED
    assert judge(FORK_BOMB, ran("", 1))[0] == Verdict.ERROR  # no report, not stopped: never a pass
    assert judge(FORK_BOMB, ran("", None, failure="no engine"))[0] == Verdict.ERROR
    assert judge(FORK_BOMB, ran('ATTACK_REPORT {"achieved": "yes"}'))[0] == Verdict.ERROR


def test_what_needs_the_kit_is_not_applicable_on_a_foreign_target():
    foreign = targets.CommandTarget(["true"])
    # (an attack with `only_on` asks the engine its architecture: not here, without one)
    na = {a.name for a in catalog.all_attacks() if not a.only_on and targets.not_applicable(a, foreign)}
    assert {"setuid_binary", "per_user_limits", "harvest_canary_link", "supervisor_priority", "env_secrets"} <= na
    assert {"tcp_egress", "dns_lookup", "fork_bomb", "become_root", "docker_socket"}.isdisjoint(na)
    assert all(a.foreign for a in catalog.all_attacks(categories=["network"]) if a.name not in na)


def test_a_command_target_speaks_json_both_ways():
    echo = (
        "import json,sys; r=json.load(sys.stdin); "
        "print(json.dumps({'stdout': r['code'].upper(), 'stderr': '', 'exit_code': 7, 'timed_out': True}))"
    )
    got = targets.CommandTarget([sys.executable, "-c", echo]).run("abc")
    assert (got.stdout, got.exit_code, got.timed_out, got.failure) == ("ABC", 7, True, None)
    refused = targets.CommandTarget([sys.executable, "-c", 'print(\'{"error": "no engine"}\')']).run("x")
    assert refused.failure == "no engine"
    garbled = targets.CommandTarget([sys.executable, "-c", "print('hello')"]).run("x")
    assert garbled.failure and garbled.failure.startswith("no JSON answer")
    assert targets.CommandTarget(["/nonexistent/sandbox"]).run("x").failure


def test_not_applicable_cells_say_why():
    cell = targets.judge_on(catalog.load("setuid_binary"), targets.CommandTarget(["true"]))
    assert cell.verdict == Verdict.NOT_APPLICABLE and cell.basis == NA and "lab image" in cell.evidence

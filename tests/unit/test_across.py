"""The scorecard across engines, from recorded scorecard documents (no engine)."""

from __future__ import annotations

import json

import pytest

from sandbox.lab import across
from sandbox.lab.errors import ReportFolderError


def outcome(attack, case, verdict, report, as_expected=True):
    return {
        "attack": attack,
        "case": case,
        "verdict": verdict,
        "as_expected": as_expected,
        "status": "ok",
        "evidence": f"{verdict}: {report}",
        "report": report,
    }


def card(engine, outcomes, attacks=(), cases=("hardened", "ablated")):
    return {
        "summary": "s",
        "cases": list(cases),
        "meta": {"kind": "Docker", "engine": engine, "runtimes": ["runc"]},
        "attacks": [{"name": "io_uring", "not_applicable": None, "engine_note": None, "gvisor": None}, *attacks],
        "outcomes": outcomes,
    }


def write(tmp_path, *cards):
    for number, document in enumerate(cards):
        (tmp_path / f"{number}.json").write_text(json.dumps(document))
    return across.load(tmp_path)


def test_a_verdict_that_differs_is_marked_with_the_attacks_own_why(tmp_path):
    note = {"name": "io_uring", "not_applicable": None, "engine_note": "Docker 25 refuses io_uring too", "gvisor": None}
    old = card(
        "20.10",
        [
            outcome("io_uring", "hardened", "contained", {"achieved": False}),
            outcome("io_uring", "ablated", "escaped", {"achieved": True}),
        ],
    )
    new = card(
        "26.1",
        [
            outcome("io_uring", "hardened", "contained", {"achieved": False}),
            outcome("io_uring", "ablated", "contained", {"achieved": False}),
        ],
    )
    new["attacks"] = [note]
    engines = write(tmp_path, old, new)
    assert across.differences(engines, "io_uring", "hardened") == []
    assert len(across.differences(engines, "io_uring", "ablated")) == 2
    assert across.why(engines, "io_uring", "ablated") == ["Docker 26.1 (runc): Docker 25 refuses io_uring too"]
    text = across.render_markdown(engines)
    assert "| `io_uring` | contained | escaped | contained | contained | ≠ |" in text
    assert across.contained_everywhere(engines) == {"Docker 20.10 (runc)": True, "Docker 26.1 (runc)": True}


def test_an_engine_where_hardened_did_not_hold_is_told(tmp_path):
    bad = card("x", [outcome("io_uring", "hardened", "escaped", {"achieved": True}, as_expected=False)])
    engines = write(tmp_path, bad)
    assert across.contained_everywhere(engines) == {"Docker x (runc)": False}
    assert "does NOT contain every attack" in across.render_markdown(engines)


def test_known_limits_are_named_with_why_not_hidden_in_the_verdict(tmp_path):
    limited = {
        "name": "host_facts",
        "not_applicable": None,
        "engine_note": None,
        "gvisor": None,
        "known_limit": "Podman ignores CgroupnsMode",
    }
    document = card("4.3.1", [outcome("host_facts", "hardened", "escaped", {"achieved": True})], attacks=[limited])
    engines = write(tmp_path, document)
    assert across.contained_everywhere(engines) == {"Docker 4.3.1 (runc)": True}  # as documented
    line = across.verdict_line(engines[0], True)
    assert line == "hardened contains every attack but its documented known limits here: host_facts"
    text = across.render_markdown(engines)
    assert "`host_facts`: Podman ignores CgroupnsMode" in text and line in text


def test_facts_that_vary_from_run_to_run_are_not_differences(tmp_path):
    one = card("a", [outcome("io_uring", "hardened", "contained", {"achieved": False, "ms": 3})])
    two = card("b", [outcome("io_uring", "hardened", "contained", {"achieved": False, "ms": 9})])
    assert across.differences(write(tmp_path, one, two), "io_uring", "hardened") == []


def test_no_documents_is_a_clear_error(tmp_path):
    with pytest.raises(ReportFolderError, match="No scorecard JSON"):
        across.load(tmp_path)


def test_fields_an_attack_names_as_its_runs_own_are_not_differences(tmp_path):
    tcp = {"name": "tcp_egress", "not_applicable": None, "engine_note": None, "gvisor": None, "varies": ["peer"]}
    one = card(
        "a", [outcome("tcp_egress", "ablated", "escaped", {"achieved": True, "peer": "172.19.0.2"})], attacks=[tcp]
    )
    two = card(
        "b", [outcome("tcp_egress", "ablated", "escaped", {"achieved": True, "peer": "10.89.1.2"})], attacks=[tcp]
    )
    assert across.differences(write(tmp_path, one, two), "tcp_egress", "ablated") == []
    other = card("c", [outcome("tcp_egress", "ablated", "escaped", {"achieved": True, "stage": "send"})], attacks=[tcp])
    assert across.differences(write(tmp_path, one, other), "tcp_egress", "ablated") != []


def test_the_engines_own_defaults_are_shown_side_by_side_and_not_judged(tmp_path):
    # The naive case is where engines differ the most (each its own default seccomp profile).
    keyctl = {
        "name": "kernel_interfaces",
        "not_applicable": None,
        "gvisor": None,
        "engine_note": "Podman's default seccomp profile allows keyctl",
    }
    docker = card(
        "26.1",
        [
            outcome("kernel_interfaces", "hardened", "contained", {"keyctl": "EPERM"}),
            outcome("kernel_interfaces", "naive", "contained", {"keyctl": "EPERM"}),
        ],
        cases=("hardened", "naive"),
    )
    podman = card(
        "4.3.1",
        [
            outcome("kernel_interfaces", "hardened", "contained", {"keyctl": "EPERM"}),
            outcome("kernel_interfaces", "naive", "escaped", {"keyctl": "OK"}, as_expected=False),
        ],
        attacks=[keyctl],
        cases=("hardened", "naive"),
    )
    engines = write(tmp_path, docker, podman)
    assert len(across.differences(engines, "kernel_interfaces", "naive")) == 2
    assert across.why(engines, "kernel_interfaces", "naive") == [
        "Docker 4.3.1 (runc): Podman's default seccomp profile allows keyctl"
    ]
    text = across.render_markdown(engines)
    assert "| `kernel_interfaces` | contained | contained | contained | escaped | ≠ |" in text  # no ⚠
    assert "### kernel_interfaces [naive]" in text
    assert across.contained_everywhere(engines) == {"Docker 26.1 (runc)": True, "Docker 4.3.1 (runc)": True}


def test_an_engine_has_columns_only_for_the_cases_it_ran(tmp_path):
    plain = card("20.10", [outcome("io_uring", "hardened", "contained", {})], cases=("hardened",))
    gvisor = card(
        "26.1",
        [outcome("io_uring", "hardened", "contained", {}), outcome("io_uring", "gvisor", "contained", {})],
        cases=("hardened", "gvisor"),
    )
    engines = write(tmp_path, plain, gvisor)
    text = across.render_markdown(engines)
    assert (
        "| attack | Docker 20.10 (runc): hardened | Docker 26.1 (runc): hardened | Docker 26.1 (runc): gvisor | |"
        in text
    )
    assert "| `io_uring` | contained | contained | contained |  |" in text

"""The scorecard: its rendering (on hand-made outcomes) and the real command on a small subset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import PROFILES, engine, engine_runtimes, reaper
from sandbox.lab import catalog, scorecard
from sandbox.lab.catalog import AttackOutcome
from sandbox.result import Result

REPO = Path(__file__).resolve().parents[2]


def outcome(name, case, verdict, evidence="e", surprises=()):
    attack = catalog.load(name)
    result = Result(status="ok", stdout="", stderr="", exit_code=0, duration_s=0.1, limits=PROFILES["hardened"])
    return AttackOutcome(
        attack,
        case,
        attack.limits(case),
        result,
        {"achieved": verdict == "escaped"},
        verdict,
        evidence,
        list(surprises),
    )


def card(*outcomes, cases=catalog.CASES):
    return scorecard.Scorecard(list(outcomes), cases, 75.0, {"engine": "test", "kernel": "k"})


def test_summary_counts_each_case_and_leaves_not_applicable_attacks_out():
    c = card(
        outcome("fork_bomb", "hardened", "contained"),
        outcome("fork_bomb", "ablated", "escaped"),
        outcome("fork_bomb", "naive", "escaped"),
        outcome("host_mount", "hardened", "contained"),
        outcome("host_mount", "ablated", "escaped"),
        outcome("host_mount", "naive", "contained"),
        outcome("ipv6_egress", "hardened", "contained"),
        outcome("ipv6_egress", "ablated", "contained"),
        outcome("ipv6_egress", "naive", "contained"),
    )
    assert c.summary() == (
        "2 attacks: hardened contained 2/2; ablated escaped 2/2; naive escaped 1/2 "
        "(not applicable on this engine: ipv6_egress; runtime 1m15s)"
    )
    assert c.passed


def test_a_hardened_escape_or_an_ablated_containment_fails_the_scorecard():
    c = card(outcome("fork_bomb", "hardened", "escaped"), outcome("fork_bomb", "ablated", "escaped"))
    assert not c.passed and "hardened contained 0/1" in c.summary()
    c = card(outcome("fork_bomb", "hardened", "contained"), outcome("fork_bomb", "ablated", "contained"))
    assert not c.passed
    c = card(
        outcome("fork_bomb", "hardened", "contained", surprises=["report.errno: expected 'EAGAIN'"]),
        outcome("fork_bomb", "ablated", "escaped"),
    )
    assert not c.passed and "facts differing from the metadata: fork_bomb" in c.summary()


def test_a_skipped_case_is_counted_named_and_fails_the_scorecard():
    skipped = AttackOutcome(
        catalog.load("docker_socket"),
        "ablated",
        catalog.load("docker_socket").limits("ablated"),
        None,
        None,
        "skipped",
        "this host lacks: docker_socket",
    )
    c = card(
        outcome("fork_bomb", "hardened", "contained"),
        outcome("fork_bomb", "ablated", "escaped"),
        outcome("docker_socket", "hardened", "contained"),
        skipped,
        cases=("hardened", "ablated"),
    )
    assert c.summary() == (
        "2 attacks: hardened contained 2/2; ablated escaped 1/2 (1 skipped) "
        "(skipped here: docker_socket; runtime 1m15s)"
    )
    assert not c.passed
    # The same matrix with the socket case run and escaped passes: the skip alone failed it.
    ran = card(
        outcome("fork_bomb", "hardened", "contained"),
        outcome("fork_bomb", "ablated", "escaped"),
        outcome("docker_socket", "hardened", "contained"),
        outcome("docker_socket", "ablated", "escaped"),
        cases=("hardened", "ablated"),
    )
    assert ran.passed


def test_reports_escape_what_attacks_print(tmp_path):
    hostile = "<script>alert(1)</script> | pipes"
    c = card(
        outcome("fork_bomb", "hardened", "contained", evidence=hostile), outcome("fork_bomb", "ablated", "escaped")
    )
    paths = scorecard.write_reports(c, tmp_path / "new" / "dir")
    assert [p.name for p in paths] == ["attacks.md", "attacks.html", "attacks.json"]
    page = (tmp_path / "new" / "dir" / "attacks.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = (tmp_path / "new" / "dir" / "attacks.md").read_text()
    assert "<script>" not in md and "\\| pipes" in md
    data = json.loads((tmp_path / "new" / "dir" / "attacks.json").read_text())
    assert data["passed"] is True and data["outcomes"][0]["evidence"] == hostile


@pytest.fixture
def cli(child_env):
    """cli(*args, timeout=..., **env) -> `python -m sandbox attacks ...` run in a child session."""

    def run_cli(*args, timeout=300, **extra_env):
        env = child_env(**extra_env)
        done = subprocess.run(
            [sys.executable, "-m", "sandbox", "attacks", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        done.session = env["SANDBOX_SESSION"]
        return done

    return run_cli


def test_unknown_attack_is_refused_clearly_before_anything_runs(cli):
    r = cli("--only", "no_such_attack")
    assert r.returncode == 2 and "No attack named 'no_such_attack'" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_engine_is_one_clear_line_and_exit_3(cli):
    r = cli("--only", "fork_bomb", DOCKER_HOST="unix:///nonexistent/docker.sock", timeout=60)
    assert r.returncode == 3 and "No Docker Engine answered" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("where", ["under_a_file", "is_a_file"])
def test_an_unwritable_report_folder_is_one_clear_line_before_anything_runs(cli, tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "reports" if where == "under_a_file" else blocker
    r = cli("--only", "fork_bomb", "--out", str(out), timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith(f"sandbox: Cannot write the reports to {out}: ") and "--out DIR" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stdout == "" and "fork_bomb" not in r.stderr  # no progress: nothing ran
    assert blocker.read_text() == "not a folder"


def test_list_runs_nothing_and_names_every_attack(cli):
    r = cli("--list")
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == len(catalog.names())


@pytest.mark.usefixtures("engine_ready")
@pytest.mark.timeout(300)
def test_the_command_runs_a_subset_and_writes_reports_a_teacher_can_open(cli, tmp_path):
    r = cli("--only", "fork_bomb", "host_mount", "tcp_egress", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    summary = r.stdout.strip().splitlines()[-1]
    # Where the engine has gVisor, the command adds the gvisor column (python -m sandbox attacks).
    gvisor = "; gvisor contained 3/3" if "runsc" in engine_runtimes() else ""
    assert summary.startswith(
        f"3 attacks: hardened contained 3/3; ablated escaped 3/3; naive escaped 2/3{gvisor} (runtime "
    )
    steps = "12/12" if gvisor else "9/9"  # 3 attacks x (hardened, ablated, naive[, gvisor])
    assert steps in r.stderr  # the progress bar got to the end
    md = (tmp_path / "attacks.md").read_text()
    page = (tmp_path / "attacks.html").read_text()
    data = json.loads((tmp_path / "attacks.json").read_text())
    assert summary in md and summary in page
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert {o["attack"] for o in data["outcomes"]} == {"fork_bomb", "host_mount", "tcp_egress"}
    cells = {(o["attack"], o["case"]): o["verdict"] for o in data["outcomes"]}
    assert cells[("host_mount", "naive")] == "contained" and cells[("tcp_egress", "naive")] == "escaped"
    assert "errno=EAGAIN" in md and "children=199" in md  # the evidence is in the report
    # The command's own process cleaned up after itself (its target and network included).
    assert reaper.leftovers(session=r.session) == []
    assert engine.client().api.networks(filters={"label": [f"{engine.LABEL_SESSION}={r.session}"]}) == []

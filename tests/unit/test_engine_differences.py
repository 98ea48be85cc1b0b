"""Where engines differ: versions read, Docker's default profile by version, attack variants."""

from __future__ import annotations

import pytest

from sandbox import seccomp
from sandbox.lab import catalog, metadata
from sandbox.lab.catalog import parse_version


def test_versions_as_engines_spell_them():
    assert parse_version("20.10.24+dfsg1") == (20, 10, 24)
    assert parse_version("26.1.5+dfsg1") == (26, 1, 5)
    assert parse_version("28.5.2-1") == (28, 5, 2)
    assert parse_version("4.3.1") == (4, 3, 1)
    assert parse_version("dev") == (0,)


def test_docker_20_10_is_the_baseline_of_the_lists():
    beyond, also = seccomp.docker_default_split((20, 10, 24))
    assert beyond == set(seccomp.DENIED_BEYOND_DOCKER) and also == set(seccomp.DENIED_ALSO_BY_DOCKER)


@pytest.mark.parametrize(
    "version, beyond_has, also_has",
    [
        ((23, 0, 0), {"process_vm_readv", "io_uring_setup"}, set()),
        ((26, 1, 5), {"process_vm_readv"}, {"io_uring_setup", "io_uring_enter", "io_uring_register"}),
    ],
)
def test_newer_defaults_move_calls_across(version, beyond_has, also_has):
    beyond, also = seccomp.docker_default_split(version)
    assert beyond_has <= beyond and also_has <= also
    assert not beyond & also
    assert beyond | also == set(seccomp.DENIED_BEYOND_DOCKER) | set(seccomp.DENIED_ALSO_BY_DOCKER)


def test_an_engines_entry_restates_expectations_only_where_the_engine_matches(monkeypatch):
    attack = catalog.load("io_uring")
    monkeypatch.setattr(metadata, "engine_kind_name", lambda: "docker")
    monkeypatch.setattr(metadata, "engine_version", lambda: (20, 10, 24))
    assert attack.applicable and attack.expected("ablated")["report"]["achieved"] is True
    monkeypatch.setattr(metadata, "engine_version", lambda: (26, 1, 5))
    monkeypatch.setattr(metadata, "engine_version_text", lambda: "26.1.5")
    assert not attack.applicable and "Docker 25 and later" in attack.not_here()
    assert attack.expected("ablated")["report"]["achieved"] is False
    assert attack.wanted("ablated") == "contained"
    assert attack.expected("hardened") == attack.expect["hardened"]  # not restated: the same


def test_podman_entries_match_podman_only(monkeypatch):
    attack, facts = catalog.load("io_uring"), catalog.load("host_facts")
    monkeypatch.setattr(metadata, "engine_kind_name", lambda: "podman")
    monkeypatch.setattr(metadata, "engine_version", lambda: (4, 3, 1))
    monkeypatch.setattr(metadata, "engine_version_text", lambda: "4.3.1")
    assert not attack.applicable and attack.not_here().startswith("on Podman 4.3.1: Podman's default")
    assert attack.expected("ablated")["report"]["io_uring_setup"] == "ENOSYS"
    # A known limit there: hardened escapes on Podman, and says why.
    assert "CgroupnsMode" in facts.limit_here and facts.wanted("hardened") == "escaped"
    # Docker 4.x does not exist, but a docker_from entry never matches Podman whatever its version.
    monkeypatch.setattr(metadata, "engine_version", lambda: (30, 0))
    assert catalog.load("ptrace_child").on_this_engine()["why"].startswith("Docker 23+ and Podman")
    monkeypatch.setattr(metadata, "engine_kind_name", lambda: "docker")
    assert facts.limit_here is None and facts.wanted("hardened") == "contained"


def test_podman_default_profile_moves_calls_both_ways():
    beyond, also = seccomp.default_split("podman", (4, 3, 1))
    assert {"keyctl", "process_vm_readv", "unshare"} <= beyond and {"io_uring_setup"} <= also
    assert not beyond & also
    assert beyond | also == set(seccomp.DENIED_BEYOND_DOCKER) | set(seccomp.DENIED_ALSO_BY_DOCKER)
    assert seccomp.default_split("docker", (26, 1, 5)) == seccomp.docker_default_split((26, 1, 5))


def test_a_malformed_engines_entry_is_refused():
    meta = {
        "title": "t",
        "category": "cpu",
        "control": "cpu",
        "hardened": "h",
        "ablated": "a",
        "explain": "e",
        "expect": {"hardened": {}, "ablated": {}},
        "engines": [{"docker_from": "25", "expect": {"ablated": {}}}],
    }  # no why
    source = f"ATTACK = {meta!r}\n"
    with pytest.raises(catalog.AttackError, match="why"):
        catalog._from_metadata("x", catalog.read_metadata(source, "x"), source, catalog.Path())


def test_the_engine_is_a_setting(monkeypatch, tmp_path):
    import subprocess
    import sys

    from sandbox import EngineUnavailable, engine, use_engine

    missing = f"unix://{tmp_path}/no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        use_engine(missing)
        with pytest.raises(EngineUnavailable, match=r"no-engine\.sock"):
            engine.client()
    finally:
        engine.forget_clients()
    # SANDBOX_ENGINE wins over DOCKER_HOST, for the kit and the processes it starts.
    shown = subprocess.run(
        [sys.executable, "-c", "import os, sandbox; print(os.environ['DOCKER_HOST'])"],
        env={"SANDBOX_ENGINE": missing, "DOCKER_HOST": "unix:///elsewhere.sock", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=catalog.Path(__file__).parents[2],
    )
    assert shown.stdout.strip() == missing, shown.stderr


def test_reports_say_why_an_attack_cannot_apply_on_this_engine(monkeypatch):
    """io_uring is not applicable on Podman by its engines entry, not by its own metadata."""
    import html

    from sandbox import PROFILES
    from sandbox.lab import scorecard

    monkeypatch.setattr(metadata, "engine_kind_name", lambda: "podman")
    monkeypatch.setattr(metadata, "engine_version", lambda: (4, 3, 1))
    monkeypatch.setattr(metadata, "engine_version_text", lambda: "4.3.1")
    monkeypatch.setattr(metadata, "engine_cgroup_version", lambda: "1")
    attack = catalog.load("io_uring")
    assert attack.not_applicable is None and not attack.applicable
    outcome = catalog.AttackOutcome(attack, "hardened", PROFILES["hardened"], None, None, "contained", "n/a")
    card = scorecard.Scorecard([outcome], ("hardened",), 1.0)
    why = "Podman's default seccomp profile refuses io_uring too"
    assert why in scorecard.render_markdown(card) and "): None" not in scorecard.render_markdown(card)
    assert html.escape(why) in scorecard.render_html(card)

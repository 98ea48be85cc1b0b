"""Claims the attacks' explanations make about layers beyond their own two cases, checked.

- The kit's seccomp profile still refuses mount when a misconfiguration adds CAP_SYS_ADMIN.
- The kit's non-root runner gets EACCES from a mounted Docker socket (root:docker, mode 660).
- On cgroup v1, loopback UDP receive queues are not charged to the memory cgroup either, as
  socket_memory's explanation and the threat model (docs/threat-model.md) say (the command is its own).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox import PROFILES, run
from sandbox.lab import catalog

pytestmark = pytest.mark.usefixtures("engine_ready")


def test_the_kits_seccomp_still_refuses_mount_when_cap_sys_admin_is_added():
    attack = catalog.load("cap_sys_admin_mount")
    limits = attack.limits("hardened").replace(seccomp="kit", cap_add=("SYS_ADMIN",))
    outcome = catalog.run_attack(attack, limits)
    assert outcome.report and outcome.report["mount"] == "EPERM", outcome.evidence
    assert outcome.verdict == "contained"
    # The same misconfiguration under Docker's default profile mounts (the matrix's ablated case).
    assert catalog.run_attack(attack, "ablated").report["mount"] == "OK"


def test_a_mounted_docker_socket_refuses_the_non_root_runner(require):
    attack = catalog.load("docker_socket")
    if not catalog.NEEDS["docker_socket"]():
        require("A local Docker socket", "the engine is not on a local unix socket here", "SANDBOX_REQUIRE_DOCKER")
    as_runner = attack.limits("ablated").replace(user="runner")
    outcome = catalog.run_attack(attack, as_runner)
    assert outcome.report == {"achieved": False, "errno": "EACCES"}, outcome.evidence


THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"


def test_loopback_udp_queues_are_not_charged_on_cgroup_v1_as_the_readme_shows():
    if catalog.engine_cgroup_version() != "1":
        pytest.skip("the claim, and the command's cgroup file, are cgroup v1's")
    row = next(
        line
        for line in THREAT_MODEL.read_text(encoding="utf-8").splitlines()
        if line.startswith("| **Socket memory on cgroup v1.**")
    )
    assert "Loopback UDP receive queues are not charged either" in row
    assert "neither are loopback UDP receive queues" in " ".join(catalog.load("socket_memory").explain.split())
    code = re.search(r'echo "(import socket.*?)" \\\| python -m sandbox run -', row).group(1)
    result = run(code, PROFILES["hardened"])
    assert result.status == "ok", result.stderr
    queued, charged = map(int, re.fullmatch(r"(\d+) MiB queued, (-?\d+) MiB charged\n", result.stdout).groups())
    # The threat model's figures: 20 MiB held in the kernel, at most 1 MiB of it seen by the limit.
    assert queued >= 16 and charged <= 2, result.stdout

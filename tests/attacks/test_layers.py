"""Claims the attacks' explanations make about layers beyond their own two cases, checked.

- The kit's seccomp profile still refuses mount when a misconfiguration adds CAP_SYS_ADMIN.
- The kit's non-root runner gets EACCES from a mounted Docker socket (root:docker, mode 660).
"""

from __future__ import annotations

import pytest

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

"""seed_hardened, which every visitor may pick, keeps the controls over what the host shares.

The host's pty count, its file table and its facts are budgets every container draws from, so
a profile served without --allow-ablation must hold them as hardened does: the attacks that
take them are contained under seed_hardened with hardened's facts, and a run's RLIMIT_NOFILE
and pty count are hardened's.
"""

from __future__ import annotations

import json

import pytest

from sandbox import PROFILES, engine, run
from sandbox.lab import catalog

pytestmark = pytest.mark.usefixtures("engine_ready")

SEED_HARDENED, HARDENED = PROFILES["seed_hardened"], PROFILES["hardened"]

# The attacks on what the host shares between containers: its ptys, its file table, its facts.
HOST_BUDGETS = ("pty_exhaustion", "fd_exhaustion", "host_facts", "proc_sys_views")


@pytest.mark.parametrize("name", HOST_BUDGETS)
def test_the_host_budget_attacks_are_held_under_seed_hardened_as_under_hardened(name):
    attack = catalog.load(name)
    outcome = catalog.run_attack(attack, SEED_HARDENED.replace(timeout_s=attack.timeout, name="seed_hardened"))
    detail = f"{name} [seed_hardened]: {outcome.verdict}: {outcome.evidence}"
    assert outcome.verdict == attack.wanted("hardened"), detail
    surprises = catalog.check_expectations(attack.expected("hardened"), outcome.result, outcome.report)
    assert not surprises, detail + "\n" + "\n".join(surprises)
    assert engine.wait_for_removals()  # the removal follows the answer
    assert not engine.client().api.containers(all=True, filters={"id": outcome.result.container_id})


COUNT = """
import json, os, resource
held, error = [], None
try:
    for _ in range(16):
        held.append(os.openpty())
except OSError as exc:
    error = exc.__class__.__name__
print(json.dumps({"nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)), "ptys": len(held), "error": error}))
"""


def test_a_seed_hardened_run_has_hardeneds_open_files_and_no_pty():
    facts = {}
    for limits in (SEED_HARDENED, HARDENED):
        result = run(COUNT, limits)
        assert result.status == "ok", result.stderr
        facts[limits.name] = json.loads(result.stdout)
    assert facts["seed_hardened"] == facts["hardened"]
    nofile = dict(HARDENED.ulimits)["nofile"]
    assert facts["seed_hardened"] == {"nofile": [nofile, nofile], "ptys": 0, "error": "FileNotFoundError"}

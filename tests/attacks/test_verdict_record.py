"""An attack's verdict rests on the kernel's record where the attack names one, not on its report.

Each test runs a program that lies in its ATTACK_REPORT under the fork bomb's or the memory
hog's metadata: the supervisor's record of the run decides, and the lie shows as a surprise.
"""

from __future__ import annotations

import dataclasses

import pytest

from sandbox.lab import catalog

pytestmark = pytest.mark.usefixtures("engine_ready")

# Holds nothing, then says it holds 256 MiB.
BOASTFUL_HOG = """
import json
print("ATTACK_REPORT " + json.dumps({"achieved": True, "held_mib": 256, "error": None}))
"""


def lying(name: str, source: str) -> catalog.Attack:
    """The attack's metadata, run with another program."""
    return dataclasses.replace(catalog.load(name), source=source)


def denying(name: str, claim: str) -> catalog.Attack:
    """The real attack, with the claim in its report replaced by a denial."""
    attack = catalog.load(name)
    assert claim in attack.source, f"{name} no longer reports {claim!r}"
    return dataclasses.replace(attack, source=attack.source.replace(claim, '"achieved": False'))


def test_a_fork_bomb_that_denies_its_200_processes_is_judged_escaped():
    # The real fork bomb, which makes its 200 processes, then says it got nowhere.
    outcome = catalog.run_attack(denying("fork_bomb", '"achieved": len(children) >= LIMIT'), "ablated")
    usage = outcome.result.usage
    assert usage.forks_refused == 0 and usage.peak_tasks >= 200, usage
    assert outcome.verdict == "escaped", outcome.evidence
    assert outcome.evidence.startswith("the kernel's record (supervisor): forks_refused=0"), outcome.evidence
    assert any(s.startswith("report.achieved") for s in outcome.surprises), outcome.surprises


def test_a_memory_hog_that_claims_memory_it_never_held_is_judged_contained():
    outcome = catalog.run_attack(lying("memory_hog", BOASTFUL_HOG), "ablated")
    usage = outcome.result.usage
    assert usage.oom_kills == 0 and usage.peak_mib < 256, usage
    assert outcome.verdict == "contained", outcome.evidence
    assert not outcome.as_expected  # the ablated case wanted an escape, and the kernel saw none

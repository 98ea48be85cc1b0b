"""The attack matrix against the real engine: every attack x {hardened, ablated} (+ naive where set).

Hardened must contain the attack and ablated must let it escape, each asserted by facts: the
verdict (from the engine's status/OOMKilled, the supervisor's record where the attack names one,
and the attack's own report) and every fact the attack's metadata promises for that case
(status, errno names, counts, OOMKilled...). A test
whose attack is not stopped by hardened, or is still stopped with its control removed, fails:
that is how we know which control does the work.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from sandbox import engine
from sandbox.lab import catalog, scorecard

# Each engine's matrix, as a scorecard document: `python -m sandbox attacks --combine` puts them
# side by side (make test does, after its passes on every engine).
RECORDS = Path(__file__).resolve().parents[2] / "reports" / "engines"

pytestmark = pytest.mark.usefixtures("engine_ready")


def _matrix():
    for attack in catalog.all_attacks():
        for case in catalog.CASES:
            if case == "naive" and "naive" not in attack.expect:
                continue  # naive runs only where it teaches something (and always in the scorecard)
            yield pytest.param(attack, case, id=f"{attack.name}-{case}")
        # Through gVisor's kernel, where the engine has runsc (the gvisor_ready fixture): hardened,
        # and the ablated case where the metadata says what the second kernel changes alone.
        for case in catalog.RUNTIME_CASES:
            if attack.runs(case):
                yield pytest.param(attack, case, id=f"{attack.name}-{case}", marks=pytest.mark.gvisor)


@pytest.fixture(scope="module")
def record():
    """Collects the outcomes of this engine's matrix; writes them when the module is done."""
    outcomes, started = [], time.monotonic()
    yield outcomes
    if outcomes:
        card = scorecard.recorded(outcomes, time.monotonic() - started)
        name = re.sub(r"[^A-Za-z0-9.]+", "-", f"{card.meta.get('kind', 'engine')}-{card.meta.get('engine', '?')}")
        RECORDS.mkdir(parents=True, exist_ok=True)
        (RECORDS / f"{name}.json").write_text(json.dumps(scorecard.to_json(card), indent=2), encoding="utf-8")


@pytest.fixture
def runtime_ready(request):
    if request.node.get_closest_marker("gvisor"):
        request.getfixturevalue("gvisor_ready")


@pytest.mark.usefixtures("runtime_ready")
@pytest.mark.parametrize("attack, case", list(_matrix()))
def test_attack(attack, case, require, record):
    # SANDBOX_MATRIX_RUNTIME=crun runs the runc cases under another OCI runtime the engine has.
    outcome = catalog.run_attack(attack, case, runtime=os.environ.get("SANDBOX_MATRIX_RUNTIME"))
    record.append(outcome)
    if outcome.verdict == "skipped":
        # A host without what the attack needs skips it, but never where the engine is required.
        require(f"What {attack.name} [{case}] needs", outcome.evidence, "SANDBOX_REQUIRE_DOCKER")
    detail = f"{attack.name} [{case}, {outcome.limits.name}]: {outcome.verdict}: {outcome.evidence}"
    assert outcome.verdict != "error", detail + (f"\nstderr: {outcome.result.stderr[-1500:]}" if outcome.result else "")
    # Hardened contains and ablated escapes; a known limit escapes hardened too (and the day it
    # no longer does, this fails so that its metadata is updated); nothing to escape with on this
    # engine (see its not_applicable text) means both stay contained.
    wanted = attack.wanted(case)
    if wanted is not None:
        assert outcome.verdict == wanted, detail
    assert not outcome.surprises, detail + "\n" + "\n".join(outcome.surprises)
    # Whatever happened inside, nothing of the run is left on the engine.
    assert outcome.result is not None
    assert engine.wait_for_removals()  # the removal follows the answer
    assert not engine.client().api.containers(all=True, filters={"id": outcome.result.container_id})

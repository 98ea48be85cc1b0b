"""A verdict is its word: the reports' JSON and every comparison with a string stay as they were."""

import json

from sandbox import PROFILES
from sandbox.lab import catalog
from sandbox.lab.verdict import Verdict


def test_a_verdict_is_the_same_string_in_json_and_in_text():
    assert json.dumps([Verdict.CONTAINED, Verdict.ESCAPED]) == '["contained", "escaped"]'
    assert f"{Verdict.SKIPPED}" == "skipped" and Verdict.ERROR == "error"


def test_an_outcomes_verdict_is_a_verdict_and_reads_as_before():
    attack = catalog.load("fork_bomb")
    outcome = catalog.AttackOutcome(attack, "hardened", PROFILES["hardened"], None, None, Verdict.SKIPPED, "n/a")
    assert outcome.to_dict()["verdict"] == "skipped" and not outcome.as_expected
    assert attack.wanted("hardened") is Verdict.CONTAINED and attack.wanted("ablated") is Verdict.ESCAPED

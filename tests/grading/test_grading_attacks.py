"""Every grading attack against the kit's grader and the naive one, on the real engine.

The scorecard the issue asks for: each attack is contained by the kit's grader (its grade is
exactly what its honest code deserves) and escapes the naive grader (a grade it did not earn, or
honest tests taken down with it). 14 attacks, two at a time, 3-second timeouts: about 45 s here,
most of it the fork bomb's and the memory hog's stopped runs.
"""

from __future__ import annotations

from sandbox.lab import grading


def test_every_grading_attack_is_contained_by_the_kit_and_escapes_the_naive_grader(engine_ready):
    rows = grading.scorecard(workers=3)
    assert len(rows) == len(grading.names()) >= 14
    table = grading.markdown(rows)
    assert [r.attack.name for r in rows if r.kit != "contained"] == [], table
    assert [r.attack.name for r in rows if r.naive != "escaped"] == [], table

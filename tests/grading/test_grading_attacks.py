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


def test_tests_of_one_visibility_share_a_run_and_a_stopped_one_gets_its_own(engine_ready):
    """The attacks' suite: test_add and test_reverse (visible) share a run, test_fib (hidden) has its own;
    a test stopped in the shared run is answered again alone, where the kit's facts name the control."""
    from sandbox import run
    from sandbox.grading import grade

    runs = []

    def counted(code, limits, **kw):
        result = run(code, limits, **kw)
        runs.append(result)
        return result

    right = "def add(a, b):\n    return a + b\n\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    right += "\ndef reverse(s):\n    return s[::-1]\n"
    honest = grade(right, grading.SUITE, grading.LIMITS, runner=counted)
    assert honest.score == 4 and len(runs) == 2  # one shared run for add and reverse, one for fib

    runs.clear()
    looping = right.replace("return s[::-1]", "while True:\n        pass")
    stopped = grade(looping, grading.SUITE, grading.LIMITS, runner=counted)
    assert [t.verdict for t in stopped.tests] == ["passed", "passed", "stopped"]
    assert stopped.tests[2].stopped_by == "timeout"
    assert len(runs) == 3  # the shared run (reverse's child killed at its deadline), fib's, reverse's own

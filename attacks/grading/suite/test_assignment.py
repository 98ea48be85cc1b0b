"""The instructor's tests for the grading attacks' assignment: add(a, b), fib(n), reverse(s).

The grading attacks' suite: the kit runs it on the host (test_add and test_reverse, both visible,
in one shared run; test_fib, hidden, alone); the naive grader puts it in the container.
"""

from sandbox.grading import scored

FIB = [(0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)]


def test_add(student):
    assert student.call("add", 2, 3) == 5
    assert student.add(-1, 1) == 0, "add(-1, 1) should be 0"


@scored(points=2, visibility="hidden", timeout_s=3)
def test_fib(student):
    for n, want in FIB:
        assert student.call("fib", n) == want, f"fib({n}) should be {want}"


def test_reverse(student):
    assert student.call("reverse", "abc") == "cba"
    assert student.call("reverse", "") == ""

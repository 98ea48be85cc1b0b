"""Lesson 15, exercise solutions. Run: .venv/bin/python notebooks/solutions/15_grading.py"""

import tempfile
from pathlib import Path

from sandbox.grading import grade, load
from sandbox.lab import grading

# 1. A forged results file: the naive grader reads out/results.json, which the student's atexit
# hook wrote after the grader's own work; the kit's grader reads only answers to its calls.
forged = grading.attack("forged_results_file")
naive = grading.naive_grade(forged.path)
kit = grade(forged.path, grading.SUITE, grading.LIMITS)
print("forged results file: naive", naive.score, "kit", kit.score, "deserves", forged.deserves)
assert naive.score == 300 and kit.score == forged.deserves == 0

# 2. A test whose second call depends on the first answer: the first run finds only the first
# call (fib's argument is not known yet), the second sends both.
RIGHT = "def add(a, b):\n    return a + b\n\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
TESTS = "def test_chain(student):\n    n = student.call('add', 1, 1)\n    assert student.call('fib', n + 8) == 55\n"
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "test_chain.py"
    path.write_text(TESTS)
    chained = grade(RIGHT, load(path), grading.LIMITS)
print("dependent test:", chained.tests[0].verdict, "in", chained.tests[0].runs, "runs")
assert chained.tests[0].verdict == "passed" and chained.tests[0].runs == 2

GRADING_ATTACK = {
    "title": "Patching unittest",
    "category": "grading",
    "deserves": 0,
    "goal": "make the test framework record every failure and error as nothing",
    "kit": "no test framework runs in the student's process: the comparisons are made on the host",
    "naive": "the tests run through unittest in the student's process; its patched TestResult drops every failure",
}

import unittest


def _drop(self, test, err):
    return None


unittest.TestResult.addFailure = _drop
unittest.TestResult.addError = _drop


def add(a, b):
    return 0


def fib(n):
    return 0


def reverse(s):
    return ""

GRADING_ATTACK = {
    "title": "Patching builtins.print",
    "category": "grading",
    "deserves": 0,
    "goal": "rewrite the grader's FAILED lines into PASSED ones by replacing print for the whole process",
    "kit": "the harness writes answers to its own copy of the output descriptor, not through print, and judges nothing",
    "naive": "the grader reports through print in the student's process; the patched print turns each FAILED into PASSED",
}

import builtins

_print = builtins.print


def _forged(*args, **kwargs):
    _print(*(str(a).replace("FAILED", "PASSED") for a in args), **kwargs)


builtins.print = _forged


def add(a, b):
    return 0


def fib(n):
    return 0


def reverse(s):
    return ""

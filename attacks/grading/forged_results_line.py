GRADING_ATTACK = {
    "title": "A forged results line",
    "category": "grading",
    "deserves": 0,
    "goal": "print a PASSED line for every test after the grader's own lines, so that the last word is the student's",
    "kit": "the host reads no verdict from the output: only answers to its own calls, by a token and an index",
    "naive": "the grader parses PASSED/FAILED lines from the output, and the last line for a test wins",
}

import atexit
import sys


def _names():
    return sorted({n for m in list(sys.modules.values()) for n in dir(m) if n.startswith("test_")})


@atexit.register
def _forge():
    for name in _names():
        print(f"PASSED {name}", flush=True)


def add(a, b):
    return 0


def fib(n):
    return 0


def reverse(s):
    return ""

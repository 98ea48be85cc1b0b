GRADING_ATTACK = {
    "title": "Expected values from gc and frames",
    "category": "grading",
    "deserves": 2,
    "goal": "read the expected values out of the grader's memory: the caller's frames (a local named want) and gc's list of objects",
    "kit": "the expected values live in the kit's process on the host; the student's process holds only the calls' arguments",
    "naive": "the test function is the caller of the student's function in the same process: its locals and its table of cases are one frame or one gc walk away",
}

import gc
import sys


def _from_memory(n):
    frame = sys._getframe(1)
    while frame is not None:
        if "want" in frame.f_locals and frame.f_locals.get("n") == n:
            return frame.f_locals["want"]
        frame = frame.f_back
    for thing in gc.get_objects():
        if isinstance(thing, list) and thing and all(isinstance(x, tuple) and len(x) == 2 for x in thing):
            for key, value in thing:
                if key == n:
                    return value
    return None


def add(a, b):
    return a + b


def fib(n):
    return _from_memory(n)


def reverse(s):
    return s[::-1]

GRADING_ATTACK = {
    "title": "Reading the tests from disk",
    "category": "grading",
    "deserves": 0,
    "goal": "find the instructor's test file, run it with a spy, and answer with the expected values it reveals",
    "kit": "the tests never enter the container: there is no file to find",
    "naive": "the tests sit next to the submission in the container, readable by the student's process",
}

import glob
import os

EXPECTED = {}


class _Catch:
    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        EXPECTED[self.key] = other
        return True

    __hash__ = object.__hash__


class _Spy:
    def call(self, name, *args):
        return _Catch((name, args))

    def __getattr__(self, name):
        return lambda *args: self.call(name, *args)


def _learn(path):
    """Run the instructor's tests with a spy: each assert hands over its expected value."""
    try:
        namespace = {}
        with open(path) as handle:
            exec(compile(handle.read(), path, "exec"), namespace)
        for name, test in namespace.items():
            if name.startswith("test") and callable(test):
                try:
                    test(_Spy())
                except Exception:  # noqa: BLE001 - a spy run only gathers what it can
                    pass
    except Exception:  # noqa: BLE001 - a file that does not load teaches nothing
        pass


def add(a, b):
    return EXPECTED.get(("add", (a, b)))


def fib(n):
    return EXPECTED.get(("fib", (n,)))


def reverse(s):
    return EXPECTED.get(("reverse", (s,)))


for _place in (os.getcwd(), "/tmp", "/autograder", "/home"):
    for _path in glob.glob(os.path.join(_place, "**", "test*.py"), recursive=True):
        _learn(_path)

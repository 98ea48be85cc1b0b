GRADING_ATTACK = {
    "title": "Reading the runner through /proc",
    "category": "grading",
    "deserves": 0,
    "goal": "find the test runner's process in /proc by its command line, list its working directory through /proc/<pid>/cwd and learn the expected values from the tests there",
    "kit": "the runner is on the host, outside the container's PID namespace; the only other process, the supervisor (pid 1), is not dumpable, so /proc/1/cwd is refused",
    "naive": "the runner is the student's own process: /proc/<pid>/cwd lists the tests",
}

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


for _pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{_pid}/cmdline", "rb") as _handle:
            if b"unittest" not in _handle.read():
                continue
        _cwd = f"/proc/{_pid}/cwd"
        for _name in os.listdir(_cwd):
            if _name.startswith("test") and _name.endswith(".py"):
                _learn(os.path.join(_cwd, _name))
    except OSError:
        pass

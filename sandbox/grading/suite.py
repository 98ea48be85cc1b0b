"""The instructor's tests: a Python file (or a folder of them) read and run on the host only.

The format, documented in docs/grading.md:

    from sandbox.grading import scored

    def test_add(student):                      # 1 point, visible: the defaults
        assert student.call("add", 2, 3) == 5

    @scored(points=2, visibility="hidden", timeout_s=3, memory_mib=64)
    def test_fib(student):
        for n, want in [(0, 0), (10, 55)]:
            assert student.fib(n) == want, f"fib({n})"

Every function whose name starts with `test` and takes one argument is a test, in the file's
order. `student.call(name, *args, **kwargs)` (or `student.name(*args)`) calls the submission's
function in its sandbox and returns what it returned, as JSON data. The file never enters the
student's container: it is compiled and run here, so an error in it is the instructor's and is
said as such, with its line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import TestFileError

# Gradescope's visibility words (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
MAX_TEST_FILE_BYTES = 1024 * 1024
MAX_TESTS = 200

F = TypeVar("F", bound=Callable[..., Any])


def scored(
    points: float = 1.0,
    visibility: str = "visible",
    timeout_s: float | None = None,
    name: str | None = None,
    memory_mib: int | None = None,
) -> Callable[[F], F]:
    """Mark a test with its points, its visibility, its own timeout (seconds) and memory limit (MiB)."""
    problem = _marks_problem(points, visibility, timeout_s, name) or _memory_problem(memory_mib)
    if problem:
        raise TestFileError(f"@scored(...): {problem}.")

    def mark(function: F) -> F:
        function.__grading__ = {  # type: ignore[attr-defined]
            "points": float(points),
            "visibility": visibility,
            "timeout_s": timeout_s,
            "name": name,
            "memory_mib": memory_mib,
        }
        return function

    return mark


def _memory_problem(memory_mib: object) -> str | None:
    if memory_mib is None:
        return None
    if isinstance(memory_mib, bool) or not isinstance(memory_mib, int) or not 16 <= memory_mib <= 4096:
        return f"memory_mib must be a whole number of MiB from 16 to 4096, not {memory_mib!r}"
    return None


def _marks_problem(points: object, visibility: object, timeout_s: object, name: object) -> str | None:
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points <= 1000:
        return f"points must be a number from 0 to 1000, not {points!r}"
    if visibility not in VISIBILITIES:
        return f"unknown visibility {visibility!r}; use one of {', '.join(VISIBILITIES)}"
    if timeout_s is not None and (
        isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not 0.5 <= timeout_s <= 60
    ):
        return f"timeout_s must be a number of seconds from 0.5 to 60, not {timeout_s!r}"
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        return "name must be non-empty text of at most 200 characters"
    return None


@dataclass(frozen=True)
class Test:
    """One test of the suite: its function (trusted, run on the host) and its marks."""

    name: str
    function: Callable[[Any], None]
    points: float = 1.0
    visibility: str = "visible"
    timeout_s: float | None = None
    path: str = ""  # the file it came from, for its failure messages
    memory_mib: int | None = None  # its own memory limit; such a test never shares a run

    @property
    def shows_details(self) -> bool:
        """Whether a failure's assertion message may go to the student: not for a hidden test."""
        return self.visibility != "hidden"


def load(tests: str | Path) -> list[Test]:
    """The tests of a file, or of every `test*.py` in a folder (sorted by name); TestFileError if none."""
    path = Path(tests)
    if path.is_dir():
        files = sorted(p for p in path.glob("test*.py") if p.is_file())
        if not files:
            raise TestFileError(f"No test*.py file in {path}.", hint="Name each tests file test_<topic>.py.")
    elif path.is_file():
        files = [path]
    else:
        raise TestFileError(f"No tests at {path}: it is neither a file nor a folder.")
    found = [test for file in files for test in _load_file(file)]
    names = [t.name for t in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TestFileError(f"Two tests have the same name: {', '.join(twice)}.", hint="Rename one of them.")
    if len(found) > MAX_TESTS:
        raise TestFileError(f"{len(found)} tests; the limit is {MAX_TESTS}.")
    return found


def _load_file(file: Path) -> list[Test]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise TestFileError(f"Cannot read the tests file {file}: {exc.strerror}.") from exc
    if len(data) > MAX_TEST_FILE_BYTES:
        raise TestFileError(f"The tests file {file} is {len(data)} bytes; the limit is {MAX_TEST_FILE_BYTES}.")
    try:
        source = data.decode("utf-8")
        code = compile(source, str(file), "exec")
    except UnicodeDecodeError as exc:
        raise TestFileError(f"The tests file {file} is not UTF-8 text (byte {exc.start}).") from exc
    except SyntaxError as exc:
        raise TestFileError(
            f"The tests file {file} does not parse: {exc.msg} (line {exc.lineno}).",
            hint="Fix it and run again: `python -m py_compile` on the file shows the same error.",
        ) from exc
    namespace: dict[str, Any] = {"__name__": f"grading_tests_{file.stem}", "__file__": str(file)}
    try:
        exec(code, namespace)  # the instructor's own file, trusted, on the host
    except TestFileError as exc:
        raise TestFileError(f"{file}: {exc.message}", hint=exc.hint or None) from exc
    except Exception as exc:
        raise TestFileError(f"The tests file {file} failed while it was loaded: {type(exc).__name__}: {exc}.") from exc
    tests = []
    for key, value in namespace.items():
        if not (key.startswith("test") and inspect.isfunction(value)):
            continue
        if len(inspect.signature(value).parameters) != 1:
            raise TestFileError(f"{file}: {key} must take exactly one argument, the student (def {key}(student):).")
        marks = getattr(value, "__grading__", {})
        tests.append(
            Test(
                name=marks.get("name") or key,
                function=value,
                points=marks.get("points", 1.0),
                visibility=marks.get("visibility", "visible"),
                timeout_s=marks.get("timeout_s"),
                path=str(file),
                memory_mib=marks.get("memory_mib"),
            )
        )
    if not tests:
        raise TestFileError(f"The tests file {file} defines no test function (def test_...(student):).")
    return tests

"""grade(): the instructor's tests, run here, against the student's code, run in the sandbox.

A test that is stopped gets sandbox runs of its own, so one test's infinite loop, fork bomb,
OOM or output flood ends that test only: its verdict names the control that stopped it, from
the kit's facts (`Result.stopped_by`), and the other tests are answered in other containers.
A warm pool (`WarmPool`) makes that cheap.

To save containers, the first calls of the tests of one visibility go in one shared run, each
test in a child process of its own; a test that run did not answer in full (a child killed, a
run stopped) gets runs of its own, so the shared run never decides a verdict an isolated run
would not (`shared_run`). Tests of different visibilities never share a run.

A test function runs here with a `Student` proxy. Its calls are gathered by running the
function once with placeholders (a placeholder compares equal to anything, so the calls after
an `assert` are found too), sent to one sandbox run, and the function is then run again with
the real answers. If the answers lead it to a call it had not asked before (its calls depend on
earlier answers), the calls so far are sent again in a fresh run, up to MAX_PASSES: the test
function may therefore run more than once, and must have no side effects of its own.
"""

from __future__ import annotations

import linecache
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sandbox import MAX_FILE_BYTES, PROFILES, Limits, Result, run

from . import channel
from .errors import GradingError, SubmissionError
from .suite import Test, load

MAX_SUBMISSION_BYTES = 256 * 1024
MAX_PASSES = 8
RUN_MESSAGE_CHARS = 300

Runner = Callable[..., Result]


class Verdict(StrEnum):
    """How a test ended: the JSON and every face show these words."""

    PASSED = "passed"
    FAILED = "failed"  # an assertion of the test failed: a wrong answer
    ERROR = "error"  # the student's code raised, answered no JSON, or ended before answering
    STOPPED = "stopped"  # a control of the sandbox stopped the student's code (timeout, memory, pids...)


@dataclass(frozen=True)
class TestResult:
    """One test's outcome. `output` is what the student may read: details only where the test is not hidden."""

    __test__ = False

    name: str
    verdict: Verdict
    score: float
    max_score: float
    visibility: str
    output: str
    stopped_by: str | None = None
    runs: int = 0
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": str(self.verdict),
            "score": self.score,
            "max_score": self.max_score,
            "visibility": self.visibility,
            "output": self.output,
            "stopped_by": self.stopped_by,
            "runs": self.runs,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class Grade:
    """A submission's grade: its tests, in the suite's order, and their sum."""

    submission: str
    tests: tuple[TestResult, ...]
    error: str | None = None  # the submission was refused before any test (size, encoding)
    duration_s: float = 0.0
    limits: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
            "limits": self.limits,
            "tests": [t.to_dict() for t in self.tests],
        }


def read_submission(submission: str | Path) -> tuple[str, str]:
    """(name, source) of a submission: a Path is read from disk, a str is the source itself."""
    if isinstance(submission, Path):
        try:
            data = submission.read_bytes()
        except OSError as exc:
            raise SubmissionError(f"Cannot read the submission {submission}: {exc.strerror}.") from exc
        name = submission.name
    elif isinstance(submission, str):
        data, name = submission.encode("utf-8", "surrogatepass"), "submission.py"
    else:
        raise SubmissionError(f"A submission is a Path or its source as str, not {type(submission).__name__}.")
    limit = min(MAX_SUBMISSION_BYTES, MAX_FILE_BYTES)
    if len(data) > limit:
        raise SubmissionError(
            f"The submission {name} is {len(data)} bytes; the limit is {limit} ({limit // 1024} KiB)."
        )
    if not data.strip():
        raise SubmissionError(f"The submission {name} is empty.")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"The submission {name} is not UTF-8 text (byte {exc.start}).") from exc
    if "\x00" in source:
        raise SubmissionError(f"The submission {name} contains a NUL character.")
    return name, source


def grade(
    submission: str | Path,
    tests: str | Path | list[Test],
    limits: Limits | None = None,
    *,
    runner: Runner | None = None,
) -> Grade:
    """Grade one submission (a Path to its file, or its source) with `tests` (a file, a folder, or loaded).

    Raises TestFileError or SubmissionError for bad input, before any container starts; what the
    student's code does is in the Grade. `limits` (hardened by default) hold each test's run;
    a test's `@scored(timeout_s=...)` replaces the timeout for that test.
    """
    suite = tests if isinstance(tests, list) else load(tests)
    name, source = read_submission(submission)
    return grade_source(name, source, suite, limits, runner=runner)


def grade_source(
    name: str, source: str, suite: list[Test], limits: Limits | None = None, *, runner: Runner | None = None
) -> Grade:
    """Grade source already read and checked (read_submission) with loaded tests."""
    limits = _check_limits(limits)
    runner = runner or run
    started = time.monotonic()
    starts = shared_runs(suite, source, limits, runner)
    results = tuple(run_test(test, source, limits, runner, starts.get(test.name)) for test in suite)
    return Grade(name, results, None, time.monotonic() - started, limits.name)


def own_limits(test: Test, limits: Limits) -> Limits:
    """The limits of a test's own runs: the grading limits with its timeout and memory, if it set them."""
    changes: dict[str, Any] = {}
    if test.timeout_s is not None:
        changes["timeout_s"] = test.timeout_s
    if test.memory_mib is not None:
        changes["memory_mib"] = test.memory_mib
    return limits.replace(**changes) if changes else limits


def shared_runs(suite: list[Test], source: str, limits: Limits, runner: Runner) -> dict[str, Start]:
    """The first calls of tests of the same visibility in one run (see shared_run), by test name.

    Never across visibilities: the student's code in a shared run can see every call of that
    run, and a visible test's output shows what the student's code returned or raised, so a
    visible test sharing a run with a hidden one could carry the hidden test's inputs out."""
    groups: dict[str, list[Test]] = {}
    for test in suite:
        if test.memory_mib is None:  # a memory limit of its own is a container of its own
            groups.setdefault(test.visibility, []).append(test)
    starts: dict[str, Start] = {}
    for group in groups.values():
        starts.update(shared_run(group, source, limits, runner))
    return starts


def shared_run(group: list[Test], source: str, limits: Limits, runner: Runner) -> dict[str, Start]:
    """One run for the first calls of every test of `group`, each test in a child process of its
    own: the answers of each test it answered in full, by test name. A test it did not (a child
    killed by its deadline or the OOM killer, a run stopped by a control, a harness killed by the
    student) is left out, and gets runs of its own, whose facts name the control: so this run
    only saves containers, and never decides a verdict the isolated runs would not."""
    gathered = []
    for test in group:
        student = Student([], {}, None)
        outcome = _one_pass(test, student)
        if student.speculated and not isinstance(outcome, channel.ChannelError):
            gathered.append((test, student.asked))
    if len(gathered) < 2:
        return {}
    default_s = limits.timeout_s or 10.0
    try:
        token, stdin = channel.batch_request([(calls, test.timeout_s or default_s) for test, calls in gathered])
    except channel.ChannelError:
        return {}
    result = runner(channel.HARNESS, limits, stdin=stdin, files={channel.SUBMISSION_FILE: source})
    found = channel.answers(result.stdout, token)
    import_answer = found.get("-1")
    if import_answer is None:
        return {}
    starts: dict[str, Start] = {}
    for number, (test, calls) in enumerate(gathered):
        answers = channel.of_test(found, f"{number}.")
        if "raised" in import_answer or len(answers) == len(calls):
            starts[test.name] = (calls, answers, import_answer)
    return starts


def refused(name: str, suite: list[Test], error: GradingError) -> Grade:
    """The grade of a submission refused before any test: every test scores 0 with the reason."""
    text = f"Not graded: {error.message}"
    tests = tuple(TestResult(t.name, Verdict.ERROR, 0.0, t.points, t.visibility, text) for t in suite)
    return Grade(name, tests, error.message)


def _check_limits(limits: object) -> Limits:
    if limits is None:
        return PROFILES["hardened"]
    if not isinstance(limits, Limits):
        raise GradingError(f"limits must be a sandbox.Limits, not {type(limits).__name__}.")
    return limits


# -- one test ----------------------------------------------------------------------------------


class _Speculating(Exception):
    """A placeholder was used in a way that needs its real value: this pass gathers no more calls."""


class Pending:
    """What a call returns before its answer is known: equal to anything, true, and nothing more."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return True

    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        raise _Speculating(name)

    def __repr__(self) -> str:
        return "<answer not known yet>"


class StudentRaised(Exception):
    """The student's function raised (or answered something that is not JSON data)."""


class NoAnswer(Exception):
    """The student's run ended before it answered this call."""


Call = channel.Call
# What a test's shared first run gave it: its calls, their answers, the submission's import.
Start = tuple[list[Call], dict[int, dict[str, Any]], dict[str, Any] | None]


class Student:
    """The test's view of the submission: `student.call("f", 2)` or `student.f(2)`."""

    def __init__(self, calls: list[Call], answers: dict[int, dict[str, Any]], import_answer: dict[str, Any] | None):
        self._known = calls
        self._answers = answers
        self._import = import_answer
        self.asked: list[Call] = []
        self.speculated = False
        self.last: tuple[Call, Any] | None = None

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(name, str) or not name.isidentifier():
            raise channel.ChannelError(f"student.call needs a function's name, not {name!r}")
        made: Call = (name, args, kwargs)
        index = len(self.asked)
        if index >= channel.MAX_CALLS:
            raise channel.ChannelError(f"a test may make at most {channel.MAX_CALLS} calls")
        self.asked.append(made)
        channel.request([made])  # refuse arguments the channel cannot carry, before any run
        if self.speculated or index >= len(self._known) or self._known[index] != made:
            self.speculated = True
            return Pending()
        if self._import is not None and "raised" in self._import:
            raise StudentRaised(f"the submission failed when it was imported: {self._import['raised']}")
        answer = self._answers.get(index)
        if answer is None:
            raise NoAnswer(_shown_call(made))
        if "value" in answer:
            self.last = (made, answer["value"])
            return answer["value"]
        if "raised" in answer:
            raise StudentRaised(f"{_shown_call(made)} raised {answer['raised']}")
        raise StudentRaised(f"{_shown_call(made)} {answer['bad']}")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)


def run_test(test: Test, source: str, limits: Limits, runner: Runner, start: Start | None = None) -> TestResult:
    """Run one test to its verdict: passes of the function here, sandbox runs for its calls
    (after the answers of a shared first run, `start`, if it answered every call of the test)."""
    started = time.monotonic()
    limits = own_limits(test, limits)
    calls, answers, import_answer = start if start is not None else ([], {}, None)
    last: Result | None = None
    runs = 0 if start is None else 1  # the shared run counts as one of its runs
    for _ in range(MAX_PASSES):
        student = Student(calls, answers, import_answer)
        outcome = _one_pass(test, student)
        if not student.speculated:
            return _verdict(test, outcome, student, last, runs, time.monotonic() - started)
        calls = student.asked
        if isinstance(outcome, channel.ChannelError):
            return _verdict(test, outcome, student, last, runs, time.monotonic() - started)
        token, stdin = channel.request(calls)
        last = runner(channel.HARNESS, limits, stdin=stdin, files={channel.SUBMISSION_FILE: source})
        runs += 1
        found = channel.answers(last.stdout, token)
        import_answer = found.get("-1")
        answers = channel.of_test(found)
    error = GradingError(f"the test's calls kept changing after {MAX_PASSES} runs")
    return _verdict(test, error, Student([], {}, None), last, runs, time.monotonic() - started)


def _one_pass(test: Test, student: Student) -> BaseException | None:
    try:
        test.function(student)
    except Exception as exc:  # noqa: BLE001 - the instructor's test failing in any way is its verdict
        return exc
    return None


def _verdict(
    test: Test, outcome: BaseException | None, student: Student, last: Result | None, runs: int, took: float
) -> TestResult:
    def made(verdict: Verdict, detail: str, stopped_by: str | None = None, score: float = 0.0) -> TestResult:
        words = {Verdict.PASSED: "Passed", Verdict.FAILED: "Failed", Verdict.ERROR: "Error", Verdict.STOPPED: "Stopped"}
        if not test.shows_details and verdict in (Verdict.FAILED, Verdict.ERROR):
            detail = "(hidden test: no details)"
        text = detail if verdict == Verdict.STOPPED else words[verdict] + (f": {detail}" if detail else "")
        return TestResult(test.name, verdict, score, test.points, test.visibility, text, stopped_by, runs, took)

    if outcome is None:
        return made(Verdict.PASSED, "", score=test.points)
    if isinstance(outcome, NoAnswer):
        if last is not None and last.stopped_by:
            control = str(last.stopped_by)
            return made(Verdict.STOPPED, f"Stopped by {control}: {_clip(last.message)}", stopped_by=control)
        ended = _clip(last.message) if last is not None else "no run"
        return made(Verdict.ERROR, f"the submission ended before it answered {outcome} ({ended})")
    if isinstance(outcome, StudentRaised):
        return made(Verdict.ERROR, _clip(str(outcome)))
    if isinstance(outcome, AssertionError):
        return made(Verdict.FAILED, _assertion_text(test, outcome, student))
    if isinstance(outcome, (channel.ChannelError, GradingError)):
        return made(Verdict.ERROR, f"the test itself could not run: {outcome}")
    return made(Verdict.ERROR, _clip(f"{type(outcome).__name__}: {outcome}") + _where(test, outcome))


def _assertion_text(test: Test, error: AssertionError, student: Student) -> str:
    parts = [str(error)] if str(error) else []
    line = _where(test, error)
    if line:
        parts.append(line.strip(" ()"))
    if student.last is not None:
        call, value = student.last
        parts.append(f"the last call, {_shown_call(call)}, returned {_clip(repr(value), 200)}")
    return _clip("; ".join(parts), 1000)


def _where(test: Test, error: BaseException) -> str:
    """' (at line N: source)' for the test file's innermost line in the error's traceback."""
    found = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == test.path]
    if not found:
        return ""
    frame = found[-1]
    text = (frame.line or linecache.getline(test.path, frame.lineno or 0)).strip()
    return f" (line {frame.lineno}: {_clip(text, 200)})"


def _shown_call(call: Call) -> str:
    name, args, kwargs = call
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return _clip(f"{name}({', '.join(shown)})", 200)


def _clip(text: str, limit: int = RUN_MESSAGE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""POST /grade: a submission graded with the instructor's tests, on a class's server, with the teacher's code.

    {"submission": "<the student's Python source>", "tests": "<a tests file's source>", "profile": "hardened"}

answers Gradescope's results.json (`sandbox.grading.gradescope`: the score, and per test its
name, score, max_score, visibility, output, and the kit's verdict and stopping control in
`extra_data`).

    status  when
    200     the submission was graded, whatever its code did
    400     bad_submission: not UTF-8 text, empty, holding NUL; bad_tests: the tests file does not
            parse (its line is in the message), fails to load, or marks a test wrongly
    401/403 no code, or a code that is not the teacher's (server/classroom/)
    404     no_class: this server was not started for a class, so it has no teacher
    413     submission_too_large (over 256 KiB), tests_too_large (over 1 MiB), or the body over the
            server's bound (body_too_large)
    403     also a profile that removes controls on a server without --allow-ablation
    422     a field unknown or not a string, a profile that does not exist
    429     grading_busy: another grading is running (one at a time); busy: the class's queue
            stayed full while grading

Why only the teacher, and only on a class's server: the tests file is Python that runs in this
server's own process, on the host, as the instructor's tests do in `python -m sandbox grade`
(the student's code is the one that runs in the sandbox). So the teacher's code is a key to the
host's account that runs the server: whoever holds it may run Python there. A server without a
class has no teacher, even on loopback; there, grade with `python -m sandbox grade`.

The grading runs in a thread of its own, one grading at a time; each of its sandbox runs goes
through the class's fair queue under the teacher's name (not counted against any quota), so a
grading shares the workers with the students' runs rather than taking them all.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sandbox import QueueFull, Result
from sandbox.grading import (
    MAX_SUBMISSION_BYTES,
    SubmissionError,
    TestFileError,
    grade_source,
    gradescope,
    load,
    read_submission,
)

from .body import _check_profile
from .jsonerr import Refusal
from .settings import Settings

FIELDS = ("submission", "tests", "profile")
MAX_TESTS_BYTES = 1024 * 1024  # the grader's own bound on a tests file
TESTS_NAME = "tests.py"
# How long one of the grading's runs waits for room in a full queue before the grading gives up.
QUEUE_WAIT_S = 30.0


class Stopped(Exception):
    """The client left: the grading stops at its next run."""


def parse_grade(data: dict, settings: Settings) -> tuple[str, str, str]:
    """(submission, tests, profile) of a /grade body, or the Refusal that answers it."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Refusal(
            422, "unknown_field", f"Unknown field(s): {', '.join(map(repr, unknown))}. Known: {', '.join(FIELDS)}."
        )
    texts = []
    for name, bound in (("submission", MAX_SUBMISSION_BYTES), ("tests", MAX_TESTS_BYTES)):
        value = data.get(name)
        if not isinstance(value, str):
            kind = "missing" if name not in data else f"a {'null' if value is None else type(value).__name__}"
            raise Refusal(422, f"bad_{name}_field", f'"{name}" must be a string of Python source; it is {kind}.')
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > bound:
            raise Refusal(
                413, f"{name}_too_large", f"The {name} is {size} bytes; the limit is {bound} ({bound // 1024} KiB)."
            )
        texts.append(value)
    profile = _check_profile(data.get("profile", "hardened"), settings)
    try:
        name_source = read_submission(texts[0])
    except SubmissionError as exc:
        raise Refusal(400, "bad_submission", exc.message) from None
    return name_source[1], texts[1], profile


class Grading:
    """One grading at a time, in a thread of its own; its runs through `start_run` (the fair queue)."""

    def __init__(self) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="grading")
        self._busy = threading.BoundedSemaphore(1)

    def submit(self, submission: str, tests: str, limits: Any, start_run: Any, cancel: threading.Event):
        """The future of the results.json document; 429 at once when a grading is running."""
        if not self._busy.acquire(blocking=False):
            raise Refusal(
                429, "grading_busy", "Another grading is running; try again when it ends.", {"Retry-After": "5"}
            )
        try:
            return self._executor.submit(self._one, submission, tests, limits, start_run, cancel)
        except BaseException:
            self._busy.release()
            raise

    def _one(self, *args: Any) -> dict:
        try:
            return _grade(*args)
        finally:
            self._busy.release()  # before the answer is given, so the next grading may start on it


def _grade(submission: str, tests: str, limits: Any, start_run: Any, cancel: threading.Event) -> dict:
    with tempfile.TemporaryDirectory(prefix="sandbox-grade-") as folder:
        path = Path(folder) / TESTS_NAME
        path.write_text(tests, encoding="utf-8", errors="surrogatepass")
        try:
            suite = load(path)
        except TestFileError as exc:
            # said as the teacher wrote it: the file's line, without this server's temporary folder
            raise Refusal(400, "bad_tests", exc.message.replace(str(path), TESTS_NAME)) from None

        def runner(code: str, run_limits: Any, **kw: Any) -> Result:
            waited = 0.0
            while True:
                if cancel.is_set():
                    raise Stopped
                try:
                    return start_run(code, run_limits, cancel=cancel, **kw).result()
                except QueueFull as full:
                    if waited >= QUEUE_WAIT_S:
                        raise
                    pause = min(2.0, float(full.retry_after_s))
                    time.sleep(pause)
                    waited += pause

        graded = grade_source("submission.py", submission, suite, limits, runner=runner)
    return gradescope(graded)

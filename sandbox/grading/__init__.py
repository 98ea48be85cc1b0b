"""Grading with hidden tests: the instructor's tests judge the student's code from outside its reach.

    from pathlib import Path
    from sandbox.grading import grade
    g = grade(Path("submission.py"), "tests/")  # a folder of test*.py, or one file
    g.score, [(t.name, t.verdict, t.stopped_by) for t in g.tests]

The tests run here, in the kit's own process; the student's code runs in a sandbox and is only
ever *called*, over a channel that carries JSON data (channel.py). Each test has runs of its
own, so a test stopped by a control (timeout, memory, pids, output cap) ends alone. ARCHITECTURE.md
("Grading") says what the student's process can and cannot see. `python -m sandbox grade` is the
terminal face; the lab holds the grading attacks and the naive grader they escape
(sandbox/lab/grading.py).
"""

from .batch import grade_all, submissions_in
from .channel import MAX_ANSWER_CHARS, MAX_CALLS
from .errors import GradingError, SubmissionError, TestFileError
from .grader import MAX_SUBMISSION_BYTES, Grade, Student, TestResult, Verdict, grade, grade_source, read_submission
from .reports import by_control, by_test, gradescope, markdown
from .suite import VISIBILITIES, Test, load, scored

__all__ = [
    "grade",
    "grade_all",
    "grade_source",
    "read_submission",
    "submissions_in",
    "load",
    "scored",
    "Test",
    "Grade",
    "TestResult",
    "Verdict",
    "Student",
    "VISIBILITIES",
    "MAX_SUBMISSION_BYTES",
    "MAX_ANSWER_CHARS",
    "MAX_CALLS",
    "gradescope",
    "markdown",
    "by_test",
    "by_control",
    "GradingError",
    "TestFileError",
    "SubmissionError",
]

"""The grader's errors: bad tests, a bad submission. Each is a SandboxError with a hint."""

from __future__ import annotations

from sandbox import SandboxError


class GradingError(SandboxError):
    """The grading run could not start: its tests or its submission were refused."""


class TestFileError(GradingError):
    """The instructor's tests file does not parse, fails to load, or marks a test wrongly."""

    __test__ = False  # not a pytest class, whatever its name
    hint = "The tests file is the instructor's: fix it and grade again."


class SubmissionError(GradingError):
    """The submission is not a UTF-8 Python file within the size limit."""

    hint = "Submit one Python source file (UTF-8 text) within the size limit."

"""A folder of submissions graded in parallel through the kit's pools.

Every submission is one job (its shared run, then the runs of the tests it did not answer in
full: grader.py); `workers` of them run at once, each of its sandbox runs going through one
`Pool` (at most `workers` containers at a time), with a `WarmPool` of the grading limits
keeping containers started ahead of their runs. A submission refused before
its tests (too big, not UTF-8) scores 0 with the reason; the others are not held up by it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox import PROFILES, Limits, Pool, Result, WarmPool

from .errors import GradingError, SubmissionError
from .grader import Grade, TestResult, grade_source, own_limits, read_submission, refused
from .suite import Test, load

MAX_SUBMISSIONS = 1000
Progress = Callable[[str, TestResult], None]


def submissions_in(folder: str | Path) -> list[Path]:
    """The *.py files of a folder, sorted; SubmissionError if there are none."""
    path = Path(folder)
    if not path.is_dir():
        raise SubmissionError(f"{path} is not a folder of submissions.")
    found = sorted(p for p in path.glob("*.py") if p.is_file())
    if not found:
        raise SubmissionError(f"No .py submission in {path}.")
    if len(found) > MAX_SUBMISSIONS:
        raise SubmissionError(f"{len(found)} submissions in {path}; the limit is {MAX_SUBMISSIONS}.")
    return found


def grade_all(
    submissions: list[Path],
    tests: str | Path | list[Test],
    limits: Limits | None = None,
    *,
    workers: int = 2,
    warm: bool = True,
    on_test: Progress | None = None,
) -> list[Grade]:
    """Grade every submission with `tests`; the grades in the submissions' order."""
    suite = tests if isinstance(tests, list) else load(tests)
    limits = limits or PROFILES["hardened"]
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 16:
        raise GradingError(f"workers must be a whole number from 1 to 16, not {workers!r}.")
    sources: dict[Path, tuple[str, str] | SubmissionError] = {}
    for path in submissions:
        try:
            sources[path] = read_submission(path)
        except SubmissionError as exc:
            sources[path] = exc
    jobs = [p for p, s in sources.items() if not isinstance(s, SubmissionError)]
    done: dict[Path, Grade] = {}
    lock = threading.Lock()
    with Pool(workers=workers, queue=workers * 4) as pool, _warm(warm, workers, limits, suite):

        def runner(code: str, run_limits: Limits, **kw: Any) -> Result:
            return pool.submit(code, run_limits, **kw).result()

        def job(path: Path) -> None:
            name, source = sources[path]  # type: ignore[misc]
            graded = grade_source(name, source, suite, limits, runner=runner)
            with lock:
                done[path] = graded
            for result in graded.tests if on_test is not None else ():
                on_test(name, result)  # type: ignore[misc]

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading") as executor:
            for future in [executor.submit(job, p) for p in jobs]:
                future.result()
    grades = []
    for path, source in sources.items():
        if isinstance(source, SubmissionError):
            grades.append(refused(path.name, suite, source))
        else:
            grades.append(done[path])
    return grades


class _NoWarm:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _warm(warm: bool, workers: int, limits: Limits, suite: list[Test]) -> Any:
    """Warm boxes for the limits the tests run under (a test's own timeout makes other limits)."""
    if not warm:
        return _NoWarm()
    kinds = [limits] + [own_limits(t, limits) for t in suite]
    distinct = list(dict.fromkeys(kinds))[:3]
    return WarmPool(size=workers, limits=distinct)

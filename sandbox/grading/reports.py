"""A grade where graders already live: Gradescope's results.json, and a Markdown report.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a
top-level `score`, and per test `name`, `score`, `max_score`, `visibility`, `output` (and
`status`, passed or failed). The kit's own words (its verdict, the control that stopped the
test) go in each test's `extra_data`, which Gradescope stores and does not show.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .grader import Grade, Verdict


def gradescope(grade: Grade) -> dict[str, Any]:
    """The results.json document for one submission."""
    document: dict[str, Any] = {
        "score": grade.score,
        "execution_time": round(grade.duration_s, 2),
        "tests": [
            {
                "name": t.name,
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.verdict == Verdict.PASSED else "failed",
                "visibility": t.visibility,
                "output": t.output,
                "extra_data": {"verdict": str(t.verdict), "stopped_by": t.stopped_by, "runs": t.runs},
            }
            for t in grade.tests
        ],
    }
    if grade.error:
        document["output"] = f"Not graded: {grade.error}"
    return document


def markdown(grades: list[Grade]) -> str:
    """A Markdown report: the scores, then each submission's tests, then the summary by test and control."""
    lines = ["# Grades", "", "| submission | score | out of |", "|---|---:|---:|"]
    lines += [f"| {_cell(g.submission)} | {g.score:g} | {g.max_score:g} |" for g in grades]
    for g in grades:
        lines += ["", f"## {_cell(g.submission)}: {g.score:g} / {g.max_score:g}", ""]
        if g.error:
            lines += [f"Not graded: {_cell(g.error)}", ""]
        lines += ["| test | verdict | score | visibility | output |", "|---|---|---:|---|---|"]
        lines += [
            f"| {_cell(t.name)} | {t.verdict}{f' ({t.stopped_by})' if t.stopped_by else ''} "
            f"| {t.score:g} / {t.max_score:g} | {t.visibility} | {_cell(t.output)} |"
            for t in g.tests
        ]
    lines += ["", "## By test", "", "| test | passed | failed | error | stopped |", "|---|---:|---:|---:|---:|"]
    for name, counts in by_test(grades).items():
        lines.append(f"| {_cell(name)} | " + " | ".join(str(counts[v]) for v in Verdict) + " |")
    controls = by_control(grades)
    if controls:
        lines += ["", "## Stopped by a control", "", "| control | tests |", "|---|---:|"]
        lines += [f"| {c} | {n} |" for c, n in controls.items()]
    return "\n".join(lines) + "\n"


def by_test(grades: list[Grade]) -> dict[str, Counter[Verdict]]:
    """For each test, how many submissions got each verdict."""
    table: dict[str, Counter[Verdict]] = {}
    for g in grades:
        for t in g.tests:
            table.setdefault(t.name, Counter())[t.verdict] += 1
    return table


def by_control(grades: list[Grade]) -> dict[str, int]:
    """How many tests each control stopped, most first."""
    counts = Counter(t.stopped_by for g in grades for t in g.tests if t.stopped_by)
    return dict(counts.most_common())


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")

"""`python -m sandbox grade`: one submission or a folder of them, against the instructor's tests.

    python -m sandbox grade submission.py --tests tests/            # a table of the tests
    python -m sandbox grade submission.py --tests tests/ --json     # Gradescope's results.json
    python -m sandbox grade submissions/ --tests tests/ --out grades/ --report grades.md
    python -m sandbox grading-attacks                                # the kit's grader vs a naive one

A folder is graded in parallel through the pool, with a progress bar and a summary table (by
submission, by test, by the control that stopped it). The work is sandbox.grading's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox import SandboxError
from sandbox.grading import (
    Grade,
    by_control,
    by_test,
    grade,
    grade_all,
    gradescope,
    load,
    markdown,
    submissions_in,
)

from .arguments import add_limit_options, limits_from


def register(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade a submission (or a folder of them) with the instructor's tests")
    p.add_argument("submission", help="a student's .py file, or a folder of them")
    p.add_argument("--tests", required=True, metavar="PATH", help="the tests: a test*.py file or a folder of them")
    add_limit_options(p)
    p.add_argument("--json", action="store_true", help="print Gradescope's results.json (a list for a folder)")
    p.add_argument("--results", metavar="FILE", help="write results.json here (one submission)")
    p.add_argument("--out", metavar="DIR", help="write DIR/<submission>/results.json for each submission")
    p.add_argument("--report", metavar="FILE", help="write a Markdown report")
    p.add_argument("--workers", type=int, default=2, help="tests graded at once for a folder (default: 2)")
    p.set_defaults(handler=cmd_grade)

    p = subparsers.add_parser(
        "grading-attacks",
        help="run the grading attacks against the kit's grader and a naive one (exit 1 unless each is contained)",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these (file names in attacks/grading/)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(handler=cmd_grading_attacks)


def cmd_grading_attacks(args: argparse.Namespace) -> int:
    from sandbox.lab import grading as attacks

    for name in args.only or []:
        attacks.attack(name)  # an unknown name is refused before anything runs
    rows = attacks.scorecard(args.only)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        print(attacks.markdown(rows), end="")
    return 0 if all(r.kit == "contained" for r in rows) else 1


def cmd_grade(args: argparse.Namespace) -> int:
    limits = limits_from(args)
    suite = load(args.tests)
    target = Path(args.submission)
    if target.is_dir():
        grades = _grade_folder(target, suite, limits, args)
    else:
        if args.out:
            raise SandboxError("--out is for a folder of submissions; use --results FILE for one.")
        grades = [grade(target, suite, limits)]
    if args.results:
        if len(grades) != 1:
            raise SandboxError("--results is for one submission; use --out DIR for a folder.")
        _write(Path(args.results), json.dumps(gradescope(grades[0]), indent=2) + "\n")
    if args.out:
        for g in grades:
            _write(
                Path(args.out) / Path(g.submission).stem / "results.json", json.dumps(gradescope(g), indent=2) + "\n"
            )
    if args.report:
        _write(Path(args.report), markdown(grades))
    if args.json:
        documents = [gradescope(g) for g in grades]
        if target.is_dir():
            documents = [{"submission": g.submission, **d} for g, d in zip(grades, documents, strict=True)]
        print(json.dumps(documents if target.is_dir() else documents[0], indent=2))
    else:
        _render(grades)
    return 0


def _grade_folder(folder: Path, suite, limits, args: argparse.Namespace) -> list[Grade]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    paths = submissions_in(folder)
    console = Console(stderr=True)
    with Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=args.json,
    ) as progress:
        task = progress.add_task("grading", total=len(paths) * len(suite))
        grades = grade_all(
            paths, suite, limits, workers=args.workers, on_test=lambda name, result: progress.advance(task)
        )
    return grades


def _render(grades: list[Grade]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if len(grades) == 1:
        g = grades[0]
        table = Table(title=f"{g.submission}: {g.score:g} / {g.max_score:g}")
        for column in ("test", "verdict", "score", "visibility", "output"):
            table.add_column(column)
        for t in g.tests:
            verdict = f"{t.verdict} ({t.stopped_by})" if t.stopped_by else str(t.verdict)
            table.add_row(escape(t.name), verdict, f"{t.score:g}/{t.max_score:g}", t.visibility, escape(t.output))
        console.print(table)
        if g.error:
            console.print(f"not graded: {escape(g.error)}")
        return
    table = Table(title="Grades")
    table.add_column("submission")
    table.add_column("score", justify="right")
    table.add_column("stopped by")
    for g in grades:
        stopped = ", ".join(sorted({t.stopped_by for t in g.tests if t.stopped_by}))
        table.add_row(
            escape(g.submission), f"{g.score:g} / {g.max_score:g}", stopped or ("not graded" if g.error else "")
        )
    console.print(table)
    tests = Table(title="By test")
    tests.add_column("test")
    for word in ("passed", "failed", "error", "stopped"):
        tests.add_column(word, justify="right")
    for name, counts in by_test(grades).items():
        tests.add_row(escape(name), *(str(counts[w]) for w in ("passed", "failed", "error", "stopped")))  # type: ignore[index]
    console.print(tests)
    controls = by_control(grades)
    if controls:
        console.print("stopped by a control: " + ", ".join(f"{c} {n}" for c, n in controls.items()))


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SandboxError(f"Cannot write {path}: {exc.strerror}.") from exc
    print(f"wrote {path}", file=sys.stderr)

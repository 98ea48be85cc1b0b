"""The grading attacks, against the kit's grader and against a naive one: a scorecard of its own.

The attacks in attacks/grading/ are student submissions for one assignment (add, fib, reverse;
the suite in attacks/grading/suite/), each with a literal `GRADING_ATTACK` dict: its title, its
goal, what each grader does with it, and `deserves`, the score its honest functions earn. An
attack *escapes* a grader when the grade it gets is not the one it deserves (points it did not
earn, or honest tests it took down with it); it is *contained* when the grade is exactly that.
The words are the matrix's (`sandbox.lab.verdict.Verdict`); the scorecard is a separate table,
since a grading attack is judged by a grade, not by a run's report.

The naive grader is a lab-only ablation of how many autograders work: one sandbox run (the same
hardened limits as the kit's) holds the student's module *and* the tests, run in that process
by unittest; the results are read from a results file the run leaves (out/results.json), else
from PASSED/FAILED lines in the last 8 KiB of its output; a test with no line passes if the run
exited 0. It handles SIGTERM by exiting 0 (a graceful stop). Every one of those shortcuts is
something the attacks use.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import PROFILES, Limits, run
from sandbox.grading import Grade, GradingError, TestResult, Verdict, grade, load

from .catalog import ATTACKS_DIR
from .errors import AttackError
from .verdict import Verdict as Outcome

GRADING_DIR = ATTACKS_DIR / "grading"
SUITE = GRADING_DIR / "suite" / "test_assignment.py"
TAIL_BYTES = 8 * 1024
LIMITS = PROFILES["hardened"].replace(timeout_s=3.0)

NAIVE_HARNESS = r"""
import importlib.util, signal, sys, types, unittest

def scored(**marks):
    def mark(function):
        function.__grading__ = marks
        return function
    return mark

package, module = types.ModuleType("sandbox"), types.ModuleType("sandbox.grading")
module.scored, package.grading = scored, module
sys.modules.update({"sandbox": package, "sandbox.grading": module})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a graceful stop

def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded

submission = load("submission", "submission.py")
tests = load("tests", "test_assignment.py")

class Student:
    def call(self, name, *args, **kwargs):
        return getattr(submission, name)(*args, **kwargs)
    def __getattr__(self, name):
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

results = unittest.TestResult()
for name, test in list(vars(tests).items()):
    if not (name.startswith("test") and callable(test)):
        continue
    before = len(results.failures) + len(results.errors)
    unittest.FunctionTestCase(lambda test=test: test(Student())).run(results)
    print(("PASSED " if len(results.failures) + len(results.errors) == before else "FAILED ") + name, flush=True)
"""


@dataclass(frozen=True)
class GradingAttack:
    name: str
    title: str
    goal: str
    deserves: float
    kit: str
    naive: str
    path: Path


@dataclass(frozen=True)
class Row:
    """One attack against both graders."""

    attack: GradingAttack
    kit: Outcome
    naive: Outcome
    kit_score: float | None
    naive_score: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attack": self.attack.name,
            "title": self.attack.title,
            "deserves": self.attack.deserves,
            "kit": str(self.kit),
            "kit_score": self.kit_score,
            "naive": str(self.naive),
            "naive_score": self.naive_score,
        }


def names() -> list[str]:
    return sorted(p.stem for p in GRADING_DIR.glob("*.py") if not p.name.startswith("_"))


def attack(name: str) -> GradingAttack:
    path = GRADING_DIR / f"{name}.py"
    if not path.is_file():
        raise AttackError(f"No grading attack named {name!r}.", hint=f"Known: {', '.join(names())}.")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "GRADING_ATTACK" for t in node.targets):
            meta = ast.literal_eval(node.value)
            return GradingAttack(
                name,
                meta["title"],
                meta["goal"],
                float(meta["deserves"]),
                meta["kit"],
                meta["naive"],
                path,
            )
    raise AttackError(f"{path} has no literal GRADING_ATTACK dict.")


def naive_grade(submission: Path, tests: Path = SUITE, limits: Limits = LIMITS) -> Grade:
    """The ablation: the tests run in the student's process, the grade is read from what the run leaves."""
    suite = load(tests)
    result = run(
        NAIVE_HARNESS,
        limits,
        files={"submission.py": submission.read_text(encoding="utf-8"), "test_assignment.py": tests.read_text()},
    )
    scores: dict[str, float] = {}
    left = result.files.get("results.json")
    if left is not None:
        try:
            document = json.loads(left.data)
            scores = {str(t["name"]): float(t["score"]) for t in document.get("tests", [])}
        except (ValueError, TypeError, KeyError, AttributeError):
            scores = {}
        passed = {t.name: scores.get(t.name, 0.0) for t in suite}
    else:
        tail = result.stdout.encode("utf-8")[-TAIL_BYTES:].decode("utf-8", "replace")
        said: dict[str, bool] = {}
        for line in tail.splitlines():
            word, _, name = line.partition(" ")
            if word in ("PASSED", "FAILED"):
                said[name.strip()] = word == "PASSED"
        clean = result.exit_code == 0
        passed = {t.name: t.points if said.get(t.name, clean) else 0.0 for t in suite}
    tests_done = tuple(
        TestResult(
            t.name,
            Verdict.PASSED if passed[t.name] else Verdict.FAILED,
            passed[t.name],
            t.points,
            t.visibility,
            "",
            str(result.stopped_by) if result.stopped_by else None,
            1,
        )
        for t in suite
    )
    return Grade(submission.name, tests_done, None, result.duration_s, limits.name)


def judged(score: float | None, deserves: float) -> Outcome:
    if score is None:
        return Outcome.ERROR
    return Outcome.CONTAINED if abs(score - deserves) < 1e-9 else Outcome.ESCAPED


def run_attack(name: str, limits: Limits = LIMITS) -> Row:
    """One attack against the kit's grader and the naive one."""
    found = attack(name)
    kit_score = naive_score = None
    try:
        kit_score = grade(found.path, SUITE, limits).score
    except GradingError:
        pass
    try:
        naive_score = naive_grade(found.path, SUITE, limits).score
    except GradingError:
        pass
    return Row(found, judged(kit_score, found.deserves), judged(naive_score, found.deserves), kit_score, naive_score)


def scorecard(only: list[str] | None = None, limits: Limits = LIMITS, workers: int = 2) -> list[Row]:
    """Every grading attack (or `only` these) against both graders, `workers` attacks at a time."""
    from concurrent.futures import ThreadPoolExecutor

    chosen = only or names()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading-attacks") as executor:
        return list(executor.map(lambda n: run_attack(n, limits), chosen))


def markdown(rows: list[Row]) -> str:
    lines = [
        "# Grading attacks: the kit's grader and a naive one",
        "",
        "An attack escapes a grader when its grade is not the one its honest code deserves.",
        "",
        "| attack | deserves | kit's grader | naive grader |",
        "|---|---:|---|---|",
    ]
    for r in rows:
        kit = f"{r.kit} ({r.kit_score:g})" if r.kit_score is not None else str(r.kit)
        naive = f"{r.naive} ({r.naive_score:g})" if r.naive_score is not None else str(r.naive)
        lines.append(f"| {r.attack.title} (`{r.attack.name}`) | {r.attack.deserves:g} | {kit} | {naive} |")
    return "\n".join(lines) + "\n"

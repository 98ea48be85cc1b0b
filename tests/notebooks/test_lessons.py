"""Every lesson runs top to bottom against the real engine, is committed clean, and has its parts.

Each notebook `notebooks/NN_*.ipynb` (found by its name, so new lessons join automatically) is
executed headless by nbclient with the standard `python3` kernel, from a scratch directory (a
lesson must not depend on the working directory), with its own child SANDBOX_SESSION so that whatever
it leaves on the engine can be found and is a failure. A failed `assert` in a "check yourself"
cell fails the test, with the cell's error.

A lesson that needs gVisor (GVISOR_LESSONS) is run, and its solution checked, only where the
engine has runsc registered (elsewhere they skip, and fail under SANDBOX_REQUIRE_GVISOR=1);
its structure is checked everywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from sandbox import reaper

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.py"))
NUMBERS = [f"{n:02d}" for n in range(17)]  # the course: lessons 00 to 16, one per number
GVISOR_LESSONS = {"14_gvisor"}  # run only where the engine has runsc (see gvisor_ready)
CELL_TIMEOUT_S = 120  # one cell, unless its metadata says otherwise; most take well under 10 s
LESSON_TIMEOUT_S = 300  # one whole lesson, kernel start and shutdown included
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The parts every lesson has, in this order, each found where a reader finds it: the goal and
# the threat as bold lead-ins, the rest as headings (markdown lines starting with '#'); "check
# yourself" may also open a code cell; the solution is a <details> block naming its file.
HEADING = r"^#+ .*"
SECTIONS = (
    ("goal", r"\*\*goal\.\*\*"),
    ("threat", r"\*\*the threat\.\*\*"),
    ("baseline", HEADING + r"\bbaseline\b"),
    ("check yourself", r"^(#+ |# )check yourself"),
    ("break it", HEADING + r"\bbreak it\b"),
    ("fix it", HEADING + r"\bfix it\b"),
    ("why it works", HEADING + r"\bwhy it works\b"),
    ("gotchas", HEADING + r"\bgotchas\b"),
    ("exercise", HEADING + r"\bexercise\b"),
    ("solution", r"<summary>solution</summary>"),
)
WIDGET = re.compile(r"\b(?:Lab|PoolLab)\(")
ENGINE_NAMED = re.compile(r"(?i)podman|engine_kind")


def lesson_id(path: Path) -> str:
    return path.stem


def per_engine(stem: str) -> bool:
    """Whether a lesson's code expects something of one engine (it names Podman or the engine's
    kind): such a lesson runs on every engine, the others once (the `once` marker)."""
    code = "\n".join(c.source for c in read(NOTEBOOKS / f"{stem}.ipynb").cells if c.cell_type == "code")
    return bool(ENGINE_NAMED.search(code))


def runnable(paths: list[Path], *, solutions: bool = False) -> list:
    """The paths as parameters: a lesson that needs gVisor marked `gvisor` (see runtime_ready);
    one that proves the same on every engine marked `once`, and so is every exercise's solution
    (it checks the lesson's own logic), except gVisor's, which can run nowhere else."""

    def marks(stem: str) -> list:
        if stem in GVISOR_LESSONS:
            return [pytest.mark.gvisor]
        return [] if not solutions and per_engine(stem) else [pytest.mark.once]

    return [pytest.param(p, id=lesson_id(p), marks=marks(p.stem)) for p in paths]


@pytest.fixture
def runtime_ready(request):
    """A test marked gvisor needs runsc on the engine: skip (or fail, SANDBOX_REQUIRE_GVISOR=1) without it."""
    if request.node.get_closest_marker("gvisor"):
        request.getfixturevalue("gvisor_ready")


def read(path: Path):
    return nbformat.read(path, as_version=4)


def cell_timeout(cell) -> int:
    """A cell's own bound: `"timeout_s"` in its metadata (a long cell, e.g. lesson 13's attack
    matrix, says how long it may take), else CELL_TIMEOUT_S."""
    return cell.metadata.get("timeout_s", CELL_TIMEOUT_S)


def networks_of(session: str) -> list[str]:
    """The kit's networks of one session still on the engine (a run's own network, the target's)."""
    from sandbox import engine

    labels = [f"{engine.LABEL}=1", f"{engine.LABEL_SESSION}={session}"]
    return [n["Name"] for n in engine.client().api.networks(filters={"label": labels})]


def section_positions(nb) -> dict[str, int | None]:
    """Where each part first appears, as (cell index, line index) flattened to one number."""
    lines = []
    for index, cell in enumerate(nb.cells):
        for number, line in enumerate(cell.source.lower().splitlines()):
            if cell.cell_type == "markdown" or line.startswith("# check yourself"):
                lines.append((index * 10_000 + number, line))
    found = {}
    for name, pattern in SECTIONS:
        rx = re.compile(pattern)
        found[name] = next((where for where, line in lines if rx.search(line)), None)
    return found


def test_the_course_is_lessons_00_to_16_each_with_its_solution():
    numbers = [p.name[:2] for p in LESSONS]
    assert numbers == NUMBERS, f"expected exactly one lesson per number {NUMBERS[0]}-{NUMBERS[-1]}, found {numbers}"
    solved = {p.name[:2]: p for p in SOLUTIONS}
    assert sorted(solved) == NUMBERS, f"expected one solutions/NN_*.py per lesson, found {sorted(solved)}"
    for lesson in LESSONS:
        assert solved[lesson.name[:2]].stem == lesson.stem, (
            f"{lesson.name}: its solution must be solutions/{lesson.stem}.py, not {solved[lesson.name[:2]].name}"
        )


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_lesson_is_committed_clean_with_its_sections(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be 'python3'"
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"cells {dirty} have outputs or execution counts: clear them before committing"
    assert "widgets" not in nb.metadata, "saved widget state: clear it before committing"
    own = {i: cell.metadata["timeout_s"] for i, cell in enumerate(nb.cells) if "timeout_s" in cell.metadata}
    assert all(isinstance(s, int) and 0 < s < LESSON_TIMEOUT_S for s in own.values()), (
        f"a cell's timeout_s must be whole seconds below the lesson's {LESSON_TIMEOUT_S} s: {own}"
    )

    found = section_positions(nb)
    missing = [name for name, where in found.items() if where is None]
    assert not missing, f"missing lesson sections: {missing}"
    order = ["goal", "threat", "baseline", "break it", "why it works", "gotchas", "exercise", "solution"]
    assert [found[name] for name in order] == sorted(found[name] for name in order), (
        f"sections out of order; expected {order}"
    )
    assert found["check yourself"] > found["baseline"], "the first 'check yourself' belongs after the baseline"
    assert found["fix it"] >= found["break it"], "'fix it' comes after (or with) 'break it'"

    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert f"notebooks/solutions/{path.stem}.py" in markdown, "the solution block must name its file"
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert WIDGET.search(code), "every lesson has a lab widget"
    assert ".button.click()" in code, "a lesson's lab widget must be clicked, so a headless run exercises it"


@pytest.mark.timeout(LESSON_TIMEOUT_S)
@pytest.mark.usefixtures("runtime_ready")
@pytest.mark.parametrize("path", runnable(LESSONS))
def test_lesson_runs_top_to_bottom(path, tmp_path, engine_ready, record_property, child_session):
    session = child_session()
    client = NotebookClient(
        read(path),
        timeout=CELL_TIMEOUT_S,
        timeout_func=cell_timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    started = time.monotonic()
    try:
        client.execute(env=dict(os.environ, SANDBOX_SESSION=session))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        pytest.fail(f"{path.name} failed:\n{ANSI.sub('', str(error))[-4000:]}", pytrace=False)
    finally:
        seconds = time.monotonic() - started
        record_property("seconds", round(seconds, 1))
        print(f"{path.name}: {seconds:.1f} s", file=sys.stderr)
        left, nets = reaper.leftovers(session=session), networks_of(session)
        if left or nets:
            reaper.cleanup(session=session)
    assert not left, f"{path.name} left containers behind: {left}"
    assert not nets, f"{path.name} left networks behind: {nets}"


@pytest.mark.timeout(LESSON_TIMEOUT_S)
@pytest.mark.usefixtures("runtime_ready")
@pytest.mark.parametrize("path", runnable(SOLUTIONS, solutions=True))
def test_exercise_solution_holds(path, tmp_path, engine_ready, child_session):
    session = child_session()
    try:
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=LESSON_TIMEOUT_S - 30,
            env=dict(os.environ, SANDBOX_SESSION=session),
        )
    finally:
        left, nets = reaper.leftovers(session=session), networks_of(session)
        if left or nets:
            reaper.cleanup(session=session)
    assert done.returncode == 0, f"{path.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert not left, f"{path.name} left containers behind: {left}"
    assert not nets, f"{path.name} left networks behind: {nets}"


def test_the_lessons_that_promise_something_per_engine_run_on_every_engine():
    """The network lesson must give the same verdicts on every engine, and the memory lesson says
    what Podman does differently: neither may be left to the main pass alone."""
    marked = {p.values[0].stem: {m.name for m in p.marks} for p in runnable(LESSONS)}
    assert "once" not in marked["06_network"] and "once" not in marked["03_memory"], marked
    assert marked["14_gvisor"] == {"gvisor"}, marked
    assert all(marks == {"once"} for marks in (marked[s] for s in marked if not per_engine(s) and s != "14_gvisor"))

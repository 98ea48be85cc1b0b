"""Every lesson runs top to bottom against the real engine, is committed clean, and has its parts.

Each notebook `notebooks/NN_*.ipynb` (found by its name, so new lessons join automatically) is
executed headless by nbclient with the standard `python3` kernel, from a scratch directory (a
lesson must not depend on the working directory), with its own child SANDBOX_SESSION so that whatever
it leaves on the engine can be found and is a failure. A failed `assert` in a "check yourself"
cell fails the test, with the cell's error.
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
CELL_TIMEOUT_S = 120       # one cell; the longest lesson cells take about 10 s
LESSON_TIMEOUT_S = 300     # one whole lesson, kernel start and shutdown included
SECTIONS = {"goal": r"\bgoal\b", "threat": r"\bthreat\b", "check yourself": r"check yourself",
            "exercise": r"\bexercise\b"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def lesson_id(path: Path) -> str:
    return path.stem


def read(path: Path):
    return nbformat.read(path, as_version=4)


def test_the_lessons_are_found():
    numbers = [p.name[:2] for p in LESSONS]
    assert len(numbers) == len(set(numbers)), f"two lessons share a number: {numbers}"
    assert {f"{n:02d}" for n in range(7)} <= set(numbers), "lessons 00-06 must exist"


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_lesson_is_committed_clean_with_its_sections(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be 'python3'"
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"cells {dirty} have outputs or execution counts: clear them before committing"
    assert "widgets" not in nb.metadata, "saved widget state: clear it before committing"
    text = "\n".join(cell.source for cell in nb.cells).lower()
    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown").lower()
    missing = [name for name, pattern in SECTIONS.items()
               if not re.search(pattern, text if name == "check yourself" else markdown)]
    assert not missing, f"missing lesson sections: {missing}"
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    if re.search(r"\bLab\(", code):
        assert ".button.click()" in code, "a lesson with a lab widget must click it, so a headless run exercises it"


@pytest.mark.timeout(LESSON_TIMEOUT_S)
@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_lesson_runs_top_to_bottom(path, tmp_path, engine_ready, record_property, child_session):
    session = child_session()
    client = NotebookClient(
        read(path), timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},    # the kernel's working directory
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
        left = reaper.leftovers(session=session)
        if left:
            reaper.cleanup(session=session)
    assert not left, f"{path.name} left containers behind: {left}"


@pytest.mark.timeout(LESSON_TIMEOUT_S)
@pytest.mark.parametrize("path", SOLUTIONS, ids=lesson_id)
def test_exercise_solution_holds(path, tmp_path, engine_ready, child_session):
    session = child_session()
    try:
        done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True,
                              timeout=LESSON_TIMEOUT_S - 30, env=dict(os.environ, SANDBOX_SESSION=session))
    finally:
        left = reaper.leftovers(session=session)
        if left:
            reaper.cleanup(session=session)
    assert done.returncode == 0, f"{path.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert not left, f"{path.name} left containers behind: {left}"

"""The image's matplotlib backend (docker/sandbox_figures.py), with this machine's matplotlib.

Each case runs a program in a child Python the way the image runs one: MPLBACKEND names the
module, and nothing in the program asks for it. The image's own matplotlib comes with the
scientific stack; the engine test of a real plot belongs with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

DOCKER = Path(__file__).resolve().parents[2] / "docker"
PNG = b"\x89PNG\r\n\x1a\n"


def plot(program: str, tmp_path: Path, out: Path) -> subprocess.CompletedProcess:
    """Run `program` with the backend, its out/ folder set to `out`."""
    prelude = f"import sandbox_figures\nsandbox_figures.OUT = {str(out)!r}\nimport matplotlib.pyplot as plt\n"
    env = {
        **os.environ,
        "MPLBACKEND": "module://sandbox_figures",
        "PYTHONPATH": str(DOCKER),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }
    return subprocess.run(
        [sys.executable, "-c", prelude + program], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def pngs(out: Path) -> dict[str, bool]:
    return {p.name: p.read_bytes().startswith(PNG) for p in sorted(out.iterdir())}


def test_show_saves_each_open_figure_and_exit_saves_the_rest(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = plot(
        "plt.plot([1, 2])\nplt.figure()\nplt.plot([3, 1])\nplt.show()\n"
        "assert plt.get_fignums() == []\nplt.plot([0, 5])\n",
        tmp_path,
        out,
    )
    assert done.returncode == 0, done.stderr
    assert pngs(out) == {"figure-1.png": True, "figure-2.png": True, "figure-3.png": True}


def test_it_never_writes_over_or_through_what_is_there(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "figure-1.png").write_bytes(b"the program's own")
    (tmp_path / "victim").write_bytes(b"untouched")
    os.symlink(tmp_path / "victim", out / "figure-2.png")
    done = plot("plt.plot([1, 2])\nplt.show()\n", tmp_path, out)
    assert done.returncode == 0, done.stderr
    assert (out / "figure-1.png").read_bytes() == b"the program's own"
    assert (tmp_path / "victim").read_bytes() == b"untouched"
    assert (out / "figure-3.png").read_bytes().startswith(PNG)


def test_a_program_that_saves_and_closes_its_own_figures_gets_nothing_added(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = plot(f"plt.plot([1])\nplt.savefig({str(out / 'mine.png')!r})\nplt.close('all')\n", tmp_path, out)
    assert done.returncode == 0, done.stderr
    assert pngs(out) == {"mine.png": True}


def test_no_out_folder_costs_a_line_on_stderr_never_the_run(tmp_path):
    done = plot("plt.plot([1])\nplt.show()\nprint('went on')\n", tmp_path, tmp_path / "missing")
    assert done.returncode == 0 and done.stdout == "went on\n"
    assert "sandbox_figures: the figure was not saved" in done.stderr

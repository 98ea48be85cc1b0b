"""benchmarks/latency.py's pure helpers: the exercise's data and how a spread of figures reads.

No engine and no timing: what the benchmark measures is its own output, never a test's assertion.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sandbox.files import MAX_FILE_BYTES

LATENCY = Path(__file__).resolve().parents[2] / "benchmarks" / "latency.py"


def load_latency():
    spec = importlib.util.spec_from_file_location("bench_latency", LATENCY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_exercise_csv_is_the_same_every_time_and_has_five_groups():
    latency = load_latency()
    data = latency.exercise_csv()
    assert data == latency.exercise_csv()
    header, *rows = data.splitlines()
    assert header == "group,value" and len(rows) == 1000
    assert {line.split(",")[0] for line in rows} == {"0", "1", "2", "3", "4"}  # the program prints 5
    assert len(data.encode()) <= MAX_FILE_BYTES  # run() takes it as one file


def test_the_exercise_program_compiles():
    compile(load_latency().EXERCISE, "exercise.py", "exec")


def test_spread_reads_p50_lowest_and_highest():
    latency = load_latency()
    assert latency.spread([83.0, 78.14, 80.3]) == "80.3 (78.1-83.0)"
    assert latency.spread([2.0, 3.0], 2) == "2.00 (2.00-3.00)"  # of two, the first: as percentile()
    assert latency.spread([]) == "n/a"

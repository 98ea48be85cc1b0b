"""The docstrings' examples that need the engine (`# doctest: +ENGINE`), run against it.

Each docstring with such an example runs whole, its engine-free examples too, since the later
ones use their names. tests/unit/test_doctests.py runs the rest without an engine.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

# The docs' examples: what they show is the API, not an engine's behaviour, so they run once.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
ENGINE = doctest.register_optionflag("ENGINE")
# The modules with examples marked +ENGINE (a test below checks that none is missing).
MODULES = [
    "sandbox",
    "sandbox.runner",
    "sandbox.result",
    "sandbox.files",
    "sandbox.languages",
    "sandbox.pool",
    "sandbox.warm",
    "sandbox.reaper",
    "sandbox.lab.catalog",
    "sandbox.lab.audit",
    "sandbox.lab.probe",
    "sandbox.lab.doctor",
    "sandbox.lab.hostcpu",
    "sandbox.lab.widgets",
    "sandbox.lab.engines",
    "server",
    "server.process",
]


def engine_docstrings(module: str) -> list[doctest.DocTest]:
    tests = doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module(module))
    return [test for test in tests if any(example.options.get(ENGINE) for example in test.examples)]


@pytest.mark.parametrize("module", MODULES)
def test_examples_with_the_engine(module):
    tests = engine_docstrings(module)
    assert tests, f"{module} has no +ENGINE example any more: drop it from MODULES"
    runner, report = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS), []
    for test in tests:
        runner.run(test, out=report.append)
    assert not report, "".join(report)


def test_every_module_with_engine_examples_is_listed():
    marked = set()
    for package in ("sandbox", "server"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "doctest: +ENGINE" in text:
                marked.add(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    assert marked == set(MODULES)

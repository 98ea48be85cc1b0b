"""The docstrings' examples run: every one that needs no engine, here (make check runs this file).

An example that needs the engine says so with `# doctest: +ENGINE`; here it is skipped, and
tests/engine/test_doctests.py runs its whole docstring against the real engine. No example is
`+SKIP`: one that cannot run here is one nobody has checked.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = doctest.register_optionflag("ENGINE")
FLAGS = doctest.ELLIPSIS
# Not importable for their examples: the supervisor runs its main() on import (it is process 1
# in the container), and the __main__ modules start the CLI or the server.
NOT_IMPORTED = {"sandbox.inside.supervisor", "sandbox.__main__", "server.__main__"}


def modules() -> list[str]:
    found = []
    for package in ("sandbox", "server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            if name not in NOT_IMPORTED:
                found.append(name)
    return found


def docstrings(module: str) -> list[doctest.DocTest]:
    tests = doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module(module))
    return [test for test in tests if test.examples]


def engine_free(test: doctest.DocTest) -> doctest.DocTest:
    for example in test.examples:
        if example.options.get(ENGINE):
            example.options[doctest.SKIP] = True
    return test


def run_examples(tests: list[doctest.DocTest]) -> str:
    """Run the docstrings' examples; doctest's report of every failure, or "" if none failed."""
    runner, report = doctest.DocTestRunner(optionflags=FLAGS), []
    for test in tests:
        runner.run(test, out=report.append)
    return "".join(report)


@pytest.mark.parametrize("module", modules())
def test_examples_without_the_engine(module):
    failed = run_examples([engine_free(test) for test in docstrings(module)])
    assert not failed, failed


def test_no_example_is_skipped_outright():
    """+SKIP hides an example from every pass; +ENGINE runs it where the engine is."""
    skipped = [
        f"{test.name} line {example.lineno}"
        for module in modules()
        for test in docstrings(module)
        for example in test.examples
        if example.options.get(doctest.SKIP)
    ]
    assert not skipped, skipped

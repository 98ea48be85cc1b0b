"""The 20 fixture submissions (right, wrong, hostile) graded by `python -m sandbox grade` on the real engine.

One run of the CLI over the folder (2 workers, warm boxes): about 25 s, most of it the three
tests a control stops (two 3-second timeouts, an OOM). Each results.json it writes must pass
Gradescope's documented schema (gradescope_results.schema.json, written from their spec).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sandbox.cli import main

HERE = Path(__file__).parent
SUBMISSIONS = HERE / "fixtures" / "submissions"
TESTS = HERE / "fixtures" / "tests"
SCHEMA = json.loads((HERE / "gradescope_results.schema.json").read_text())

# submission: (score, the verdicts of test_add, test_fib, test_reverse)
EXPECTED = {
    "right.py": (4, "passed passed passed"),
    "right_chatty.py": (4, "passed passed passed"),
    "right_recursive.py": (4, "passed passed passed"),
    "right_with_main.py": (4, "passed passed passed"),
    "no_fib.py": (2, "passed error passed"),
    "wrong_add.py": (3, "failed passed passed"),
    "wrong_fib.py": (2, "passed failed passed"),
    "wrong_reverse.py": (3, "passed passed failed"),
    "reverse_list.py": (3, "passed passed failed"),
    "raises.py": (3, "passed passed error"),
    "fails_at_import.py": (0, "error error error"),
    "loop_fib.py": (2, "passed stopped passed"),
    "memory_fib.py": (2, "passed stopped passed"),
    "forks_fib.py": (2, "passed stopped passed"),
    "flood_reverse.py": (3, "passed passed stopped"),
    "always_equal.py": (0, "error error error"),
    "exit_at_import.py": (0, "error error error"),
    "os_exit_in_add.py": (3, "error passed passed"),
    "peeks_for_tests.py": (1, "failed failed passed"),
    "kills_others.py": (4, "passed passed passed"),
}
STOPPED_BY = {"loop_fib.py": "timeout", "memory_fib.py": "memory", "flood_reverse.py": "output_cap"}


def test_the_folder_gets_the_expected_scores_and_valid_results_json(engine_ready, tmp_path, capsys):
    assert sorted(p.name for p in SUBMISSIONS.glob("*.py")) == sorted(EXPECTED)
    code = main(["grade", str(SUBMISSIONS), "--tests", str(TESTS), "--json", "--out", str(tmp_path / "out")])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    scores = {d["submission"]: d["score"] for d in printed}
    assert scores == {name: float(score) for name, (score, _) in EXPECTED.items()}
    for document in printed:
        verdicts = " ".join(t["extra_data"]["verdict"] for t in document["tests"])
        assert verdicts == EXPECTED[document["submission"]][1], document
        stopped = {t["extra_data"]["stopped_by"] for t in document["tests"]} - {None}
        if document["submission"] in STOPPED_BY:
            assert stopped == {STOPPED_BY[document["submission"]]}, document
        written = json.loads((tmp_path / "out" / Path(document["submission"]).stem / "results.json").read_text())
        jsonschema.validate(written, SCHEMA)
        assert written["score"] == document["score"]
    # The hidden test's failure says nothing of its inputs or expected values.
    wrong_fib = next(d for d in printed if d["submission"] == "wrong_fib.py")
    assert wrong_fib["tests"][1]["output"] == "Failed: (hidden test: no details)"
    wrong_add = next(d for d in printed if d["submission"] == "wrong_add.py")
    assert "add(2, 3), returned -1" in wrong_add["tests"][0]["output"]


def test_the_schema_refuses_what_gradescope_would():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"name": "t", "visibility": "secret", "score": 1}]}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"name": "t"}]}, SCHEMA)  # no score anywhere

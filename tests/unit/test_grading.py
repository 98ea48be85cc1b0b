"""The grader's logic without an engine: the tests' format, bad inputs, the channel, the reports.

The runner is faked here only to test the grader's own logic (how calls are gathered, replayed
and judged); everything about containment is proved on the real engine in tests/grading.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox import PROFILES, Result, Status
from sandbox.grading import (
    MAX_SUBMISSION_BYTES,
    SubmissionError,
    TestFileError,
    Verdict,
    channel,
    grade,
    gradescope,
    load,
    markdown,
)

FIXTURES = Path(__file__).resolve().parents[1] / "grading" / "fixtures"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_tests_file_that_does_not_parse_is_a_clear_error(tmp_path):
    path = write(tmp_path, "test_bad.py", "def test_x(student)\n    pass\n")
    with pytest.raises(TestFileError, match=r"does not parse: .* \(line 1\)"):
        load(path)


def test_an_unknown_visibility_is_a_clear_error(tmp_path):
    text = 'from sandbox.grading import scored\n\n@scored(visibility="secret")\ndef test_x(student):\n    pass\n'
    with pytest.raises(TestFileError, match="unknown visibility 'secret'; use one of visible, hidden"):
        load(write(tmp_path, "test_vis.py", text))


def test_a_submission_over_the_size_limit_is_refused_before_any_run(tmp_path):
    big = write(tmp_path, "big.py", "#" * (MAX_SUBMISSION_BYTES + 1))

    def no_run(*args, **kwargs):
        raise AssertionError("no run may start")

    with pytest.raises(SubmissionError, match=f"the limit is {MAX_SUBMISSION_BYTES}"):
        grade(big, FIXTURES / "tests", runner=no_run)


def test_the_cli_says_a_bad_input_in_one_line(tmp_path, capsys):
    from sandbox.cli import main

    bad = write(tmp_path, "test_bad.py", "def test_x(:\n")
    assert main(["grade", str(FIXTURES / "submissions" / "right.py"), "--tests", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sandbox: The tests file") and "Traceback" not in err


def fake_runner(answer_for, skip_in_shared=()):
    """A runner that answers each call with answer_for(name, args), as the harness would print it
    (in a shared run, not the tests numbered in `skip_in_shared`, as if their child were killed)."""

    runs = []

    def runner(code, limits, *, stdin, files):
        request = json.loads(stdin)
        token = request["token"]
        lines = [f"{token} -1 {json.dumps({'value': None})}"]
        if "calls" in request:
            runs.append(request["calls"])
            lines += [f"{token} {i} {json.dumps(answer_for(n, a))}" for i, (n, a, _k) in enumerate(request["calls"])]
        else:
            runs.append([calls for calls, _seconds in request["tests"]])
            for t, (calls, _seconds) in enumerate(request["tests"]):
                if t not in skip_in_shared:
                    lines += [f"{token} {t}.{i} {json.dumps(answer_for(n, a))}" for i, (n, a, _k) in enumerate(calls)]
        return Result(Status.OK, "\n".join(lines) + "\n", "", 0, 0.1, limits)

    runner.runs = runs
    return runner


def answer_right_but_fib(name, args):
    return {"value": {"add": lambda a, b: a + b, "fib": lambda n: n, "reverse": lambda s: s[::-1]}[name](*args)}


SAME_VISIBILITY = [replace(t, visibility="visible") for t in load(FIXTURES / "tests")]


def test_the_tests_calls_go_in_one_shared_run_and_the_answers_are_judged_here():
    runner = fake_runner(answer_right_but_fib)
    g = grade("x = 1\n", SAME_VISIBILITY, runner=runner)
    assert [t.verdict for t in g.tests] == [Verdict.PASSED, Verdict.FAILED, Verdict.PASSED]
    assert g.tests[1].output.startswith("Failed: fib(2) should be 1")
    # one run, the three tests' calls each in full (the calls after an assert were gathered too)
    assert [[len(calls) for calls in run] for run in runner.runs] == [[2, 5, 2]]
    assert g.score == 2 and g.max_score == 4


def test_a_test_the_shared_run_did_not_answer_in_full_gets_a_run_of_its_own():
    runner = fake_runner(answer_right_but_fib, skip_in_shared=(1,))
    g = grade("x = 1\n", SAME_VISIBILITY, runner=runner)
    assert [len(run) for run in runner.runs] == [3, 5]  # the shared run, then fib's five calls alone
    assert [t.runs for t in g.tests] == [1, 1, 1]  # the runs whose answers each test used
    assert [t.verdict for t in g.tests] == [Verdict.PASSED, Verdict.FAILED, Verdict.PASSED]


def test_tests_of_different_visibilities_never_share_a_run():
    runner = fake_runner(answer_right_but_fib)
    g = grade("x = 1\n", FIXTURES / "tests", runner=runner)  # visible, hidden, after_due_date
    assert runner.runs == [run for run in runner.runs if run and isinstance(run[0][0], str)]  # one test a run
    assert len(runner.runs) == 3
    assert g.tests[1].output == "Failed: (hidden test: no details)"


def test_a_test_whose_calls_depend_on_answers_is_replayed(tmp_path):
    text = "def test_x(student):\n    n = student.call('f', 1)\n    assert student.call('f', n + 1) == 4\n"
    runner = fake_runner(lambda name, args: {"value": args[0] + 1})
    g = grade("x = 1\n", load(write(tmp_path, "test_dep.py", text)), runner=runner)
    assert g.tests[0].verdict == Verdict.PASSED
    assert runner.runs == [[["f", [1], {}]], [["f", [1], {}], ["f", [3], {}]]]


def test_the_channel_keeps_only_json_data_and_the_first_answer():
    token, stdin = channel.request([("f", (1, "a"), {})])
    assert json.loads(stdin)["calls"] == [["f", [1, "a"], {}]]
    out = f'{token} 0 {{"value": 1}}\n{token} 0 {{"value": 2}}\n{token} 1 {{"value": NaN}}\nnoise\n'
    assert channel.answers(out, token) == {"0": {"value": 1}}
    assert channel.of_test({"-1": {}, "0": {"value": 1}, "1.0": {"value": 2}}, "1.") == {0: {"value": 2}}
    with pytest.raises(channel.ChannelError):
        channel.request([("f", (object(),), {})])


def test_results_json_and_the_report_carry_each_test():
    def answer(name, args):
        return {"raised": "ValueError: no"} if name == "reverse" else {"value": None}

    g = grade("x = 1\n", FIXTURES / "tests", PROFILES["hardened"], runner=fake_runner(answer))
    document = gradescope(g)
    assert document["score"] == 0 and [t["max_score"] for t in document["tests"]] == [1, 2, 1]
    assert [t["visibility"] for t in document["tests"]] == ["visible", "hidden", "after_due_date"]
    assert document["tests"][2]["output"] == "Error: reverse('abc') raised ValueError: no"
    assert "| test_reverse | error | 0 / 1 |" in markdown([g])


def test_a_test_with_its_own_memory_limit_runs_alone_under_it(tmp_path):
    text = (
        "from sandbox.grading import scored\n\n"
        "def test_a(student):\n    assert student.f(1) == 2\n\n"
        "@scored(memory_mib=64, timeout_s=2)\ndef test_b(student):\n    assert student.f(2) == 3\n\n"
        "def test_c(student):\n    assert student.f(3) == 4\n"
    )
    seen = []
    runner = fake_runner(lambda name, args: {"value": args[0] + 1})

    def limited(code, limits, **kw):
        seen.append((limits.memory_mib, limits.timeout_s))
        return runner(code, limits, **kw)

    g = grade("x = 1\n", load(write(tmp_path, "test_mem.py", text)), runner=limited)
    assert g.score == 3
    assert seen == [(128, 10.0), (64, 2)]  # a and c shared the hardened run; b ran alone under its own
    with pytest.raises(TestFileError, match="memory_mib must be a whole number"):
        load(write(tmp_path, "test_bad_mem.py", text.replace("memory_mib=64", "memory_mib=1")))

"""The catalog's expectation matching, on hand-made results (our logic, not evidence)."""

from sandbox import PROFILES

from sandbox.lab import catalog
from sandbox.result import Result


def ok_result():
    return Result(status="ok", stdout="", stderr="", exit_code=0, duration_s=1.0, limits=PROFILES["hardened"])


def test_an_empty_dict_expects_an_empty_fact_not_anything():
    assert catalog._matches({}, {})
    assert not catalog._matches({"AWS_SECRET": "x"}, {})
    assert not catalog._matches(None, {}) and not catalog._matches([], {}) and not catalog._matches(0, {})


def test_env_secrets_hardened_expectation_really_checks_that_nothing_leaked():
    expect = catalog.load("env_secrets").expect["hardened"]
    leaked = catalog.check_expectations(expect, ok_result(), {"achieved": False, "secrets": {"API_KEY": "k"}})
    assert leaked == ["report.secrets: expected {}, got {'API_KEY': 'k'}"]
    assert catalog.check_expectations(expect, ok_result(), {"achieved": False, "secrets": {}}) == []


def test_ranges_and_partial_dicts_still_match_as_before():
    assert catalog._matches(5, {"min": 1, "max": 9}) and not catalog._matches(True, {"min": 0})
    assert catalog._matches({"/tmp": "ENOSPC", "/": "EROFS"}, {"/tmp": "ENOSPC"})
    assert not catalog._matches({"/tmp": "EROFS"}, {"/tmp": "ENOSPC"})

"""Flags and environment: loopback by default, every limit configurable, bad values refused."""

from __future__ import annotations

import pytest

from sandbox import CONTROLS, PROFILES, Control
from server.settings import from_args


def test_defaults_bind_loopback_port_8000():
    s = from_args([], environ={})
    assert (s.host, s.port, s.workers, s.queue, s.timeout_s, s.allow_ablation) == (
        "127.0.0.1",
        8000,
        5,
        20,
        None,
        False,
    )
    # Only profiles that keep every kit control are offered unless ablation is allowed.
    assert s.profiles == ("hardened", "seed_hardened", "gvisor")
    assert "seed" not in s.profiles and "naive" not in s.profiles


def test_every_profile_a_visitor_may_pick_keeps_the_hosts_shared_budgets():
    # ptys, ulimits and host views guard what every container on the host draws from; only the
    # output cap may be missing, because the server adds its own (tests/api/test_run.py).
    for name in from_args([], environ={}).profiles:
        lacking = set(CONTROLS) - set(PROFILES[name].controls())
        assert lacking <= {Control.OUTPUT_CAP}, (name, lacking)


def test_environment_then_flags():
    env = {
        "SANDBOX_PORT": "8100",
        "SANDBOX_WORKERS": "3",
        "SANDBOX_QUEUE": "0",
        "SANDBOX_TIMEOUT": "4.5",
        "SANDBOX_ALLOW_ABLATION": "1",
        "SANDBOX_ALLOWED_HOSTS": "a.local, b.local",
    }
    s = from_args([], environ=env)
    assert (s.port, s.workers, s.queue, s.timeout_s, s.allow_ablation) == (8100, 3, 0, 4.5, True)
    assert s.allowed_hosts == ("a.local", "b.local")
    assert "naive" in s.profiles
    flagged = from_args(["--port", "8200", "--workers", "2"], environ=env)
    assert (flagged.port, flagged.workers) == (8200, 2)


def test_threads_cover_every_run_and_queued_request():
    s = from_args(["--workers", "3", "--queue", "7"], environ={})
    assert s.threads > s.workers + s.queue


@pytest.mark.parametrize(
    "argv, env",
    [
        (["--port", "0"], {}),
        (["--port", "70000"], {}),
        (["--workers", "0"], {}),
        (["--workers", "x"], {}),
        (["--timeout", "0"], {}),
        (["--queue", "-1"], {}),
        ([], {"SANDBOX_PORT": "eighty"}),
        ([], {"SANDBOX_ALLOW_ABLATION": "maybe"}),
    ],
)
def test_bad_values_exit_with_usage(argv, env, capsys):
    with pytest.raises(SystemExit) as stop:
        from_args(argv, environ=env)
    assert stop.value.code == 2
    assert "Traceback" not in capsys.readouterr().err

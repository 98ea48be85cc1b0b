"""The presentation demo, run as a presenter would: a subprocess against the real engine."""

import os
import pty
import re
import signal
import subprocess
import sys
import time

import pytest

from sandbox import reaper
from sandbox.lab.demo import STEPS

# The presenter's script over the system's engine: the steps' verdicts are the matrix's, proven per engine there.
pytestmark = pytest.mark.once

# What each step must show under the hardened profile: (verdict, control that fired or "-").
HARDENED = {
    "hello": ("ok", "-"),
    "infinite_loop": ("timeout", "timeout"),
    "memory_hog": ("memory", "memory"),
    "network_call": ("error", "network"),
    "fork_bomb": ("error", "pids"),
    "socket_absent": ("error", "-"),
    "socket_root": ("ok", "-"),
    "socket_runner": ("error", "-"),  # EACCES leaves no kernel count: the user control is a hint
}
ROW = re.compile(r"│\s*\d+\s*│\s*(\w+)\s*│\s*(\w+)\s*│\s*([\w-]+)\s*│\s*[\d.]+ s\s*│\s*(\w+)\s*│")


@pytest.fixture
def demo_env(child_env):
    """demo_env(**extra) -> (environment, session) for one demo process, in a child session."""

    def make(**extra):
        env = child_env(COLUMNS="200", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", **extra)
        return env, env["SANDBOX_SESSION"]

    return make


def start(args, env, **kwargs):
    # SIGINT back to its default, so Python installs its handler even under a shell that ignores it.
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "demo", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **kwargs,
    )


def summary_rows(stdout):
    return {m.group(1): (m.group(2), m.group(3), m.group(4)) for m in ROW.finditer(stdout)}


@pytest.mark.timeout(240)
def test_auto_demo_runs_every_step_with_its_verdict_and_control(demo_env):
    env, session = demo_env()
    proc = start(["--auto"], env, stdin=subprocess.DEVNULL)
    out, err = proc.communicate(timeout=200)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert "Traceback" not in out + err
    assert "Preflight failed" not in out
    rows = summary_rows(out)
    assert {key: rows[key][:2] for key in rows} == HARDENED
    assert all(mark == "yes" for _, _, mark in rows.values())
    for key, (verdict, control) in HARDENED.items():
        line = f"verdict: {verdict} · stopped by: {'nothing' if control == '-' else control}"
        assert line in out, (key, line)
    assert "stopped by: nothing (its error text points at user)" in out
    assert "Hello World" in out and "the host's Docker Engine answered" in out
    assert "ENTER" not in out  # no prompt in --auto mode
    assert [s.key for s in STEPS] == list(HARDENED)  # the step list, in order
    assert reaper.leftovers(session=session) == []


def test_preflight_without_an_engine_says_what_to_do(demo_env):
    env, _ = demo_env(DOCKER_HOST="unix:///tmp/no-docker-here.sock")
    proc = start(["--auto"], env, stdin=subprocess.DEVNULL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "Preflight failed" in out and "no-docker-here.sock" in out and "Start Docker" in out
    assert "Traceback" not in out + err and "Step 1" not in out


def test_preflight_without_the_image_says_how_to_build_it(demo_env):
    env, _ = demo_env(SANDBOX_IMAGE="safe-python-missing:never")
    proc = start(["--auto"], env, stdin=subprocess.DEVNULL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "Preflight failed" in out and "python -m sandbox build" in out
    assert "Traceback" not in out + err


@pytest.mark.timeout(120)
def test_ctrl_c_mid_step_leaves_no_container(demo_env):
    env, session = demo_env()
    proc = start(["--auto"], env, stdin=subprocess.DEVNULL)
    try:
        # Wait until the infinite loop's container is really running, then interrupt. The
        # demo keeps a warm pool: the step runs in a fresh "run" container or in a delivered
        # "warm" one (whose label stays), whichever is ready first.
        seen = ""
        while "Step 2/" not in seen:
            line = proc.stdout.readline()
            assert line, "the demo ended before step 2: " + seen[-1000:]
            seen += line
        deadline = time.monotonic() + 60
        while not [c for c in reaper.leftovers(session=session) if c["status"].startswith("Up")]:
            assert time.monotonic() < deadline, f"no container of the demo is running: {reaper.leftovers()}"
            time.sleep(0.1)
        time.sleep(1)  # the step's program runs for 10 s; this lets it start in whichever container
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "Interrupted" in out and "No container was left behind" in out
    assert re.search(r"infinite_loop\s*│\s*unfinished", out) and "Traceback" not in out + err
    assert reaper.leftovers(session=session) == []


@pytest.mark.timeout(120)
def test_enter_advances_and_q_quits_cleanly(demo_env):
    env, session = demo_env()
    main, tty = pty.openpty()
    try:
        proc = start([], env, stdin=tty)
        os.write(main, b"\nq\n")  # ENTER runs step 1; q at step 2's prompt
        out, err = proc.communicate(timeout=90)
    finally:
        os.close(main)
        os.close(tty)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert "ENTER" in out and "Stopped by the presenter" in out
    assert list(summary_rows(out)) == ["hello"]
    assert "Step 3/" not in out and "Traceback" not in out + err
    assert reaper.leftovers(session=session) == []

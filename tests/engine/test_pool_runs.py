"""sandbox.Pool against the real engine (its own bounds are tested with a fake runner in tests/unit)."""

from __future__ import annotations

import threading
import time

from sandbox import Pool


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_real_runs_through_the_pool(engine_ready):
    with Pool(workers=2, queue=4) as pool:
        futures = [pool.submit(f"print({i} * {i})") for i in range(5)]
        assert [f.result(60).stdout for f in futures] == [f"{i * i}\n" for i in range(5)]
        assert pool.stats()["running"] == 0


def test_a_cancel_event_kills_a_real_run_at_once(engine_ready):
    cancel, running = threading.Event(), threading.Event()
    with Pool(workers=1, queue=0) as pool:
        future = pool.submit(
            "import time\nprint('running', flush=True)\ntime.sleep(30)\n",
            cancel=cancel,
            on_output=lambda stream, text: running.set(),
        )
        assert _wait_for(lambda: pool.stats()["running"] == 1, timeout=10)
        # The program said it runs: the cancel below kills a running container, not one being made.
        assert running.wait(30), "the program never started"
        started = time.monotonic()
        cancel.set()
        result = future.result(20)
        assert time.monotonic() - started < 8
    assert result.status == "killed" and result.message.startswith("Cancelled") and result.stdout == "running\n"

"""sandbox.Pool against the real engine (its own bounds are tested with a fake runner in tests/unit)."""

from __future__ import annotations

import threading
import time


from sandbox import SandboxError
from sandbox import Pool


class GatedRunner:
    """Stands in for sandbox.run: each call waits for the gate, and the peak concurrency is kept."""

    def __init__(self):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.calls: list[str] = []

    def __call__(self, code, limits=None, **kw):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.calls.append(code)
        try:
            if not self.gate.wait(10):
                raise TimeoutError("gate never opened")
            if code == "boom":
                raise SandboxError("engine said no")
            return f"ran {code}"
        finally:
            with self.lock:
                self.active -= 1


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


class CancellableRunner(GatedRunner):
    """Like GatedRunner, but a set cancel event ends the run the way sandbox.run does."""

    def __call__(self, code, limits=None, cancel=None, **kw):
        self.calls.append(code)
        assert cancel is not None, "the pool must hand every run a cancel event"
        if cancel.wait(10):
            return "killed"
        return f"ran {code}"


def test_a_cancel_event_kills_a_real_run_at_once(engine_ready):
    cancel, running = threading.Event(), threading.Event()
    with Pool(workers=1, queue=0) as pool:
        future = pool.submit("import time\nprint('running', flush=True)\ntime.sleep(30)\n", cancel=cancel,
                             on_output=lambda stream, text: running.set())
        assert _wait_for(lambda: pool.stats()["running"] == 1, timeout=10)
        # The program said it runs: the cancel below kills a running container, not one being made.
        assert running.wait(30), "the program never started"
        started = time.monotonic()
        cancel.set()
        result = future.result(20)
        assert time.monotonic() - started < 8
    assert result.status == "killed" and result.message.startswith("Cancelled") and result.stdout == "running\n"

"""sandbox.Pool: the bound on running and waiting runs, tested with a runner we control
(tests/engine/test_pool_runs.py runs it against the real engine)."""

from __future__ import annotations

import threading
import time

import pytest

from sandbox import InvalidCode, Pool, PoolClosed, QueueFull, SandboxError


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


def test_runs_at_most_workers_and_refuses_past_the_queue():
    runner = GatedRunner()
    pool = Pool(workers=2, queue=3, runner=runner)
    try:
        futures = [pool.submit(f"print({i})") for i in range(5)]
        assert _wait_for(lambda: pool.stats() == {"running": 2, "queued": 3, "workers": 2, "queue": 3})
        started = time.monotonic()
        with pytest.raises(QueueFull) as full:
            pool.submit("print(5)")
        assert time.monotonic() - started < 0.5  # fast, never blocks
        assert full.value.retry_after_s >= 1
        runner.gate.set()
        assert [f.result(5) for f in futures] == [f"ran print({i})" for i in range(5)]
        assert runner.peak == 2
        assert _wait_for(lambda: pool.stats()["running"] == 0 and pool.stats()["queued"] == 0)
        assert pool.submit("print(6)").result(5) == "ran print(6)"  # room again
    finally:
        runner.gate.set()
        pool.shutdown()


def test_cancelling_a_queued_run_frees_its_place():
    runner = GatedRunner()
    pool = Pool(workers=1, queue=1, runner=runner)
    try:
        first = pool.submit("print(1)")
        assert _wait_for(lambda: pool.stats()["running"] == 1)
        waiting = pool.submit("print(2)")
        with pytest.raises(QueueFull):
            pool.submit("print(3)")
        assert waiting.cancel()
        assert pool.stats()["queued"] == 0
        replacement = pool.submit("print(4)")
        runner.gate.set()
        assert first.result(5) == "ran print(1)" and replacement.result(5) == "ran print(4)"
        assert "print(2)" not in runner.calls
    finally:
        runner.gate.set()
        pool.shutdown()


def test_bad_code_is_refused_by_submit_even_when_full():
    runner = GatedRunner()
    pool = Pool(workers=1, queue=0, runner=runner)
    try:
        pool.submit("print(1)")
        for bad in ("", "x" * 5001, 42, "print(1)\x00"):
            with pytest.raises(InvalidCode):
                pool.submit(bad)
    finally:
        runner.gate.set()
        pool.shutdown()


def test_bad_files_are_refused_by_submit_and_take_no_slot():
    runner = GatedRunner()
    runner.gate.set()
    with Pool(workers=1, queue=0, runner=runner) as pool:
        for bad in ({"../x.csv": "1"}, {"a.csv": 3}, [("a.csv", "1")], {f"f{i}": "" for i in range(21)}):
            with pytest.raises(InvalidCode):
                pool.submit("print(1)", files=bad)
        assert runner.calls == [] and pool.stats()["queued"] == 0
        # The one slot is still free: a refused submit gave nothing to a worker and kept nothing.
        assert pool.submit("print(2)", files={"data.csv": "1"}).result(5) == "ran print(2)"


def test_runner_errors_arrive_through_the_future():
    runner = GatedRunner()
    runner.gate.set()
    with Pool(workers=1, queue=1, runner=runner) as pool:
        with pytest.raises(SandboxError, match="engine said no"):
            pool.submit("boom").result(5)
        assert pool.stats()["running"] == 0


def test_shutdown_cancels_the_queue_and_refuses_new_work():
    runner = GatedRunner()
    pool = Pool(workers=1, queue=2, runner=runner)
    running = pool.submit("print(1)")
    assert _wait_for(lambda: pool.stats()["running"] == 1)
    queued = [pool.submit("print(2)"), pool.submit("print(3)")]
    pool.shutdown(wait=False, cancel_pending=True)
    assert all(f.cancelled() for f in queued)
    with pytest.raises(PoolClosed):
        pool.submit("print(4)")
    runner.gate.set()
    assert running.result(5) == "ran print(1)"  # a started run is never abandoned
    pool.shutdown(wait=True)
    assert pool.stats()["queued"] == 0 and pool.stats()["running"] == 0


@pytest.mark.parametrize("workers, queue", [(0, 1), (65, 1), (1, -1), ("2", 1), (True, 1)])
def test_bounds_are_checked(workers, queue):
    with pytest.raises(SandboxError):
        Pool(workers=workers, queue=queue)


class CancellableRunner(GatedRunner):
    """Like GatedRunner, but a set cancel event ends the run the way sandbox.run does."""

    def __call__(self, code, limits=None, cancel=None, **kw):
        self.calls.append(code)
        assert cancel is not None, "the pool must hand every run a cancel event"
        if cancel.wait(10):
            return "killed"
        return f"ran {code}"


def test_kill_running_sets_the_cancel_event_of_every_running_run():
    runner = CancellableRunner()
    pool = Pool(workers=2, queue=2, runner=runner)
    try:
        mine = threading.Event()
        futures = [pool.submit("print(1)", cancel=mine), pool.submit("print(2)")]
        assert _wait_for(lambda: pool.stats()["running"] == 2)
        started = time.monotonic()
        assert pool.kill_running() == 2
        assert [f.result(5) for f in futures] == ["killed", "killed"]
        assert time.monotonic() - started < 2 and mine.is_set()  # the caller's own event
        assert _wait_for(lambda: pool.stats()["running"] == 0)
        assert pool.kill_running() == 0
    finally:
        pool.shutdown(kill_running=True)

"""The queue's price and what a second worker buys, on this machine.

1. Latency: one `print(2 + 2)` run through the queue (FleetPool -> Redis -> a worker -> run() ->
   Redis -> the caller) against the same run through `run()` in this process, on the same engine,
   interleaved so that a noisy machine slows each alike. Reported as medians and their ratio.
2. A burst of N runs (`print(2 + 2)`, all at once) through one worker, then through two workers,
   each worker with the same concurrency, both on this machine's engine.

Redis is Debian's redis-server on a unix socket (docker/private-engine.sh redis finds or fetches
it), workers are `python -m sandbox worker` processes; everything is stopped by its own pid.
On a machine with 2 cores a second worker on the same engine adds no CPU: the burst says what the
queue's parallelism costs or gains here, not what a second machine would (that needs a second
engine on a second host: docs/scale.md).

    python benchmarks/fleet.py [--runs 10] [--burst 16] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sandbox import PROFILES, run
from sandbox.fleet import FleetPool

ROOT = Path(__file__).resolve().parents[1]
CODE = "print(2 + 2)"


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = subprocess.run(
        ["bash", str(ROOT / "docker" / "private-engine.sh"), "redis"], capture_output=True, text=True, check=True
    ).stdout.strip()
    password, sock = uuid.uuid4().hex, folder / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            password,
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, f"unix://:{password}@{sock}"


def start_worker(broker: str, name: str, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "worker",
            "--broker",
            broker,
            "--name",
            name,
            "--concurrency",
            str(concurrency),
            "--max-run-s",
            "20",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_for_workers(pool: FleetPool, names: set[str]) -> None:
    deadline = time.monotonic() + 60
    while {w["name"] for w in pool.workers_answering()} != names:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers {names} did not answer")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def burst(pool: FleetPool, n: int) -> float:
    began = time.monotonic()
    futures = [pool.submit(CODE, PROFILES["hardened"]) for _ in range(n)]
    results = [f.result(timeout=300) for f in futures]
    took = time.monotonic() - began
    assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    return took


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--burst", type=int, default=16)
    p.add_argument("--concurrency", type=int, default=2)
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="safe-python-bench-queue-"))
    redis, broker = start_redis(folder)
    workers = [start_worker(broker, "bench-1", args.concurrency)]
    try:
        pool = FleetPool(broker, workers=2 * args.concurrency, queue=args.burst)
        wait_for_workers(pool, {"bench-1"})
        run(CODE)
        pool.submit(CODE, PROFILES["hardened"]).result(timeout=60)  # both paths warmed
        local, queued = [], []
        for _ in range(args.runs):
            began = time.monotonic()
            assert run(CODE).ok
            local.append(time.monotonic() - began)
            began = time.monotonic()
            assert pool.submit(CODE, PROFILES["hardened"]).result(timeout=60).ok
            queued.append(time.monotonic() - began)
        lm, qm = statistics.median(local), statistics.median(queued)
        print(
            f"one run, {args.runs} each, interleaved: local run() p50 {lm * 1000:.0f} ms, through the queue p50 "
            f"{qm * 1000:.0f} ms, ratio {qm / lm:.2f} (queue overhead {1000 * (qm - lm):+.0f} ms)"
        )
        one = burst(pool, args.burst)
        workers.append(start_worker(broker, "bench-2", args.concurrency))
        wait_for_workers(pool, {"bench-1", "bench-2"})
        two = burst(pool, args.burst)
        print(
            f"burst of {args.burst} runs, {args.concurrency} at once per worker, one engine, {os.cpu_count()} CPUs: "
            f"one worker {one:.1f} s ({args.burst / one:.1f} runs/s), two workers {two:.1f} s "
            f"({args.burst / two:.1f} runs/s), speed-up {one / two:.2f}x"
        )
        pool.shutdown()
    finally:
        for worker in workers:
            stop(worker)
        redis.kill()
        redis.wait(10)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()

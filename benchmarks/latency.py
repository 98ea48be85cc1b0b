"""What a run costs: a cold `run()`, a `run()` through a warm pool, and a bare docker SDK call.

All three use the same engine, image and hardened flags, in one process, interleaved so that a
noisy machine slows each alike; the figures that matter are the ratios against the bare call.

- cold: `run("print(2 + 2)")` with no pool open: create, attach, start, deliver, wait, remove.
- pool: the same call while a `WarmPool` is open: the container was started before the code
  arrived, so the run pays for delivery, the program and the removal (which happens afterwards
  off the clock of the next run only in the sense that the pool refills in the background).
- bare: create, start, wait, logs and remove through the docker SDK's low-level API, with the
  kit's flags for the hardened profile and `python3 -c` as the command (no supervisor, no cap
  on output, no facts).

Then, where the engine has gVisor's runsc, the gvisor profile against hardened (runc): a
cold run of each, interleaved, and the cost of one system call inside (os.getppid in a loop,
timed by the program's monotonic clock). `make bench` runs that part on the kit's private
Docker 26, which has runsc; --runtimes runs only it.

Then, unless --no-http, a burst against the real server on loopback: N requests from C clients
at once, with the server's warm pool on and off, reporting the wall time and request latency.

    python benchmarks/latency.py [--runs 20] [--burst 100] [--clients 20] [--no-http] [--runtimes]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import statistics
import time
import urllib.request
from collections.abc import Callable

from sandbox import (
    IMAGE,
    PROFILES,
    WarmPool,
    check_image,
    container_options,
    create_container,
    engine_client,
    engine_runtimes,
    labels,
    run,
)

CODE = "print(2 + 2)"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float], baseline: list[float]) -> str:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return (
        f"{name:24}{p50 * 1000:9.1f}{p95 * 1000:9.1f}{statistics.mean(values) * 1000:9.1f}"
        f"{p50 / percentile(baseline, 50):9.2f}x{p95 / percentile(baseline, 95):8.2f}x"
    )


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def bare_call(client) -> Callable[[], None]:
    """The baseline: `print(2 + 2)` with the hardened flags through the docker SDK alone."""
    options = container_options(
        PROFILES["hardened"],
        image=IMAGE,
        command=["python3", "-I", "-u", "-c", CODE],
        labels=labels("bench"),
    )
    api = client.api

    def bare() -> None:
        # What containers.run(remove=True) does, through the low-level API, since the kit's
        # options carry host-config fields (masked paths) the high-level call does not take.
        container = create_container(options, client)
        try:
            api.start(container)
            api.wait(container)
            assert api.logs(container).decode() == "4\n"
        finally:
            api.remove_container(container, force=True)

    return bare


def single_runs(runs: int) -> None:
    client = engine_client()
    check_image()
    hardened = PROFILES["hardened"]
    bare = bare_call(client)

    def kit() -> None:
        result = run(CODE, hardened)
        assert result.stdout == "4\n", result

    kit(), bare()  # the first of each pays for the page cache and seccomp set-up
    # The pool is kept for limits that differ from the cold runs' only in the host-side clock
    # (not a container flag), so a cold run never finds a pooled container and both get the
    # same flags.
    pool_limits = hardened.replace(timeout_s=hardened.timeout_s + 1)

    def from_pool() -> None:
        result = run(CODE, pool_limits)
        assert result.stdout == "4\n", result

    cold, pooled, plain = [], [], []
    with WarmPool(size=2, limits=[pool_limits]) as warm:
        warm.wait_ready(timeout_s=120)
        for _ in range(runs):
            plain.append(timed(bare))
            cold.append(timed(kit))
            warm.wait_ready(timeout_s=120)  # the pool is full again, as a quiet server's is
            taken = warm.stats()["taken"]
            pooled.append(timed(from_pool))
            assert warm.stats()["taken"] == taken + 1, "the pooled run did not use the pool"
    print(f"one run at a time: {runs} of each, interleaved, hardened flags, engine {client.version()['Version']}")
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50/bare':>10}{'p95/bare':>9}")
    print(row("bare docker SDK", plain, plain))
    print(row("sandbox.run cold", cold, plain))
    print(row("sandbox.run warm pool", pooled, plain))
    print(
        f"pool against cold: p50 {percentile(pooled, 50) / percentile(cold, 50):.2f}x, "
        f"p95 {percentile(pooled, 95) / percentile(cold, 95):.2f}x"
    )


SYSCALLS = 20000
SYSCALL_CODE = (
    f"import os, time\nt = time.monotonic_ns()\nfor _ in range({SYSCALLS}): os.getppid()\n"
    f"print((time.monotonic_ns() - t) / {SYSCALLS})"
)


def runtimes(runs: int) -> None:
    """hardened (runc) against gvisor (runsc): start-up and one system call, interleaved."""
    if "runsc" not in engine_runtimes():
        print(
            "\ngvisor: not measured here: this engine has no runsc "
            "(make bench measures it on the kit's private Docker 26)"
        )
        return
    check_image()
    profiles = {"hardened (runc)": PROFILES["hardened"], "gvisor (runsc)": PROFILES["gvisor"]}
    starts: dict[str, list[float]] = {name: [] for name in profiles}
    calls: dict[str, list[float]] = {name: [] for name in profiles}
    for limits in profiles.values():
        run(CODE, limits)  # the first of each pays for the page cache
    for _ in range(runs):
        for name, limits in profiles.items():
            # Bound now: the lambda is called at once, but a loop variable is read when called.
            starts[name].append(timed(lambda limits=limits: _expect(run(CODE, limits), "4")))
            calls[name].append(float(_expect(run(SYSCALL_CODE, limits))) / 1000)  # row() shows x1000
    base = "hardened (runc)"
    print(f"\nruntimes: {runs} cold runs of each, interleaved, engine {engine_client().version()['Version']}")
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50/runc':>10}{'p95/runc':>9}")
    for name in profiles:
        print(row(f"start, {name}", starts[name], starts[base]))
    print(f"{'':24}{'p50 ns':>9}{'p95 ns':>9}{'mean ns':>9}{'p50/runc':>10}{'p95/runc':>9}")
    for name in profiles:
        print(row(f"getppid, {name}", calls[name], calls[base]))
    gvisor = "gvisor (runsc)"
    print(
        f"gvisor against runc: start-up p50 {percentile(starts[gvisor], 50) / percentile(starts[base], 50):.2f}x, "
        f"one system call p50 {percentile(calls[gvisor], 50) / percentile(calls[base], 50):.1f}x"
    )


def _expect(result, stdout: str | None = None) -> str:
    assert result.status == "ok", result.message
    if stdout is not None:
        assert result.stdout.strip() == stdout, result.stdout
    return result.stdout.strip()


def _post_run(url: str, statuses: list[int], latencies: list[float], _: int) -> None:
    """One client's POST /run: its status and its latency, appended to the burst's lists."""
    body = json.dumps({"code": CODE}).encode()
    request = urllib.request.Request(url + "/run", data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            statuses.append(answer.status)
    except urllib.error.HTTPError as refused:
        statuses.append(refused.code)
    latencies.append(time.perf_counter() - started)


def http_burst(requests: int, clients: int) -> None:
    from server import ServerProcess

    print(f"\nHTTP burst: {requests} POST /run from {clients} clients at once, on loopback")
    print(f"{'':24}{'wall s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ok':>6}{'429':>6}")
    for warm in (0, 4):
        server = ServerProcess("--workers", "4", "--queue", str(requests), "--warm", str(warm))
        server.start()
        try:
            if warm:
                _wait_warm(server.url, warm)
            latencies: list[float] = []
            statuses: list[int] = []
            one = functools.partial(_post_run, server.url, statuses, latencies)
            began = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(clients) as executor:
                list(executor.map(one, range(requests)))
            wall = time.perf_counter() - began
            name = f"server --warm {warm}" if warm else "server, no pool"
            print(
                f"{name:24}{wall:9.1f}{percentile(latencies, 50) * 1000:9.0f}"
                f"{percentile(latencies, 95) * 1000:9.0f}{statuses.count(200):6}{statuses.count(429):6}"
            )
        finally:
            server.stop()


def _wait_warm(url: str, size: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/health", timeout=10) as answer:
            if json.load(answer)["warm"]["idle"] >= size:
                return
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burst", type=int, default=100, help="requests in the HTTP burst")
    parser.add_argument("--clients", type=int, default=20, help="clients sending the burst at once")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP burst")
    parser.add_argument("--runtimes", action="store_true", help="only hardened against gvisor")
    args = parser.parse_args()
    if args.runtimes:
        runtimes(args.runs)
        return
    single_runs(args.runs)
    runtimes(args.runs)
    if not args.no_http:
        http_burst(args.burst, args.clients)


if __name__ == "__main__":
    main()

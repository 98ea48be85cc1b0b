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

Then the canonical exercise of the science stack (docs/science.md), cold and through a warm
pool, interleaved with the same bare `print(2 + 2)` as its baseline: import numpy, pandas, scipy
and matplotlib, read a data.csv (1,000 rows) given with `run(..., files=...)`, a 300x300 matrix
product, a pandas groupby, and a bar chart shown with `plt.show()`, which the image's backend
saves as out/figure-1.png (so `result.files` holds it). With it, the exercise's peak memory, CPU
time and program time (`result.usage`), and the Python image's size as the engine reports it,
beside the size it had without the stack (142 MB, measured when the stack was added; not rebuilt
here). Five rounds by default: each takes about seven seconds at the hardened half CPU.

Then, where the engine has gVisor's runsc, the gvisor profile against hardened (runc): a
cold run of each, interleaved, and the cost of one system call inside (os.getppid in a loop,
timed by the program's monotonic clock). `make bench` runs that part on the kit's private
Docker 26, which has runsc; --runtimes runs only it.

Then, unless --no-http, a burst against the real server on loopback: N requests from C clients
at once, with the server's warm pool on and off, reporting the wall time and request latency.

    python benchmarks/latency.py [--runs 20] [--exercise-runs 5] [--burst 100] [--clients 20]
                                 [--no-http] [--runtimes]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import random
import statistics
import time
import urllib.request
from collections.abc import Callable

from sandbox import (
    IMAGE,
    PROFILES,
    Limits,
    Usage,
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


def spread(values: list[float], digits: int = 1) -> str:
    """The p50 with the lowest and highest beside it: `80.3 (78.1-83.0)`; `n/a` for none."""
    if not values:
        return "n/a"  # this kernel or engine does not keep the figure
    return f"{percentile(values, 50):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


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
    # The baseline is what a user of the SDK gets with the same flags as `docker run --network
    # none`: the engine's own network set-up. Disabling it (and binding /etc/hosts) is the kit's
    # own saving, measured against this.
    options.pop("network_disabled", None)
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


# The canonical exercise (docs/science.md): what a learner's first data lesson does with the stack.
EXERCISE = """
import numpy as np, pandas as pd, scipy, scipy.linalg, matplotlib.pyplot as plt
frame = pd.read_csv("data.csv")
a = np.random.default_rng(0).random((300, 300))
product = a @ a.T
means = frame.groupby("group")["value"].mean()
fig, ax = plt.subplots()
ax.bar(means.index, means.values)
ax.set_title(f"trace {np.trace(product):.0f}, det sign {np.sign(scipy.linalg.det(a)):.0f}")
plt.show()
print(len(means))
"""
# Without the stack, the Python image was 142 MB (docs/science.md's measurement, in docker's MB).
IMAGE_MB_WITHOUT_STACK = 142


def exercise_csv(rows: int = 1000, groups: int = 5) -> str:
    """The exercise's data.csv: `rows` values in `groups` groups, the same every time."""
    rng = random.Random(0)
    lines = ["group,value"] + [f"{rng.randrange(groups)},{rng.random():.6f}" for _ in range(rows)]
    return "\n".join(lines) + "\n"


def exercise_runs(runs: int) -> None:
    """The canonical exercise cold and through a warm pool, against the bare `print(2 + 2)`."""
    client = engine_client()
    check_image()
    hardened = PROFILES["hardened"]
    bare = bare_call(client)
    files = {"data.csv": exercise_csv()}
    pool_limits = hardened.replace(timeout_s=hardened.timeout_s + 1)  # as in single_runs
    usage: dict[str, list[Usage]] = {"cold": [], "warm pool": []}

    def exercise(limits: Limits, kept: list[Usage]) -> None:
        result = run(EXERCISE, limits, files=files)
        assert result.status == "ok", (result.status, result.message, result.stderr[-800:])
        assert result.stdout == "5\n", result.stdout
        assert result.files["figure-1.png"].type == "image/png", result.files
        kept.append(result.usage)

    # The first of each pays for the page cache: the stack's files are read from the image here.
    exercise(hardened, []), bare()
    cold, pooled, plain = [], [], []
    with WarmPool(size=1, limits=[pool_limits]) as warm:
        warm.wait_ready(timeout_s=120)
        for _ in range(runs):
            plain.append(timed(bare))
            cold.append(timed(lambda: exercise(hardened, usage["cold"])))
            warm.wait_ready(timeout_s=120)  # the pool is full again, as in single_runs
            taken = warm.stats()["taken"]
            pooled.append(timed(lambda: exercise(pool_limits, usage["warm pool"])))
            assert warm.stats()["taken"] == taken + 1, "the pooled run did not use the pool"
    print(
        f"\nthe canonical exercise (docs/science.md): {runs} rounds, interleaved with the bare "
        f"print(2 + 2), hardened flags, engine {client.version()['Version']}"
    )
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50/bare':>10}{'p95/bare':>9}")
    print(row("bare docker SDK", plain, plain))
    print(row("exercise cold", cold, plain))
    print(row("exercise warm pool", pooled, plain))
    print(f"pool against cold: p50 {percentile(pooled, 50) / percentile(cold, 50):.2f}x")
    # CPU is the whole container's (the supervisor's start included, and for a warm box its
    # wait); program is the program's own time, from its start to its end.
    for name, done in usage.items():
        peak = [u.peak_mib for u in done if u.peak_mib is not None]
        cpu = [u.cpu_s for u in done if u.cpu_s is not None]
        wall = [u.wall_s for u in done if u.wall_s is not None]
        print(
            f"exercise {name}, p50 (lowest-highest): peak {spread(peak)} MiB of "
            f"{hardened.memory_mib}, CPU {spread(cpu, 2)} s, program {spread(wall, 2)} s"
        )
    size_mb = client.api.inspect_image(IMAGE)["Size"] / 1e6  # docker's MB, as `docker image ls` shows
    print(
        f"image {IMAGE}: {size_mb:.0f} MB (docker image inspect); {IMAGE_MB_WITHOUT_STACK} MB "
        f"without the science stack (docs/science.md, not rebuilt): "
        f"{size_mb / IMAGE_MB_WITHOUT_STACK:.2f}x"
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
    parser.add_argument("--exercise-runs", type=int, default=5, help="rounds of the canonical exercise (0: skip it)")
    parser.add_argument("--burst", type=int, default=100, help="requests in the HTTP burst")
    parser.add_argument("--clients", type=int, default=20, help="clients sending the burst at once")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP burst")
    parser.add_argument("--runtimes", action="store_true", help="only hardened against gvisor")
    args = parser.parse_args()
    if args.runtimes:
        runtimes(args.runs)
        return
    single_runs(args.runs)
    if args.exercise_runs:
        exercise_runs(args.exercise_runs)
    runtimes(args.runs)
    if not args.no_http:
        http_burst(args.burst, args.clients)


if __name__ == "__main__":
    main()

"""Who spends a run's time: latency against the bare SDK and epicbox, CPU by process, the ceiling.

Three parts, all `print(2 + 2)` with the kit's hardened flags, on the engine `DOCKER_HOST` names:

- **latency**, interleaved round by round so that a noisy machine slows each alike: the bare
  docker SDK call (create, start, wait, logs, remove, as in latency.py), the kit's cold `run()`,
  a `run()` through a `WarmPool` (its container started and its interpreter waiting for the code),
  and epicbox 1.1 where it is installed in a venv of its own (`EPICBOX_PYTHON`, by default
  /tmp/epicbox-venv/bin/python; it pins docker<7, so it cannot share the kit's):

      python3 -m venv /tmp/epicbox-venv
      /tmp/epicbox-venv/bin/pip install epicbox==1.1.0 "docker<7" "urllib3<2" "requests<2.32"

  epicbox runs in a child process of that venv, which times each of its runs itself.
- **CPU by process**, in blocks of runs of each kind: what dockerd and containerd spent (their
  /proc/PID/stat), the shims (containerd-shim-runc-v2, one per container) and the runtime they
  start (runc, and any hook it runs: counted in the shim's reaped children), the container (its
  cgroup v1 `cpuacct.usage`), and the client's process (this one, or epicbox's child). A sampler
  reads those every 10 ms and keeps, per container, the highest count seen, so a process that
  exits loses its last few ms: the shims' and containers' figures are lower bounds. dockerd and
  containerd serve every client of the engine: on a shared engine their figures include others'
  work (the lines say the machine's load). Warm runs count the pool's refill: each run
  costs a container started in the background, which is the same work as a cold start.
- **burst**: `--burst` runs from 4 threads at once, cold, against the same bare call from 4
  threads: runs per second, and the ceiling that CPU per run implies (runs per second per core).

    python benchmarks/costs.py [--runs 12] [--cpu-runs 8] [--burst 24]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import multiprocessing
import multiprocessing.connection
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from latency import bare_call, percentile, timed  # type: ignore[import-not-found]

from sandbox import IMAGE, PROFILES, SESSION, WarmPool, check_image, engine_client, run

CODE = "print(2 + 2)"
EPICBOX_PYTHON = os.environ.get("EPICBOX_PYTHON", "/tmp/epicbox-venv/bin/python")
TICK = os.sysconf("SC_CLK_TCK")
ENGINE = ("dockerd", "containerd")

# epicbox's side: one run per line on stdin, its seconds (timed in there) on stdout.
EPICBOX_WORKER = """
import os, sys, time, epicbox
image, uid = sys.argv[1], sys.argv[2]
profile = epicbox.Profile("python", image, user=uid, read_only=True, network_disabled=True)
epicbox.configure(profiles=[profile], docker_url=os.environ.get("DOCKER_HOST"))  # else it takes the default socket
for line in sys.stdin:
    began = time.perf_counter()
    out = epicbox.run("python", "python3 -I -u -c 'print(2 + 2)'", limits={"cputime": 10, "memory": 128})
    assert out["stdout"] == b"4\\n", out
    print(time.perf_counter() - began, flush=True)
"""


class Epicbox:
    """epicbox in its own venv, as a child process that runs one program per request."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [EPICBOX_PYTHON, "-c", EPICBOX_WORKER, IMAGE, "10000:10000"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    @staticmethod
    def available() -> bool:
        if not Path(EPICBOX_PYTHON).exists():
            return False
        return subprocess.run([EPICBOX_PYTHON, "-c", "import epicbox"], capture_output=True).returncode == 0


def cpu_of(pid: int | str) -> tuple[float, float]:
    """(own CPU, reaped children's CPU) of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / TICK
    children = (int(fields[13]) + int(fields[14])) / TICK
    return own, children


def serving_engine() -> set[int]:
    """The pids of the dockerd that DOCKER_HOST reaches (a private engine names its socket on its
    command line; the system's does not) and of the containerd it started."""
    socket = os.environ.get("DOCKER_HOST", "").removeprefix("unix://")
    daemons = {}
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            lines = dict(line.split(":\t", 1) for line in Path(status).read_text().splitlines() if ":\t" in line)
            pid = int(status.split("/")[2])
            if lines["Name"].strip() in ENGINE:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                daemons[pid] = (lines["Name"].strip(), int(lines["PPid"]), command)
        except (OSError, KeyError, ValueError):
            continue
    dockerd = {
        pid
        for pid, (name, _, command) in daemons.items()
        if name == "dockerd" and ((socket and socket in command) or (not socket and "--host" not in command))
    }
    return dockerd | {pid for pid, (name, parent, _) in daemons.items() if name == "containerd" and parent in dockerd}


class Sampler:
    """Every 10 ms: the engine's processes, each shim (by its container's id) and each container's
    cgroup; the highest figure seen per container is kept, since both vanish with it."""

    def __init__(self) -> None:
        self.shims: dict[str, tuple[float, float]] = {}  # container id -> (shim's own, runc & hooks)
        self.cgroups: dict[str, float] = {}  # container id -> the container's CPU seconds
        self.comm: dict[int, tuple[str, str]] = {}  # pid -> (name, container id of a shim)
        self._stop = threading.Event()
        self._sample()  # the engine's processes are known before the first block
        self.serving = serving_engine()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def engine(self) -> dict[str, tuple[float, float]]:
        found = {}
        for pid, (name, _) in list(self.comm.items()):
            if name in ENGINE and pid in self.serving:
                try:
                    own, children = cpu_of(pid)
                except OSError:
                    continue
                were = found.get(name, (0.0, 0.0))
                found[name] = (were[0] + own, were[1] + children)
        return found

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            self._sample()

    def _sample(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            if pid not in self.comm:
                try:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    args = (
                        Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if name.startswith("containerd-") else []
                    )
                except OSError:
                    continue
                ident = args[args.index(b"-id") + 1].decode() if b"-id" in args else ""
                self.comm[pid] = (name, ident)
            name, ident = self.comm[pid]
            if ident:
                try:
                    self.shims[ident] = max(self.shims.get(ident, (0.0, 0.0)), cpu_of(pid), key=sum)
                except OSError:
                    pass
        for usage in glob.glob("/sys/fs/cgroup/cpuacct/*/[0-9a-f]*/cpuacct.usage"):
            ident = usage.rsplit("/", 2)[1]
            if len(ident) == 64:
                try:
                    self.cgroups[ident] = max(self.cgroups.get(ident, 0.0), int(Path(usage).read_text()) / 1e9)
                except (OSError, ValueError):
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _serve(conn: multiprocessing.connection.Connection) -> None:
    sampler = Sampler()
    while conn.recv():
        conn.send((sampler.engine(), dict(sampler.shims), dict(sampler.cgroups)))
    sampler.stop()


class RemoteSampler:
    """The sampler in a child process of its own, so that its CPU is not counted as the client's."""

    def __init__(self) -> None:
        self._conn, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(target=_serve, args=(theirs,), daemon=True)
        self._process.start()

    def snapshot(self) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]], dict[str, float]]:
        self._conn.send(True)
        return self._conn.recv()

    def stop(self) -> None:
        self._conn.send(False)
        self._process.join(timeout=10)


def ours(since: float, until: float) -> set[str]:
    """The containers this benchmark created in the window: the kit's session, or epicbox's."""
    events = engine_client().api.events(
        since=int(since) - 1, until=int(until) + 2, filters={"type": "container", "event": "create"}, decode=True
    )
    found = set()
    for event in events:
        attributes = event.get("Actor", {}).get("Attributes", {})
        if attributes.get("org.safe-python.session") == SESSION or attributes.get("name", "").startswith("epicbox-"):
            found.add(event["Actor"]["ID"])
    return found


def cpu_block(
    sampler: RemoteSampler, call: Callable[[], object], runs: int, client_pid: int | None
) -> dict[str, float]:
    """ms of CPU per run, by who spent it, over `runs` back-to-back calls."""
    (engine_before, _, _), self_before = sampler.snapshot(), own_cpu()
    client_before = sum(cpu_of(client_pid)) if client_pid else 0.0
    began = time.time()
    for _ in range(runs):
        call()
    time.sleep(0.1)  # the last shim's exit
    ended = time.time()
    (engine_after, shim_cpu, cgroup_cpu), self_after = sampler.snapshot(), own_cpu()
    ids = ours(began, ended)
    shims = [shim_cpu.get(i, (0.0, 0.0)) for i in ids]
    split = {
        name: sum(engine_after.get(name, (0.0, 0.0))) - sum(engine_before.get(name, (0.0, 0.0))) for name in ENGINE
    }
    split["shims"] = sum(own for own, _ in shims)
    split["runc"] = sum(children for _, children in shims)
    split["container"] = sum(cgroup_cpu.get(i, 0.0) for i in ids)
    split["client"] = self_after - self_before
    if client_pid:
        split["client"] += sum(cpu_of(client_pid)) - client_before
    split = {name: 1000 * value / runs for name, value in split.items()}
    split["total"] = sum(split.values())
    split["containers"] = len(ids) / runs
    return split


def own_cpu() -> float:
    return sum(cpu_of("self"))


def burst(call: Callable[[], object], runs: int, threads: int = 4) -> float:
    """Runs per second with `threads` callers at once."""
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as executor:
        list(executor.map(lambda _: call(), range(runs)))
    return runs / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="interleaved rounds of latency")
    parser.add_argument("--cpu-runs", type=int, default=8, help="runs of each kind for the CPU split")
    parser.add_argument("--burst", type=int, default=24, help="runs in each burst (0: skip)")
    args = parser.parse_args()
    client = engine_client()
    check_image()
    hardened = PROFILES["hardened"]
    pool_limits = hardened.replace(timeout_s=hardened.timeout_s + 1)  # as in latency.py: a cold run never finds it
    bare = bare_call(client)
    epicbox = Epicbox() if Epicbox.available() else None
    load = os.getloadavg()[0]

    def kit(limits=hardened) -> None:
        result = run(CODE, limits)
        assert result.stdout == "4\n", result

    kinds: dict[str, Callable[[], object]] = {"bare docker SDK": bare, "sandbox.run cold": kit}
    times: dict[str, list[float]] = {name: [] for name in [*kinds, "sandbox.run warm", "epicbox 1.1"]}
    sampler = None
    try:
        with WarmPool(size=1, limits=[pool_limits]) as warm:
            warm.wait_ready(timeout_s=120)
            kit(), bare(), kit(pool_limits)  # the first of each pays for the page cache
            epicbox() if epicbox else None
            for _ in range(args.runs):
                for name, call in kinds.items():
                    times[name].append(timed(call))
                warm.wait_ready(timeout_s=120)
                times["sandbox.run warm"].append(timed(lambda: kit(pool_limits)))
                if epicbox:
                    times["epicbox 1.1"].append(epicbox())
            if epicbox is None:
                del times["epicbox 1.1"]
            version = client.version()["Version"]
            print(
                f"costs: print(2 + 2), hardened flags, engine {version}, load average {load:.1f} "
                f"on {os.cpu_count()} CPUs; {args.runs} interleaved rounds"
            )
            bare_p50 = percentile(times["bare docker SDK"], 50)
            epic_p50 = percentile(times["epicbox 1.1"], 50) if epicbox else None
            print(f"{'':20}{'p50 ms':>9}{'p95 ms':>9}{'/bare':>8}{'/epicbox':>10}")
            for name, values in times.items():
                p50 = percentile(values, 50)
                against = f"{p50 / epic_p50:9.2f}x" if epic_p50 else f"{'n/a':>10}"
                print(f"{name:20}{p50 * 1000:9.1f}{percentile(values, 95) * 1000:9.1f}{p50 / bare_p50:7.2f}x{against}")
            if epicbox is None:
                print(f"epicbox: not measured: no epicbox at {EPICBOX_PYTHON} (see benchmarks/costs.py)")

            def from_pool() -> None:
                warm.wait_ready(timeout_s=120)  # a refill is part of what a warm run costs
                kit(pool_limits)

            sampler = RemoteSampler()  # only now: its own CPU would slow the latency rounds
            blocks: dict[str, tuple[Callable[[], object], int | None]] = {
                "bare docker SDK": (bare, None),
                "sandbox.run cold": (kit, None),
                "sandbox.run warm": (from_pool, None),
            }
            if epicbox:
                blocks["epicbox 1.1"] = (epicbox, epicbox.process.pid)
            split = {name: cpu_block(sampler, call, args.cpu_runs, pid) for name, (call, pid) in blocks.items()}
            from_pool()  # the last refill
    finally:
        if sampler is not None:
            sampler.stop()
        if epicbox:
            epicbox.close()
    columns = ["dockerd", "containerd", "shims", "runc", "container", "client", "total"]
    print(f"\nCPU ms per run by process, {args.cpu_runs} runs of each (shims, runc, container: lower bounds)")
    print(f"{'':20}" + "".join(f"{c:>11}" for c in columns) + f"{'/bare':>8}")
    for name, figures in split.items():
        cells = "".join(f"{figures[c]:11.1f}" for c in columns)
        print(f"{name:20}{cells}{figures['total'] / split['bare docker SDK']['total']:7.2f}x")
    cold_cpu = split["sandbox.run cold"]["total"] / 1000
    print(
        f"ceiling at this CPU per cold run: {1 / cold_cpu:.1f} runs/s per core, "
        f"{os.cpu_count() / cold_cpu:.1f} on this machine's {os.cpu_count()} CPUs"
    )
    if args.burst:
        bare_rate = burst(bare, args.burst)
        kit_rate = burst(kit, args.burst)
        print(
            f"burst of {args.burst} from 4 threads: bare docker SDK {bare_rate:.1f} runs/s, "
            f"sandbox.run cold {kit_rate:.1f} runs/s ({kit_rate / bare_rate:.2f}x)"
        )


if __name__ == "__main__":
    main()

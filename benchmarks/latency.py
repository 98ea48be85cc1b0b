"""How much does the kit cost per run? `run("print(2 + 2)")` against a bare docker SDK call.

Both sides use the same engine, image and hardened flags, in the same process, interleaved so
that a noisy machine slows both alike. The baseline is `client.containers.run(..., remove=True)`:
create, start, wait, read logs, remove. The kit adds streaming with a cap, a host-side clock,
inspect for OOMKilled and a forced removal.

    python benchmarks/latency.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sandbox import IMAGE, PROFILES, check_image, container_options, engine_client, labels, run

CODE = "print(2 + 2)"


def bare_run(client, options) -> str:
    return client.containers.run(**options).decode()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    client = engine_client()
    check_image()
    options = container_options(PROFILES["hardened"], image=IMAGE,
                                command=["python3", "-I", "-u", "-c", CODE], labels=labels("bench"))
    options.update(detach=False, remove=True, stdout=True, stderr=True)

    # Warm-up: the first run of each pays for page cache and seccomp compilation.
    assert run(CODE).stdout == "4\n" and bare_run(client, options) == "4\n"

    kit, bare = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        assert run(CODE).stdout == "4\n"
        kit.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert bare_run(client, options) == "4\n"
        bare.append(time.perf_counter() - t)

    print(f"runs: {args.runs} each, interleaved, same flags (hardened profile), engine {client.version()['Version']}")
    print(f"{'':22}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name, values in (("sandbox.run", kit), ("docker containers.run", bare)):
        print(f"{name:22}{percentile(values, 50) * 1000:10.1f}{percentile(values, 95) * 1000:10.1f}"
              f"{statistics.mean(values) * 1000:10.1f}")
    print(f"ratio sandbox/bare: p50 {percentile(kit, 50) / percentile(bare, 50):.2f}x, "
          f"p95 {percentile(kit, 95) / percentile(bare, 95):.2f}x")


if __name__ == "__main__":
    main()

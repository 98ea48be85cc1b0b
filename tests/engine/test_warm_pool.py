"""The warm pool against the real engine: pre-started, used once, nothing shared, nothing left.

A pooled run is told apart from a cold one by the pool's own count of boxes taken and by the
container's role label ("warm"), never by how fast it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox import IMAGE, PROFILES, WarmPool, cleanup, engine, leftovers, run
from sandbox.lab import catalog

REPO = Path(__file__).resolve().parents[2]
HARDENED = PROFILES["hardened"]


def _warm_containers(session: str) -> list[dict]:
    return [c for c in leftovers(session=session) if c["role"] == "warm"]


@pytest.fixture
def pool():
    with WarmPool(size=2) as opened:
        assert opened.wait_ready(timeout_s=120), opened.stats()
        yield opened
    assert _warm_containers(engine.SESSION) == [], "closing the pool left a waiting container"


def test_a_run_takes_a_waiting_container_and_it_is_replaced(pool):
    before = {c["name"] for c in _warm_containers(engine.SESSION)}
    assert len(before) == 2
    result = run("print(2 + 2)")
    assert (result.status, result.stdout) == ("ok", "4\n")
    assert pool.stats()["taken"] == 1
    # The box it used is gone; the pool starts another in the background.
    assert pool.wait_ready(timeout_s=120)
    after = {c["name"] for c in _warm_containers(engine.SESSION)}
    assert len(after) == 2 and len(before - after) == 1
    assert not any(result.container_id and c.startswith(result.container_id) for c in after)


def test_a_run_sees_nothing_of_the_run_before_it(pool):
    first = run(
        "import os, subprocess\n"
        "open('/tmp/left-behind', 'w').write('secret of run one')\n"
        "os.environ['RUN_ONE'] = '1'\n"
        "subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        "print('run one', os.getpid())\n"
    )
    assert first.status == "ok", first.stderr
    second = run(
        "import os\n"
        "print(os.path.exists('/tmp/left-behind'), 'RUN_ONE' in os.environ)\n"
        "others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n"
        "print(sorted(open(f'/proc/{p}/cmdline').read().replace(chr(0), ' ') for p in others))\n"
    )
    assert second.status == "ok", second.stderr
    assert pool.stats()["taken"] == 2  # both came from the pool
    assert second.container_id != first.container_id
    files, processes = second.stdout.splitlines()
    assert files == "False False"
    assert "sleep" not in processes and "run one" not in second.stdout


def test_clocks_start_when_the_program_arrives():
    # The waiting container has been up for longer than the run's 2 s clock; the program still
    # gets its whole 2 s, and its duration counts from delivery.
    short_clock = HARDENED.replace(timeout_s=2)
    with WarmPool(size=1, limits=[short_clock]) as warm:
        assert warm.wait_ready(timeout_s=120), warm.stats()
        time.sleep(3)
        result = run("import time\ntime.sleep(0.5)\nprint('done')", short_clock)
        assert warm.stats()["taken"] == 1
    assert (result.status, result.stdout) == ("ok", "done\n"), result.stderr
    assert 0.5 <= result.duration_s < 3


def test_other_limits_get_a_container_of_their_own(pool):
    for limits in (HARDENED.without("pids"), HARDENED.replace(memory_mib=64), PROFILES["seed_hardened"]):
        result = run("print('own')", limits)
        assert (result.status, result.stdout, result.limits) == ("ok", "own\n", limits)
    # An environment is never given to a container started without it either.
    with_env = run("import os\nprint(os.environ['GREETING'])", env={"GREETING": "hi"})
    assert with_env.stdout == "hi\n"
    assert pool.stats()["taken"] == 0


def test_a_burst_larger_than_the_pool_falls_back_to_cold_starts(pool):
    results: dict[int, object] = {}

    def one(i: int) -> None:
        results[i] = run(f"print({i} * {i})")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert sorted(results) == list(range(6))
    for i, result in results.items():
        assert (result.status, result.stdout) == ("ok", f"{i * i}\n"), result
    assert len({r.container_id for r in results.values()}) == 6  # six containers, none reused
    assert 1 <= pool.stats()["taken"] <= 6


def test_idle_containers_are_replaced_after_their_lifetime():
    with WarmPool(size=1, max_idle_s=2) as short:
        assert short.wait_ready(timeout_s=120)
        first = {c["name"] for c in _warm_containers(engine.SESSION)}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            now = {c["name"] for c in _warm_containers(engine.SESSION)}
            if now and not (now & first) and short.started >= 2:
                break
            time.sleep(0.5)
        assert now and not (now & first), (first, now)
        assert short.started >= 2
    assert _warm_containers(engine.SESSION) == []


def test_the_hardened_attacks_are_contained_through_the_pool():
    attacks = [a for a in catalog.all_attacks() if a.image == "python" and a.wanted("hardened") == "contained"]
    kinds = sorted({a.limits("hardened") for a in attacks}, key=repr)
    with WarmPool(size=1, limits=kinds) as warm:
        assert warm.wait_ready(timeout_s=240), warm.stats()
        through_pool = 0
        for attack in attacks:
            taken = warm.stats()["taken"]
            outcome = catalog.run_attack(attack, "hardened")
            detail = f"{attack.name}: {outcome.verdict}: {outcome.evidence}"
            assert outcome.verdict == "contained", detail
            assert not outcome.surprises, detail + "\n" + "\n".join(outcome.surprises)
            through_pool += warm.stats()["taken"] - taken
            warm.wait_ready(timeout_s=120)  # the next attack finds its container waiting
    # Attacks that stage an environment or a host folder start their own; the rest use the pool.
    assert through_pool >= len(attacks) - 3, (through_pool, len(attacks))


CHILD = """
import sys, time
from sandbox import WarmPool
pool = WarmPool(size=2)
assert pool.wait_ready(timeout_s=120), pool.stats()
print('ready', flush=True)
time.sleep(600)
"""


def test_a_killed_owner_leaves_containers_the_reaper_removes(child_env):
    env = child_env()
    session = env["SANDBOX_SESSION"]
    owner = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert owner.stdout.readline().strip() == "ready", owner.stderr.read()
        assert len(_warm_containers(session)) == 2
        os.kill(owner.pid, signal.SIGKILL)  # no close(), no atexit: the process is gone
        owner.wait(timeout=30)
        left = _warm_containers(session)
        assert len(left) == 2 and all(c["orphan"] for c in left), left
        removed = cleanup()  # orphans only: their owner is dead
        assert removed["containers"] >= 2
        assert _warm_containers(session) == []
    finally:
        if owner.poll() is None:
            owner.kill()
        cleanup(session=session)


def test_a_pooled_container_has_exactly_a_cold_runs_options(pool):
    api = engine.client().api
    warm = [
        c
        for c in api.containers(
            filters={"label": [f"{engine.LABEL_SESSION}={engine.SESSION}", f"{engine.LABEL_ROLE}=warm"]}
        )
    ]
    assert warm
    from sandbox.lab.audit import check, engine_records, inspect_live

    cold_attrs, context = inspect_live(HARDENED, image=IMAGE)
    warm_attrs = api.inspect_container(warm[0]["Id"])
    # Each judged on its own engine records where inspect leaves facts out (Podman).
    warm_context = engine_records(context, api, warm[0]["Id"])

    # The same findings, evidence and all; only the run's own uid (a lease per run) differs.
    def findings(attrs, context):
        return [(f.id, f.status, f.evidence if f.id != "kit user" else "uid") for f in check(attrs, context)]

    assert findings(warm_attrs, warm_context) == findings(cold_attrs, context)
    varying = {
        "Name",
        "Id",
        "Created",
        "State",
        "NetworkSettings",
        "ResolvConfPath",
        "HostnamePath",
        "HostsPath",
        "LogPath",
        "MountLabel",
        "ProcessLabel",
        "GraphDriver",
        "Mounts",
    }
    for section in ("HostConfig",):
        cold, hot = dict(cold_attrs[section]), dict(warm_attrs[section])
        assert {k: v for k, v in hot.items() if k not in varying} == {k: v for k, v in cold.items() if k not in varying}


# What a program can see of how it was started, printed by the program itself. Its first two
# lines take the globals and the modules before the probe's own imports add to them; its ids
# are relative to its uid, which each run leases for itself.
PYTHON_PROBE = r"""
names = sorted(globals())
modules = sorted(__import__("sys").modules)
import json, os, sys, time
ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
age = float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
print(json.dumps({
    "names": names, "modules": modules, "name": __name__, "argv": sys.argv, "orig_argv": sys.orig_argv,
    "fds": sorted(os.listdir("/proc/self/fd")), "cwd": os.getcwd(), "env": dict(os.environ),
    "ids": [os.getgid() - os.getuid(), [g - os.getuid() for g in os.getgroups()]], "files": sorted(os.listdir(".")),
    "limits": open("/proc/self/limits").read(), "seccomp": open("/proc/self/status").read().split("Seccomp:")[1][:4],
    "frame": sys._getframe().f_code.co_filename,
    "age": age, "file_age": time.time() - os.stat("data.txt").st_ctime,
}))
"""
NODE_PROBE = r"""
const fs = require("fs");
console.log(JSON.stringify({
  fds: fs.readdirSync("/proc/self/fd"), cwd: process.cwd(), env: process.env, argv: process.argv,
  execArgv: process.execArgv, globals: Object.keys(globalThis).sort(), files: fs.readdirSync(".").sort(),
  filename: typeof __filename === "undefined" ? null : __filename,
}));
"""
FAILING = "x = 1\nprint(x / 0)"


def test_a_warm_boxs_program_was_started_ahead_and_shows_nothing_a_cold_run_does_not():
    """The warm box's interpreter waits for its code before the run arrives; once the code is
    there, the program sees what the same program sees cold: the environment, its open fds, the
    working directory and its files, argv, its uid and rlimits and seccomp, its globals and
    sys.modules, the file name in a traceback. Its usage counts from delivery, not from its start.
    Only the process's age tells the two apart, and that is how this test knows it was warm."""
    files = {"data.txt": "delivered"}
    warm: dict[str, object] = {}
    with WarmPool(size=1, languages=("python", "javascript")) as pool:
        assert pool.wait_ready(timeout_s=180), pool.stats()
        time.sleep(2)  # the programs wait for their code this long
        called = time.monotonic()
        warm["python"] = run(PYTHON_PROBE, files=files)
        call_s = time.monotonic() - called
        warm["javascript"] = run(NODE_PROBE, language="javascript", files=files)
        assert pool.wait_ready(timeout_s=120), pool.stats()
        warm["failing"] = run(FAILING)
        assert pool.stats()["taken"] == 3, pool.stats()
    cold = {
        "python": run(PYTHON_PROBE, files=files),
        "javascript": run(NODE_PROBE, language="javascript", files=files),
        "failing": run(FAILING),
    }
    for kind in ("python", "javascript"):
        assert (warm[kind].status, cold[kind].status) == ("ok", "ok"), (warm[kind].stderr, cold[kind].stderr)
    seen_warm, seen_cold = json.loads(warm["python"].stdout), json.loads(cold["python"].stdout)
    # Warm: started well before its file was delivered; cold: after it (within a clock tick).
    assert seen_warm["age"] - seen_warm["file_age"] > 1.0, seen_warm
    assert seen_cold["age"] - seen_cold["file_age"] < 0.5, seen_cold
    # The usage counts from delivery: none of the wait is in the program's wall time or the run's
    # duration. Each lies within the call, and the wall time is shorter than the process's age
    # (which it would exceed had it counted from the start). No bound here depends on speed. (Its
    # CPU counts the interpreter's start-up, as a cold run's does; the wait itself spends none.)
    usage = warm["python"].usage
    assert usage.wall_s <= call_s, (usage, call_s)
    assert usage.wall_s < seen_warm["age"], (usage, seen_warm["age"])
    assert warm["python"].duration_s <= call_s, (warm["python"].duration_s, call_s)
    for seen in (seen_warm, seen_cold):
        del seen["age"], seen["file_age"]
    assert seen_warm == seen_cold
    assert seen_cold["fds"] == ["0", "1", "2", "3"]  # 3: the listing's own
    assert json.loads(warm["javascript"].stdout) == json.loads(cold["javascript"].stdout)
    failed_warm, failed_cold = warm["failing"], cold["failing"]
    assert (failed_warm.status, failed_warm.exit_code, failed_warm.stderr) == (
        failed_cold.status,
        failed_cold.exit_code,
        failed_cold.stderr,
    )
    assert 'File "<string>", line 2, in <module>' in failed_cold.stderr

"""A real engine that dies in the middle of a run: a Docker daemon, and a Podman service.

A private engine (its own socket, data root and namespaces, no bridge, no iptables) gets a copy
of the images; the test kills it with SIGKILL while a program runs, as a crash or an OOM of the
daemon would. The run must end at once with EngineUnavailable (not hang, not a raw traceback),
and when the engine comes back the reaper removes the container it was holding.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from sandbox import EngineUnavailable, cleanup, engine, run

# It starts engines of its own and kills them: a test of the kit against a dying engine, not of
# the engine the rooms run on. The passes on the private engines deselect it
# (-m "... and not own_engine"): the main pass runs it, once per kind of engine.
pytestmark = pytest.mark.own_engine

PRIVATE_ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "private-engine.sh"


def _engine_answers(sock: str) -> bool:
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    try:
        return subprocess.run(["docker", "info"], env=env, capture_output=True, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False  # still restoring its containers


class PrivateDockerd:
    def __init__(self, root: str):
        self.root = root
        self.sock = f"{root}/docker.sock"
        self.pidfile = f"{root}/docker.pid"

    def start(self) -> None:
        # The child keeps its own copy of the log's descriptor; ours is closed once it is started.
        with open(f"{self.root}/dockerd.log", "ab") as log:
            self.process = subprocess.Popen(
                # Its own network namespace: a second dockerd would otherwise tidy away the host
                # engine's docker0 bridge (it manages the default bridge by name).
                [
                    "unshare",
                    "--net",
                    "dockerd",
                    "--host",
                    f"unix://{self.sock}",
                    "--data-root",
                    f"{self.root}/data",
                    "--exec-root",
                    f"{self.root}/exec",
                    "--pidfile",
                    self.pidfile,
                    "--bridge",
                    "none",
                    "--iptables=false",
                    "--ip-masq=false",
                ],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while not _engine_answers(self.sock):
            if time.monotonic() > deadline:
                raise RuntimeError(Path(f"{self.root}/dockerd.log").read_text()[-1500:])
            time.sleep(0.3)

    def pid(self) -> int:
        return int(open(self.pidfile).read())

    def crash(self) -> None:
        """SIGKILL the daemon and its containerd, as a crash of the whole engine would."""
        self.process.kill()
        self.process.wait()
        subprocess.run(["pkill", "-KILL", "-f", f"{self.root}/exec/containerd/containerd.toml"], capture_output=True)
        # A dead containerd may linger as a zombie under a parent that never reaps it; its
        # pidfile would make the next dockerd wait for it forever instead of starting a new one.
        for stale in (self.pidfile, f"{self.root}/exec/containerd/containerd.pid"):
            if os.path.exists(stale):
                os.remove(stale)

    def stop(self) -> None:
        """Stop it and leave nothing: containers, shims, mounts and files all go."""
        env = {**os.environ, "DOCKER_HOST": f"unix://{self.sock}"}
        if _engine_answers(self.sock):
            ids = subprocess.run(["docker", "ps", "-aq"], env=env, capture_output=True, text=True).stdout.split()
            if ids:
                subprocess.run(["docker", "rm", "-f", *ids], env=env, capture_output=True, timeout=60)
        try:
            os.kill(self.pid(), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        deadline = time.monotonic() + 20
        while os.path.exists(self.pidfile) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Anything still holding our root (a shim, its containerd) goes the hard way.
        subprocess.run(["pkill", "-KILL", "-f", self.root], capture_output=True)
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if f" {self.root}" in line]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class PrivatePodman:
    """Bookworm's Podman as a private service, started by the script the rooms' pass uses."""

    def __init__(self, root: str):
        self.root = root
        self.sock = f"{root}/podman.sock"

    def start(self) -> None:
        # The script also copies the kit's images in (quickly, the second time: they are there).
        started = subprocess.run(
            ["bash", str(PRIVATE_ENGINE_SCRIPT), "start", "podman", self.root],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if started.returncode != 0:
            raise RuntimeError(f"the private Podman did not start: {started.stderr[-1500:]}")

    def crash(self) -> None:
        """SIGKILL the service: its containers' conmon processes are left to themselves."""
        os.kill(int(Path(f"{self.root}/podman.pid").read_text()), signal.SIGKILL)

    def stop(self) -> None:
        subprocess.run(["bash", str(PRIVATE_ENGINE_SCRIPT), "stop", self.root], capture_output=True, timeout=180)


def _copy_images_into(private: PrivateDockerd) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{private.sock}"}
    save = subprocess.Popen(["docker", "save", engine.IMAGE], stdout=subprocess.PIPE)
    subprocess.run(["docker", "load", "-q"], stdin=save.stdout, env=env, check=True, capture_output=True, timeout=120)
    save.wait(timeout=60)


@pytest.fixture(params=["dockerd", "podman"])
def private_engine(request, engine_ready, require):
    if os.geteuid() != 0:
        require("A private engine", "it needs root", "SANDBOX_REQUIRE_DOCKER")
    if request.param == "dockerd" and not shutil.which("dockerd"):
        require("A private dockerd", "no dockerd binary (Debian's docker.io)", "SANDBOX_REQUIRE_DOCKER")
    if request.param == "podman" and not shutil.which("apt-get"):
        require("A private Podman", "it is installed with Debian's apt-get", "SANDBOX_REQUIRE_DOCKER")
    root = f"/tmp/safe-python-engine-{request.param}-{os.getpid()}"
    os.makedirs(root, exist_ok=True)
    private = PrivateDockerd(root) if request.param == "dockerd" else PrivatePodman(root)
    try:
        private.start()
        if request.param == "dockerd":
            _copy_images_into(private)
        yield private
    finally:
        private.stop()


@pytest.mark.timeout(360)
def test_engine_killed_mid_run_ends_the_run_at_once_and_the_reaper_cleans_up(private_engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{private_engine.sock}")
    engine.forget_clients()
    outcome: dict = {}
    running = threading.Event()  # the program has printed: the run is going, not being prepared

    def victim():
        started = time.monotonic()
        try:
            outcome["result"] = run(
                "import time\nprint('started', flush=True)\ntime.sleep(60)",
                engine_limits(),
                on_output=lambda stream, text: running.set(),
            )
        except EngineUnavailable as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()
        outcome["took"] = outcome["ended"] - started

    thread = threading.Thread(target=victim)
    try:
        thread.start()
        # Crash the engine once the program is running (it printed), however long creating and
        # starting its container took on the private engine; a run that fails first ends the wait.
        deadline = time.monotonic() + 60
        while not running.wait(0.1) and thread.is_alive() and time.monotonic() < deadline:
            pass
        assert running.is_set(), f"the run never started on the private engine: {outcome}"
        private_engine.crash()
        crashed = time.monotonic()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the run hung after the engine died"
        assert "error" in outcome, outcome
        assert "stopped answering during the run" in str(outcome["error"])
        # ... naming the engine the kit found there (asked before the run, not after the crash).
        assert ("Podman service" in str(outcome["error"])) == isinstance(private_engine, PrivatePodman), outcome
        assert outcome["ended"] - crashed < 12, outcome  # ended at once, not at the 60 s clock

        # The engine comes back; the container it held is found by its labels and removed.
        private_engine.start()
        engine.forget_clients()
        removed = cleanup(session=engine.SESSION)
        assert removed["containers"] == 1
        assert not engine.client().api.containers(all=True, filters={"label": f"{engine.LABEL}=1"})
    finally:
        engine.forget_clients()


def engine_limits():
    from sandbox import PROFILES

    return PROFILES["hardened"].replace(timeout_s=60)


@pytest.mark.timeout(420)
def test_an_engine_restart_leaves_no_warm_container_once_the_reaper_runs(private_engine, monkeypatch):
    from sandbox import WarmPool, leftovers

    monkeypatch.setenv("DOCKER_HOST", f"unix://{private_engine.sock}")
    engine.forget_clients()
    try:
        warm = WarmPool(size=2, limits=[engine_limits()])
        try:
            assert warm.wait_ready(timeout_s=120), warm.stats()
            private_engine.crash()
        finally:
            warm.close()  # the engine is gone: closing must neither hang nor raise
        private_engine.start()
        engine.forget_clients()
        # The engine kept the waiting containers it held when it died; the reaper finds them.
        held = leftovers(session=engine.SESSION)
        assert len(held) >= 2 and {c["role"] for c in held} == {"warm"}, held
        assert cleanup(session=engine.SESSION)["containers"] == len(held)
        assert leftovers(session=engine.SESSION) == []
        # And a pool opened on the engine that came back works as before.
        with WarmPool(size=1, limits=[engine_limits()]) as again:
            assert again.wait_ready(timeout_s=120), again.stats()
            assert run("print('back')", engine_limits()).stdout == "back\n"
            assert again.stats()["taken"] == 1
        assert leftovers(session=engine.SESSION) == []
    finally:
        engine.forget_clients()

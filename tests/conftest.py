"""Shared test set-up: markers by folder, the engine gate, child sessions and the leak check.

With SANDBOX_REQUIRE_DOCKER=1 (CI sets it) a test that needs the engine fails when none
answers, instead of skipping: a green run must mean the claims were checked on a real engine.

A test that starts a process of the kit (the CLI, a notebook kernel, JupyterLab) gives it a
session of its own under this one's, `child_env()` or `child_session()`: `<SESSION>-child-<n>`.
Not this process's session, because a child's exit tears down its session's target and network;
and not a random one, because the leak check at the end looks for this session's prefix.
"""

from __future__ import annotations

import itertools
import os
import shutil

import pytest

# Folder -> markers, so `pytest -m unit` etc. select by room without decorating every test.
FOLDER_MARKERS = {
    "unit": ("unit",),
    "engine": ("docker",),
    "attacks": ("attacks", "docker"),
    "api": ("api",),
    "browser": ("browser",),
    "notebooks": ("notebooks", "docker"),
    "grading": ("docker",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        folder = parts[1] if len(parts) > 2 and parts[0] == "tests" else ""
        for name in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)


def require(what: str, reason: str, env_flag: str) -> None:
    """Skip for a missing dependency, or fail when the environment says it must be there."""
    if os.environ.get(env_flag) == "1":
        pytest.fail(f"{what} is required here ({env_flag}=1) but {reason}", pytrace=False)
    pytest.skip(f"{what} not available: {reason}")


@pytest.fixture(scope="session", name="require")
def require_fixture():
    """`require(what, reason, env_flag)` for tests with a dependency of their own."""
    return require


@pytest.fixture(scope="session")
def engine_ready():
    """The real engine and a current image, or a skip (a failure under SANDBOX_REQUIRE_DOCKER=1)."""
    from sandbox import engine
    from sandbox.errors import SandboxError

    try:
        engine.client().ping()
        engine.ensure_image()
    except SandboxError as exc:
        require("A Docker Engine with the sandbox image", str(exc), "SANDBOX_REQUIRE_DOCKER")
    return engine


@pytest.fixture(scope="session")
def gvisor_ready(engine_ready):
    """An engine with gVisor's runsc registered, or a skip (a failure under SANDBOX_REQUIRE_GVISOR=1)."""
    from sandbox import engine_runtimes

    found = engine_runtimes()
    if "runsc" not in found:
        require(
            "gVisor's runsc on the engine",
            f"the engine has only {', '.join(found)} (bash docker/with-engine.sh docker26 -- ... runs one that has it)",
            "SANDBOX_REQUIRE_GVISOR",
        )
    return engine_ready


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("SANDBOX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        require("Chromium", "no chromium binary on PATH (apt-get install chromium)", "SANDBOX_REQUIRE_BROWSER")
    return path


_children = itertools.count(1)


def _child_session() -> str:
    from sandbox import engine

    return f"{engine.SESSION}-child-{next(_children)}"


@pytest.fixture(scope="session")
def child_session():
    """child_session() -> a new session name for one child process, under this session's prefix."""
    return _child_session


@pytest.fixture(scope="session")
def child_env():
    """child_env(**extra) -> os.environ plus `extra`, with SANDBOX_SESSION set to a new child session."""

    def make(**extra: str) -> dict[str, str]:
        return {**os.environ, **extra, "SANDBOX_SESSION": _child_session()}

    return make


def ours(session: str, mine: str) -> bool:
    """This test process's session, or one of its children's."""
    return session == mine or session.startswith(mine + "-")


def session_leftovers(api, mine: str) -> tuple[list[dict], list[dict]]:
    """The kit's containers and networks of session `mine` or its children (read from the engine)."""
    from sandbox import engine

    def described(info: dict, name: str) -> dict:
        labels = info.get("Labels") or {}
        return {
            "name": name,
            "session": labels.get(engine.LABEL_SESSION, "?"),
            "role": labels.get(engine.LABEL_ROLE, "?"),
        }

    kit = {"label": [f"{engine.LABEL}=1"]}
    containers = [described(c, (c.get("Names") or ["?"])[0].lstrip("/")) for c in api.containers(all=True, filters=kit)]
    networks = [described(n, n.get("Name", "?")) for n in api.networks(filters=kit)]
    return ([c for c in containers if ours(c["session"], mine)], [n for n in networks if ours(n["session"], mine)])


@pytest.fixture(scope="session", autouse=True)
def no_leftovers():
    """After the whole session: nothing this process or its children started may still exist."""
    yield
    from sandbox import engine, network, reaper
    from sandbox.errors import SandboxError

    try:
        api = engine.client().api
        api.ping()
    except (SandboxError, *engine.CONNECTION_ERRORS):
        return  # no engine, nothing can be left on it
    engine.wait_for_removals()  # the removals under way, as its exit would wait for them
    network.teardown()  # this process's own target and networks, as its exit would
    containers, networks = session_leftovers(api, engine.SESSION)
    if containers or networks:
        for session in sorted({x["session"] for x in containers + networks}):
            reaper.cleanup(session=session)
        pytest.fail(
            f"left behind by this test session or its child processes: containers {containers}, networks {networks}",
            pytrace=False,
        )

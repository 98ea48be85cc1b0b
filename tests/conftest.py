"""Shared test set-up: markers by folder, the engine gate, and the leak check.

With SANDBOX_REQUIRE_DOCKER=1 (CI sets it) a test that needs the engine fails when none
answers, instead of skipping: a green run must mean the claims were checked on a real engine.
"""

from __future__ import annotations

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
def chromium_path():
    path = os.environ.get("SANDBOX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        require("Chromium", "no chromium binary on PATH (apt-get install chromium)", "SANDBOX_REQUIRE_BROWSER")
    return path


@pytest.fixture(scope="session", autouse=True)
def no_leftovers():
    """After the whole session: nothing this test process started may still exist."""
    yield
    from sandbox import engine, network, reaper
    from sandbox.errors import SandboxError

    try:
        engine.client().ping()
    except SandboxError:
        return  # no engine, nothing can be left on it
    network.teardown()
    left = reaper.leftovers(session=engine.SESSION)
    if left:
        reaper.cleanup(session=engine.SESSION)
        pytest.fail(f"containers left behind by this test session: {left}", pytrace=False)

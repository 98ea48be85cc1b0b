"""A real server on a free loopback port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import reaper
from server.process import ServerProcess

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright   # in requirements.txt; no `playwright install`

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _server(*args):
    srv = ServerProcess(*args).start()
    yield srv
    code = srv.stop()
    assert code == 0, srv.log()[-2000:]
    assert reaper.leftovers(session=srv.session) == []


@pytest.fixture(scope="module")
def server(engine_ready):
    """`python -m server --timeout 3`, as a teacher would start it for a short demo."""
    yield from _server("--timeout", "3")


@pytest.fixture(scope="module")
def ablation_server(engine_ready):
    yield from _server("--timeout", "3", "--allow-ablation")


@pytest.fixture
def open_page(browser):
    """open_page(url, width=1280, height=900) -> a loaded page; its console problems are in page.problems."""
    contexts = []

    def opener(url, width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='true']", timeout=15000)
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shots_dir():
    SHOTS.mkdir(exist_ok=True)
    return SHOTS

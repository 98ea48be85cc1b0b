"""A real server on a free loopback port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox import reaper
from server.process import ServerProcess

# --no-proxy-server: loopback pages must never go through a proxy the environment names.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-proxy-server",
]
# Not network requests: inline images, the page's own blobs.
LOCAL_SCHEMES = ("data", "blob", "about")
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright  # in requirements.txt; no `playwright install`

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _server(session: str, *args, env: dict[str, str] | None = None):
    srv = ServerProcess(*args, session=session, env=env).start()
    yield srv
    code = srv.stop()
    assert code == 0, srv.log()[-2000:]
    assert reaper.leftovers(session=srv.session) == []


@pytest.fixture(scope="module")
def server(engine_ready, child_session):
    """`python -m server --timeout 3`, as a teacher would start it for a short demo."""
    yield from _server(child_session(), "--timeout", "3")


@pytest.fixture(scope="module")
def ablation_server(engine_ready, child_session):
    yield from _server(child_session(), "--timeout", "3", "--allow-ablation")


@pytest.fixture(scope="module")
def patient_server(engine_ready, child_session):
    """A server whose runs may take 15 s: long enough to watch a program that pauses between writes."""
    yield from _server(child_session(), "--timeout", "15")


@pytest.fixture(scope="module")
def server_without_node(engine_ready, child_session):
    """A server whose JavaScript image is a tag no engine has (nothing is removed to stage it)."""
    missing = f"safe-node:missing-{uuid.uuid4().hex[:8]}"
    yield from _server(child_session(), "--timeout", "3", env={"SANDBOX_NODE_IMAGE": missing})


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def outside_requests_guard(context, own_origin: str) -> list[str]:
    """Block and record every request of `context` that is not to `own_origin`.

    The page promises nothing from a CDN and no call home; this is where that is checked. Each
    outside request is aborted (so the test never sends traffic past this machine) and listed.
    """
    outside: list[str] = []

    def allowed(url: str) -> bool:
        return urlsplit(url).scheme in LOCAL_SCHEMES or origin(url) == own_origin

    def record(request) -> None:
        seen = f"{request.method} {request.url}"
        if not allowed(request.url) and seen not in outside:
            outside.append(seen)

    def block(route) -> None:
        if allowed(route.request.url):
            route.continue_()
        else:
            record(route.request)
            route.abort("blockedbyclient")

    context.on("request", record)
    context.route("**/*", block)
    return outside


RUN_TIMEOUT_MS = 30_000
RUN_PATHS = ("/run", "/run/stream")
NDJSON = "application/x-ndjson"


def is_run(request) -> bool:
    """A request that runs code: POST /run or POST /run/stream."""
    return request.method == "POST" and urlsplit(request.url).path in RUN_PATHS


def replace_code(page, code: str) -> None:
    """Select all in the editor and type `code`, as a learner would."""
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(code)


def set_code(page, code: str) -> None:
    """Put `code` in the editor through CodeMirror's own API (exact text, no typing quirks)."""
    page.evaluate("code => document.querySelector('.CodeMirror').CodeMirror.setValue(code)", code)


def final_answer(content_type: str, text: str) -> dict:
    """What a run request was finally answered: /run's JSON, the last event of /run/stream (its
    result or its error), or the plain JSON of a refusal before the stream began."""
    if content_type.startswith(NDJSON):
        return json.loads(text.splitlines()[-1])
    return json.loads(text)


RUN_ROUTE = re.compile(r"/run(/stream)?$")


def run_and_answer(page) -> tuple[dict, dict]:
    """Click Run and wait for the page to show the answer: (the body the page sent, the answer).

    Playwright fetches the server's real answer on the page's behalf, keeps a copy and hands it
    to the page whole (Chromium keeps no copy of a stream the page reads itself). So the page gets
    its stream in one piece here; output arriving while the program runs is tested on its own.
    """
    seen = []

    def keep(route):
        if not is_run(route.request):
            route.continue_()
            return
        response = route.fetch(timeout=RUN_TIMEOUT_MS)
        seen.append(
            (route.request.post_data_json, final_answer(response.headers.get("content-type", ""), response.text()))
        )
        route.fulfill(response=response)

    page.route(RUN_ROUTE, keep)
    try:
        page.click("#run")
        finished(page)
    finally:
        page.unroute(RUN_ROUTE, keep)
    assert len(seen) == 1, f"one Run, {len(seen)} run requests"
    return seen[0]


def finished(page) -> None:
    """Wait until the run the page started has its answer (the button free, a final badge)."""
    from playwright.sync_api import expect

    expect(page.locator("#run")).to_have_attribute("aria-busy", "false", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#badge")).not_to_have_text(re.compile("Running|Not run yet"), timeout=RUN_TIMEOUT_MS)


@pytest.fixture
def open_page(browser):
    """open_page(url, width=1280, height=900, setup=None) -> a loaded page; its console problems
    are in page.problems, the paths of the runs it asked for in page.runs ("/run/stream", "/run").
    `setup(context)` runs before the page loads (e.g. to add a route or an init script). The test
    fails afterwards if the page asked for anything outside its own server. The page has
    `page.replace_code(code)` (typed), `page.set_code(code)` (exact), `page.finished()` and
    `page.run_and_answer()` -> (the body sent, the final answer), the things its tests do."""
    contexts = []

    def opener(url, width=1280, height=900, setup=None):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.outside = outside_requests_guard(context, origin(url))
        contexts.append(context)
        if setup is not None:
            setup(context)
        page = context.new_page()
        page.outside = context.outside
        page.problems = []
        page.runs = []
        page.replace_code = functools.partial(replace_code, page)
        page.set_code = functools.partial(set_code, page)
        page.finished = functools.partial(finished, page)
        page.run_and_answer = functools.partial(run_and_answer, page)
        page.on("request", lambda r: page.runs.append(urlsplit(r.url).path) if is_run(r) else None)
        page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='true']", timeout=15000)
        return page

    yield opener
    outside = [request for context in contexts for request in context.outside]
    for context in contexts:
        context.close()
    assert outside == [], f"the page requested something outside its own server: {outside}"


@pytest.fixture(scope="session")
def shots_dir():
    SHOTS.mkdir(exist_ok=True)
    return SHOTS

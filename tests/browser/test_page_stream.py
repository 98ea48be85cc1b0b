"""The page against /run/stream in a real Chromium, the real server and engine: output shown while
the program still runs, the fall-back to /run, the program's input (stdin), the kernel's usage
figures, the hint kept apart from "stopped by" as the guess it is, and the profiles /api/config lists.

Nothing here waits a fixed time: what happened while a run was going is recorded in the page by
a MutationObserver at the moment it happened, and read back once the run has ended."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from server.process import call

# Prints, pauses past the server's 2 s heartbeat, prints again.
PAUSING = "import time\nprint('first', flush=True)\ntime.sleep(4)\nprint('second')\n"

# Installed before Run is clicked: the first time each thing shows, how the page looked then.
WATCH = """() => {
  const text = id => document.getElementById(id).textContent;
  const seen = window.seen = {};
  const note = key => {
    if (!(key in seen)) {
      seen[key] = {busy: document.getElementById('run').getAttribute('aria-busy'), badge: text('badge'),
                   stdout: text('stdout'), progress: text('progress')};
    }
  };
  new MutationObserver(() => {
    if (text('stdout').includes('first')) note('first');
    if (text('progress').includes('running')) note('progress');
  }).observe(document.querySelector('main'), {subtree: true, childList: true, characterData: true});
}"""


def config_of(srv) -> dict:
    status, _, config = call(srv.url + "/api/config")
    assert status == 200
    return config


def fixed(value: float, places: int) -> str:
    """`value` as JavaScript's toFixed writes it (a tie rounds up, as toFixed does)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def usage_figures(answer: dict) -> list[str]:
    """The figures the page must show for this answer, each built from the answer's own numbers."""
    usage = answer["usage"]
    figures = [
        f"CPU {fixed(usage['cpu_s'], 2)} s",
        f"peak {fixed(usage['peak_mib'], 1)} MiB of {answer['limits']['memory_mib']}",
        f"peak {usage['peak_tasks']} task",
    ]
    if usage["throttled_periods"]:
        figures.append(f"{usage['throttled_periods']} of {usage['cpu_periods']} CPU periods throttled")
    if usage["forks_refused"]:
        figures.append(f"{usage['forks_refused']} fork")
    return figures


def ndjson(*events: dict) -> str:
    return "".join(json.dumps(event) + "\n" for event in events)


# -- live output --------------------------------------------------------------------------------


def test_output_shows_while_the_program_still_runs(patient_server, open_page, shots_dir):
    page = open_page(patient_server.url)
    page.set_code(PAUSING)
    page.evaluate(WATCH)
    page.click("#run")
    expect(page.locator("#stdout")).to_have_text("first\n", timeout=20_000)
    page.screenshot(path=str(shots_dir / "page-stream-running.png"), full_page=True)
    page.finished()
    seen = page.evaluate("window.seen")
    # "first" was on the page while the run was going: the button busy, the badge still Running.
    assert seen["first"] == {"busy": "true", "badge": "Running", "stdout": "first\n", "progress": ""}
    # The server's heartbeat during the quiet pause showed as progress, before "second" came.
    assert seen["progress"]["busy"] == "true" and "second" not in seen["progress"]["stdout"]
    assert re.fullmatch(r" · running \d+ s", seen["progress"]["progress"]), seen["progress"]
    expect(page.locator("#stdout")).to_have_text("first\nsecond\n")
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#exit-code")).to_have_text("0")
    expect(page.locator("#progress")).to_have_text("")  # gone with the run
    assert page.runs == ["/run/stream"]
    assert page.problems == []


def test_streamed_output_is_text_never_html(server, open_page):
    page = open_page(server.url)
    page.set_code(
        "import sys, time\nprint('<img src=x id=injected onerror=alert(1)>', flush=True)\n"
        "print('<b id=bold>b</b>', file=sys.stderr, flush=True)\ntime.sleep(0.5)\n"
    )
    page.click("#run")
    expect(page.locator("#stdout")).to_have_text("<img src=x id=injected onerror=alert(1)>\n")
    expect(page.locator("#stderr")).to_have_text("<b id=bold>b</b>\n")
    page.finished()
    assert page.locator("#injected").count() == 0 and page.locator("#bold").count() == 0


def test_without_readablestream_the_page_uses_run(server, open_page):
    page = open_page(server.url, setup=lambda context: context.add_init_script("delete window.ReadableStream;"))
    page.set_code("print(6 * 7)")
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("42\n")
    assert page.runs == ["/run"]


def test_a_server_without_run_stream_gets_run(server, open_page):
    def no_stream(context):
        context.route(
            "**/run/stream",
            lambda route: route.fulfill(
                status=404, content_type="application/json", body='{"error": "Not found", "reason": "not_found"}'
            ),
        )

    page = open_page(server.url, setup=no_stream)
    page.set_code("print(6 * 7)")
    page.click("#run")
    page.finished()
    expect(page.locator("#stdout")).to_have_text("42\n")
    assert page.runs == ["/run/stream", "/run"]
    assert [p for p in page.problems if "404" not in p] == []  # Chromium logs the 404 it was given


def test_a_stream_cut_short_keeps_the_output_so_far(server, open_page):
    body = ndjson(
        {"event": "start", "profile": "hardened", "language": "python"},
        {"event": "output", "stream": "stdout", "text": "partial "},
        {"event": "output", "stream": "stdout", "text": "line\n"},
    )
    page = open_page(
        server.url,
        setup=lambda context: context.route(
            "**/run/stream", lambda route: route.fulfill(status=200, content_type="application/x-ndjson", body=body)
        ),
    )
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("No answer")
    expect(page.locator("#message")).to_contain_text("ended before the run did")
    expect(page.locator("#stdout")).to_have_text("partial line\n")
    assert page.runs == ["/run/stream"]  # not run a second time


def test_an_error_event_is_shown_like_a_refusal(server, open_page):
    body = ndjson(
        {"event": "start", "profile": "hardened", "language": "python"},
        {
            "event": "error",
            "status": 503,
            "error": "The Docker Engine is not answering.",
            "reason": "engine_unavailable",
        },
    )
    page = open_page(
        server.url,
        setup=lambda context: context.route(
            "**/run/stream", lambda route: route.fulfill(status=200, content_type="application/x-ndjson", body=body)
        ),
    )
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("Unavailable")
    expect(page.locator("#message")).to_have_text("The Docker Engine is not answering.")


# -- stdin --------------------------------------------------------------------------------------


def test_the_program_reads_the_stdin_box(server, open_page):
    page = open_page(server.url)
    page.set_code("name = input()\nprint(f'Hello, {name}!')")
    page.focus("#run")  # by keyboard: Tab from Run reaches the box
    page.keyboard.press("Tab")
    expect(page.locator("#stdin")).to_be_focused()
    page.keyboard.type("Ada")
    limit = config_of(server)["max_stdin_bytes"]
    expect(page.locator("#stdin-count")).to_have_text(f"3 / {limit} bytes")
    sent, answer = page.run_and_answer()
    assert sent["stdin"] == "Ada"
    expect(page.locator("#stdout")).to_have_text("Hello, Ada!\n")
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#usage")).to_contain_text(f"{answer['usage']['stdin_bytes']} bytes of stdin read")


def test_ctrl_enter_in_the_stdin_box_runs_without_adding_a_line(server, open_page):
    page = open_page(server.url)
    page.set_code("import sys\nprint(repr(sys.stdin.read()))")
    page.fill("#stdin", "two\nlines")
    page.focus("#stdin")
    page.keyboard.press("Control+Enter")
    page.finished()
    expect(page.locator("#stdout")).to_have_text("'two\\nlines'\n")
    expect(page.locator("#stdin")).to_have_value("two\nlines")


def test_stdin_over_the_limit_is_refused_with_a_clear_message(server, open_page):
    page = open_page(server.url)
    limit = config_of(server)["max_stdin_bytes"]
    page.fill("#stdin", "x" * (limit + 1))
    expect(page.locator("#stdin-count")).to_have_text(f"{limit + 1} / {limit} bytes")
    expect(page.locator("#stdin-count")).to_have_class(re.compile(r"\bover\b"))
    _sent, answer = page.run_and_answer()
    assert answer["reason"] == "stdin_too_large"
    expect(page.locator("#badge")).to_have_text("Refused")
    expect(page.locator("#message")).to_have_text("The program input (stdin) was refused: " + answer["error"])
    assert page.runs == ["/run/stream"]  # a refusal is an answer: no second try on /run


# -- usage and hint -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import time\nend = time.time() + 1\nwhile time.time() < end:\n    pass\n",  # CPU, throttled periods
        # forks the pids limit refused: children that wait, so the bomb meets the pids limit and
        # not the memory limit (a bomb whose 64 processes all fork and die with a traceback may
        # reach 128 MiB first in the image with the science stack, and take the supervisor along)
        "import os, time\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(3)\n"
        "            os._exit(0)\nexcept BlockingIOError:\n    print('refused')\n",
    ],
)
def test_the_usage_line_shows_the_answers_figures(server, open_page, code):
    page = open_page(server.url)
    page.set_code(code)
    _, answer = page.run_and_answer()
    assert answer["usage"] is not None, answer
    for figure in usage_figures(answer):
        expect(page.locator("#usage")).to_contain_text(figure)
    if "fork" in code:
        assert answer["usage"]["forks_refused"] > 0  # the kernel refused them: a fact to show
        refused = answer["usage"]["forks_refused"]
        expect(page.locator("#usage")).to_contain_text(f"{refused} fork{'' if refused == 1 else 's'} refused")
    assert page.problems == []


def test_a_hint_is_shown_as_a_guess_apart_from_stopped_by(server, open_page, shots_dir):
    page = open_page(server.url)
    page.set_code("import sys\nsys.stderr.write('OSError: [Errno 101] Network is unreachable\\n')\nsys.exit(1)")
    _, answer = page.run_and_answer()
    assert (answer["hint"], answer["stopped_by"]) == ("network", None)  # stderr only: no kernel fact
    expect(page.locator("#badge")).to_have_text("Error")
    expect(page.locator("#stopped-by")).to_have_text("–")
    hint = page.locator("#hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Hint (a guess from stderr):")
    expect(hint).to_contain_text("points at network")
    assert page.locator(".facts #hint").count() == 0  # not among the facts
    page.screenshot(path=str(shots_dir / "page-hint.png"), full_page=True)
    page.set_code("print('fine')")  # the next run has none
    page.click("#run")
    page.finished()
    expect(hint).to_be_hidden()


# -- profiles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["server", "ablation_server"])
def test_the_profile_menu_is_what_api_config_lists(which, request, open_page):
    srv = request.getfixturevalue(which)
    config = config_of(srv)
    page = open_page(srv.url)
    values = page.locator("#profile option").evaluate_all("options => options.map(o => o.value)")
    assert values == config["profiles"]
    expect(page.locator("#profile")).to_have_value(config["default_profile"])
    every = [control["name"] for control in config["controls"] if not control["extra"]]
    extras = [control["name"] for control in config["controls"] if control["extra"]]
    for profile in config["profiles"]:
        page.select_option("#profile", profile)
        limits = config["limits"][profile]
        kept = [name for name in limits["controls"] if name in every]
        gone = [name for name in every if name not in kept]
        told = (
            f"{profile}: {len(kept)} of {len(every)} controls; without {', '.join(gone)}."
            if gone
            else f"{profile}: all {len(every)} controls."
        )
        layers = [name for name in extras if name in limits["controls"]]  # gvisor: the runtime
        if layers:
            told += f" Plus {', '.join(layers)}: {', '.join(limits['described'][n] for n in layers)}."
        expect(page.locator("#profile-note")).to_have_text(told)
    assert page.problems == []

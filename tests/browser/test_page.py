"""The page in a real Chromium against the real server and engine: typing, running, badges,
examples, keyboard-only use, narrow windows, ablation banner, and no CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error, expect


def assert_no_csp_problem(page):
    assert [p for p in page.problems if "Content Security Policy" in p or "Refused to" in p] == []
    assert page.problems == []


def test_type_code_run_and_read_the_output(server, open_page, shots_dir):
    page = open_page(server.url)
    expect(page.locator("#engine")).to_have_text("Engine ready")
    page.replace_code("import sys\nprint(6 * 7)\nprint('careful', file=sys.stderr)")
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("42\n")
    expect(page.locator("#stderr")).to_have_text("careful\n")  # kept apart from stdout
    expect(page.locator("#exit-code")).to_have_text("0")
    expect(page.locator("#duration")).to_have_text(re.compile(r"^\d+\.\d\d s$"))
    expect(page.locator("#limits")).to_contain_text("timeout 3 s wall clock")
    expect(page.locator("#limits")).to_contain_text("memory 128 MiB")
    page.screenshot(path=str(shots_dir / "page-ok.png"), full_page=True)
    assert_no_csp_problem(page)


def test_output_is_text_never_html(server, open_page):
    page = open_page(server.url)
    page.replace_code("print('<img src=x id=injected onerror=alert(1)><b>bold</b>')")
    page.click("#run")
    page.finished()
    expect(page.locator("#stdout")).to_have_text("<img src=x id=injected onerror=alert(1)><b>bold</b>\n")
    assert page.locator("#injected").count() == 0


def test_infinite_loop_times_out_and_run_cannot_double_fire(server, open_page, shots_dir):
    page = open_page(server.url)
    page.replace_code("while True: pass")
    page.click("#run")
    expect(page.locator("#run")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#run")).to_contain_text("Running")
    expect(page.locator("#badge")).to_have_text("Running")
    # Progress, outside aria-live; the clock counts from the click, the limit only the run itself.
    expect(page.locator("#elapsed")).to_contain_text("since Run (the program itself may run at most 3 s)")
    # Impatient clicks and keys while it runs (force: Playwright itself would wait for the
    # button to stop being aria-disabled, which is exactly what a person does not do).
    page.click("#run", force=True)
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+Enter")
    page.finished()
    expect(page.locator("#badge")).to_have_text("Timed out")
    expect(page.locator("#message")).to_have_text("Execution timed out after 3 seconds")
    expect(page.locator("#stopped-by")).to_have_text("timeout")
    assert page.runs == ["/run/stream"]  # one request, counted where it leaves the page
    page.screenshot(path=str(shots_dir / "page-timeout.png"), full_page=True)
    assert_no_csp_problem(page)


@pytest.mark.parametrize(
    "example, badge, control",
    [
        ("memory_hog", "Memory limit", "memory"),
        ("fork_bomb", "Error", "pids"),
        ("network_call", "Error", "network"),
        ("output_flood", "Output truncated", "output_cap"),
    ],
)
def test_examples_menu_gives_the_expected_badge(server, open_page, example, badge, control):
    page = open_page(server.url)
    page.select_option("#example", example)
    expect(page.locator("#example-note")).to_contain_text(f"stopped by {control}")
    expect(page.locator(".CodeMirror-code")).not_to_contain_text('print("Hello World")')
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text(badge)
    expect(page.locator("#stopped-by")).to_have_text(control)
    assert_no_csp_problem(page)


def test_keyboard_only(server, open_page, shots_dir):
    page = open_page(server.url)
    order = []
    for _ in range(12):  # Tab from the top until the editor has the focus
        page.keyboard.press("Tab")
        if page.locator(".CodeMirror-focused").count():
            break
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    else:
        pytest.fail(f"Tab never reached the editor; focus went {order}")
    # A sensible focus order; the program input and the file picker sit before the editor, which
    # keeps Tab for itself.
    assert order[-6:] == ["language", "profile", "example", "run", "stdin", "files"], order
    page.keyboard.press("Control+A")
    page.keyboard.type("print('typed without a mouse')")
    page.keyboard.press("Control+Enter")
    page.finished()
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("typed without a mouse\n")
    page.keyboard.press("Escape")  # the way out of the editor
    expect(page.locator("#run")).to_be_focused()
    outline = page.locator("#run").evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # the focus is visible
    assert page.locator("#summary").get_attribute("aria-live") == "polite"
    for field in ("language", "profile", "example", "stdin", "files"):
        assert page.locator(f"label[for='{field}']").count() == 1, field
    page.screenshot(path=str(shots_dir / "page-keyboard.png"), full_page=True)
    assert_no_csp_problem(page)


def test_narrow_window_and_presenter_size(server, open_page, shots_dir):
    page = open_page(server.url, width=390, height=844)
    page.click("#size")
    expect(page.locator("#size")).to_have_attribute("aria-pressed", "true")
    page.select_option("#example", "infinite_loop")
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("Timed out")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scrolling on a narrow window: {widths}"
    size = page.locator("#message").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 24  # presenter size: readable from the back of a room
    page.screenshot(path=str(shots_dir / "page-narrow-presenter.png"), full_page=True)
    assert_no_csp_problem(page)


def test_ablation_banner_and_removing_a_control(ablation_server, open_page, shots_dir):
    page = open_page(ablation_server.url)
    expect(page.locator("#ablation-banner")).to_be_visible()
    expect(page.locator("#ablation-banner")).to_contain_text("--allow-ablation")
    page.select_option("#example", "network_call")
    page.check("#without-network")
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_contain_text("the kit's own target container")
    expect(page.locator("#limits")).to_contain_text("✗ network")
    expect(page.locator("#profile-used")).to_have_text("hardened without network")
    page.screenshot(path=str(shots_dir / "page-ablation.png"), full_page=True)
    assert_no_csp_problem(page)


def test_no_banner_and_no_naive_profile_on_a_normal_server(server, open_page):
    page = open_page(server.url)
    expect(page.locator("#ablation-banner")).to_be_hidden()
    expect(page.locator("#ablation")).to_be_hidden()
    assert page.locator("#profile option").all_text_contents() == ["hardened", "seed_hardened", "gvisor"]


def test_character_counter_counts_code_points_like_the_server(server, open_page):
    page = open_page(server.url)
    code = "print('🐍' * 3)"  # 14 code points, 17 UTF-16 units
    page.set_code(code)
    expect(page.locator("#char-count")).to_have_text(f"{len(code)} / 5000 characters")
    page.set_code("#" + "🐍" * 4999)  # exactly the server's limit: not marked as over
    expect(page.locator("#char-count")).to_have_text("5000 / 5000 characters")
    assert "over" not in (page.locator("#char-count").get_attribute("class") or "")


def test_example_note_names_the_profile_in_use(server, open_page):
    page = open_page(server.url)
    page.select_option("#example", "memory_hog")
    note = page.locator("#example-note")
    expect(note).to_contain_text("(Python). Under the hardened profile: Memory limit, stopped by memory.")
    expect(note).not_to_contain_text("You picked")
    page.select_option("#profile", "seed_hardened")
    expect(note).to_contain_text("You picked seed_hardened, so the outcome may differ")
    page.select_option("#example", "fork_bomb")
    expect(note).to_contain_text("You picked seed_hardened")
    assert_no_csp_problem(page)


def test_a_health_check_that_never_answers_is_given_up(server, open_page):
    # The request reaches no server at all (the route holds it forever), as with a hung one.
    def hang_health(context):
        context.route("**/health", lambda route: None)

    page = open_page(server.url, setup=hang_health)  # open_page waits for data-ready: it came
    expect(page.locator("#engine")).to_have_text("The server does not answer.", timeout=15_000)
    expect(page.locator("#example option")).not_to_have_count(0)  # the rest of the page loaded


def test_outside_requests_are_blocked_and_recorded(server, open_page):
    page = open_page(server.url)
    assert page.outside == []
    other = "http://127.0.0.1:9/elsewhere"  # another origin, still this machine
    with pytest.raises(Error):
        page.goto(other)
    assert page.outside == [f"GET {other}"]
    page.outside.clear()  # seen: the fixture's final check must pass

"""The page's Language menu in a real Chromium against the real server and engine: JavaScript
typed and run, its examples and their badges, the editor's mode, and a missing Node.js image."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

JS_EXAMPLES = ["", "js_hello", "js_infinite_loop", "js_memory_hog", "js_network_call"]


def editor_option(page, name: str):
    return page.evaluate("name => document.querySelector('.CodeMirror').CodeMirror.getOption(name)", name)


def example_values(page) -> list[str]:
    return page.locator("#example option").evaluate_all("options => options.map(o => o.value)")


def test_type_javascript_run_and_read_42(server, open_page, shots_dir):
    page = open_page(server.url)
    expect(page.locator("#engine")).to_have_text("Engine ready")
    assert page.locator("#language option").all_text_contents() == ["Python", "JavaScript"]
    page.select_option("#language", "javascript")
    assert (editor_option(page, "mode"), editor_option(page, "indentUnit")) == ("javascript", 2)
    expect(page.locator("#code-label")).to_have_text("JavaScript code")
    # The untouched Python starter gave way to JavaScript's; the menu lists JavaScript examples only.
    expect(page.locator(".CodeMirror-code")).to_contain_text('console.log("Hello World")')
    assert example_values(page) == JS_EXAMPLES
    # Highlighted as JavaScript: `const` is a keyword there, a plain name in Python.
    page.replace_code("const x = 1")
    expect(page.locator(".CodeMirror-code .cm-keyword")).to_have_text("const")

    page.replace_code("console.log(6 * 7)")
    sent, _ = page.run_and_answer()
    assert sent == {"code": "console.log(6 * 7)", "language": "javascript"}
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("42\n")
    expect(page.locator("#language-used")).to_have_text("JavaScript")
    expect(page.locator("#exit-code")).to_have_text("0")
    expect(page.locator("#limits")).to_contain_text("memory 128 MiB")  # the same controls
    page.screenshot(path=str(shots_dir / "page-javascript.png"), full_page=True)
    assert page.problems == []


@pytest.mark.parametrize(
    "example, badge, control",
    [
        ("js_memory_hog", "Memory limit", "memory"),
        ("js_network_call", "Error", "network"),
    ],
)
def test_a_javascript_example_gives_its_expected_badge(server, open_page, example, badge, control):
    page = open_page(server.url)
    page.select_option("#language", "javascript")
    page.select_option("#example", example)
    expect(page.locator("#example-note")).to_contain_text(
        f"(JavaScript). Under the hardened profile: {badge}, stopped by {control}."
    )
    expect(page.locator(".CodeMirror-code")).to_contain_text("// ")  # its code, not the starter
    sent, _ = page.run_and_answer()
    assert sent["language"] == "javascript"
    expect(page.locator("#badge")).to_have_text(badge)
    expect(page.locator("#stopped-by")).to_have_text(control)
    expect(page.locator("#language-used")).to_have_text("JavaScript")
    assert page.problems == []


def test_switching_back_keeps_what_the_learner_wrote(server, open_page):
    page = open_page(server.url)
    page.select_option("#language", "javascript")
    page.select_option("#example", "js_infinite_loop")
    page.select_option("#language", "python")  # a stock example gives way to the starter
    expect(page.locator(".CodeMirror-code")).to_contain_text('print("Hello World")')
    assert "js_hello" not in example_values(page) and "memory_hog" in example_values(page)
    expect(page.locator("#example")).to_have_value("")
    expect(page.locator("#example-note")).to_have_text("")
    assert editor_option(page, "mode") == "python"
    page.replace_code("print('mine')")
    page.select_option("#language", "javascript")  # own code stays: the learner decides
    expect(page.locator(".CodeMirror-code")).to_contain_text("print('mine')")
    sent, _ = page.run_and_answer()
    assert sent["language"] == "javascript"
    expect(page.locator("#message")).to_have_text("ReferenceError: print is not defined")


def test_the_language_menu_by_keyboard(server, open_page):
    page = open_page(server.url)
    page.focus("#language")
    page.keyboard.press("ArrowDown")  # a closed <select> changes with the arrows
    expect(page.locator("#language")).to_have_value("javascript")
    expect(page.locator("#code-label")).to_have_text("JavaScript code")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#example")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#example")).to_have_value("js_hello")
    expect(page.locator(".CodeMirror-code")).to_contain_text('console.log("Hello World")')
    page.keyboard.press("Control+Enter")
    page.finished()
    expect(page.locator("#stdout")).to_have_text("Hello World\n")


def test_a_missing_node_image_is_shown_and_python_still_runs(server_without_node, open_page, shots_dir):
    page = open_page(server_without_node.url)
    expect(page.locator("#engine")).to_have_text("Engine ready · JavaScript unavailable")
    expect(page.locator("#language option[value='javascript']")).to_have_text("JavaScript (unavailable)")
    page.select_option("#language", "javascript")
    expect(page.locator("#language-note")).to_contain_text("python -m sandbox build")
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("Unavailable")
    expect(page.locator("#message")).to_contain_text("--image javascript")  # the fix, in the page
    page.screenshot(path=str(shots_dir / "page-javascript-unavailable.png"), full_page=True)
    page.select_option("#language", "python")
    expect(page.locator("#language-note")).to_have_text("")
    page.click("#run")
    page.finished()
    expect(page.locator("#stdout")).to_have_text("Hello World\n")
    assert [p for p in page.problems if "503" not in p] == []  # the refused run's 503 is logged by Chromium

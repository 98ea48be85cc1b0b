"""The figures the README and docs/ state are the code's, and their links lead somewhere.

A number written in prose drifts the day the code changes and nobody greps for it (the runner
uids were once given as 10002-10256 in one place and 10001-10256 in another; the request-body
bound as 64 KiB while the code allowed 448). Each test here finds every place the pages state
one figure, fails if it finds none (so that a rewrite cannot make the check vacuous), and
compares each with the constant the code enforces.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox import MAX_CODE_CHARS, MAX_STDIN_BYTES, PROFILES, RUNNER_UIDS
from sandbox.controls import REGISTRY, Control
from server.body import MAX_BODY_BYTES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The pages a reader sees: the front page, the site's pages, and the root files the site includes.
PAGES = [
    ROOT / "README.md",
    ROOT / "ARCHITECTURE.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "attacks" / "README.md",
    *sorted(DOCS.glob("*.md")),
]
HARDENED = PROFILES["hardened"]
KIB = 1024
MIB = 1024 * 1024


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def found(pattern: str, pages: list[Path] = PAGES, flags: int = 0) -> list[tuple[str, re.Match]]:
    """Every match of `pattern` in the pages, with where it was found; at least one."""
    hits = [
        (f"{page.relative_to(ROOT)}: {m.group(0)!r}", m)
        for page in pages
        for m in re.finditer(pattern, text_of(page), flags)
    ]
    assert hits, f"no page states this figure any more ({pattern!r}): update the test with the docs"
    return hits


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_runner_uid_range_is_the_codes():
    first, last = RUNNER_UIDS[0], RUNNER_UIDS[-1]
    for where, m in found(r"\b(1\d{4})\s*(?:–|-|to)\s*(1\d{4})\b"):
        assert (int(m.group(1)), int(m.group(2))) == (first, last), f"{where}: the runner uids are {first}–{last}"


def hardened_cells() -> dict[str, str]:
    """The controls table of docs/controls.md: control name -> its `hardened` cell."""
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \|", text_of(DOCS / "controls.md"), re.MULTILINE)
    return {name: cell for name, cell in rows}


def numbers_in(cell: str) -> list[float]:
    return [number(n) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", cell)]


def hardened_figures() -> dict[str, list[float | None]]:
    """Each control's figures in the hardened profile, in the order the table states them."""
    ulimits = dict(HARDENED.ulimits or ())
    output_cap = HARDENED.output_cap_bytes
    assert output_cap is not None, "hardened has an output cap"
    return {
        Control.TIMEOUT: [HARDENED.timeout_s],
        Control.MEMORY: [HARDENED.memory_mib],
        Control.PIDS: [HARDENED.pids],
        Control.CPU: [HARDENED.cpus],
        Control.READ_ONLY: [HARDENED.tmpfs_mib],
        Control.ULIMITS: [ulimits["nofile"], ulimits["fsize"] / MIB],
        Control.OUTPUT_CAP: [output_cap / KIB],
    }


@pytest.mark.parametrize("control", list(hardened_figures()), ids=str)
def test_the_hardened_limits_table_states_the_profiles_values(control):
    cells = hardened_cells()
    assert str(control) in cells, f"docs/controls.md has no row for {control}"
    assert numbers_in(cells[str(control)]) == hardened_figures()[control], (
        f"docs/controls.md, {control}: {cells[str(control)]!r}, but hardened has {hardened_figures()[control]}"
    )


def test_the_table_agrees_with_the_registry_it_is_drawn_from():
    # The profile's defaults are read from the registry; a table that matched a profile which
    # stopped reading it would prove nothing.
    for control in hardened_figures():
        for name, value in REGISTRY[control].hardened.items():
            assert getattr(HARDENED, name) == value


def test_the_probes_account_of_hardened_is_the_profiles():
    text = text_of(DOCS / "attacks.md")
    claims = {
        r"a (\d+) MiB `noexec` `/tmp`": HARDENED.tmpfs_mib,
        r"(\d+) MiB memory and swap": HARDENED.memory_mib,
        r"(\d+) pids": HARDENED.pids,
        r"(\d+(?:\.\d+)?) CPU, nofile": HARDENED.cpus,
        r"nofile (\d+)": dict(HARDENED.ulimits or ())["nofile"],
    }
    for pattern, value in claims.items():
        m = re.search(pattern, text)
        assert m, f"docs/attacks.md no longer says {pattern!r} of hardened: update the test with the docs"
        assert number(m.group(1)) == value, f"docs/attacks.md: {m.group(0)!r}, but hardened has {value}"


def test_the_hardened_output_cap_over_http_is_the_profiles():
    for where, m in found(r"(\d+) KiB output cap"):
        assert number(m.group(1)) * KIB == HARDENED.output_cap_bytes, where


def test_the_code_length_limit_is_the_runners():
    # CONTRIBUTING.md's "at most 72 characters" is a commit subject's, not a program's.
    pages = [page for page in PAGES if page.name != "CONTRIBUTING.md"]
    for where, m in found(r"(?:longer than|at most|over) (\d[\d,]*) characters", pages):
        assert number(m.group(1)) == MAX_CODE_CHARS, f"{where}: code is limited to {MAX_CODE_CHARS} characters"


def test_the_stdin_limit_is_the_supervisors():
    for where, m in found(r"stdin.{0,40}?at most (\d+) KiB", flags=re.DOTALL):
        assert number(m.group(1)) * KIB == MAX_STDIN_BYTES, f"{where}: stdin is limited to {MAX_STDIN_BYTES} bytes"


def test_the_request_body_bound_is_the_servers():
    for where, m in found(
        r"\bbody (?:over|larger than|of at most|at most) (\d[\d,]*) (KiB|bytes)"
        r"(?: \(([\d,]+) bytes\))?"
    ):
        size = number(m.group(1)) * (KIB if m.group(2) == "KiB" else 1)
        assert size == MAX_BODY_BYTES, f"{where}: the server's bound is {MAX_BODY_BYTES:,} bytes"
        if m.group(3):
            assert number(m.group(3)) == MAX_BODY_BYTES, f"{where}: the server's bound is {MAX_BODY_BYTES:,} bytes"


# A Markdown link's target, without its anchor.
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(page):
    # Relative links, so that they work on disk, on a Git host and (through docs/hooks) in the site.
    broken = [
        target
        for target in LINK.findall(text_of(page))
        if "://" not in target and not target.startswith("mailto:") and not (page.parent / target).exists()
    ]
    assert not broken, f"{page.relative_to(ROOT)} links to files that do not exist: {broken}"


def test_the_sites_nav_lists_every_page():
    config = text_of(ROOT / "mkdocs.yml")
    nav = set(re.findall(r"^\s+- [^:]+: (\S+\.md)\s*$", config, re.MULTILINE))
    pages = {page.name for page in DOCS.glob("*.md")}
    assert pages <= nav, f"pages missing from mkdocs.yml's nav: {sorted(pages - nav)}"


def test_the_front_pages_example_states_the_hardened_figures():
    text = text_of(ROOT / "README.md")
    timeout, memory = re.search(r"after (\d+) s", text), re.search(r"OOM-killed at (\d+) MiB", text)
    assert timeout and memory, "README.md's example no longer states the timeout and memory: update the test"
    assert (number(timeout.group(1)), number(memory.group(1))) == (HARDENED.timeout_s, HARDENED.memory_mib)


def test_the_cores_budget_is_the_architecture_tests():
    # The pages once said 2,500 after the budget had moved: every page that names it says the test's.
    from tests.unit.test_architecture import CORE_BUDGET

    pattern = r"(?:past|under|budget:) (\d[\d,]*) lines of code"
    for where, m in found(pattern):
        assert number(m.group(1)) == CORE_BUDGET, where

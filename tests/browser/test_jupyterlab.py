"""JupyterLab in a real Chromium: lesson 01 runs, its lab widget renders, and a click shows a result.

This is the proof that a learner's set-up works end to end: JupyterLab from the kit's
environment, the widget front end (jupyterlab_widgets) installed, the offline settings in
force, and the Run button's callback reaching the real engine and rendering in the page.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sandbox import RUNNER_UIDS, reaper

ROOT = Path(__file__).resolve().parents[2]
LESSON = "01_first_run.ipynb"
OVERRIDES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
OVERRIDES_SOURCE = ROOT / "notebooks" / ".jupyter" / "overrides.json"  # hidden from the file browser
NEWS_QUESTION = "notified about official Jupyter news"
# Each running sandbox has a uid of its own (the distinct_uid control), all named runner.
RUNNER = re.compile(rf"user: runner uid: (?:{'|'.join(str(uid) for uid in RUNNER_UIDS)})\b")
SLOW_PRINTER = "import time\nprint('first line', flush=True)\ntime.sleep(6)\nprint('second line')\n"
# Loopback requests only: a direct opener, whatever proxy the environment names.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (the kernels a Jupyter server started)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class JupyterLab:
    """`jupyter lab` on a free loopback port with a token, serving a scratch copy of the lessons."""

    def __init__(self, workdir: Path, session: str):
        self.root = workdir / "lessons"
        shutil.copytree(ROOT / "notebooks", self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.session = session
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "jupyterlab.log"
        self.env = dict(
            os.environ,
            SANDBOX_SESSION=self.session,
            # The learner's own JupyterLab settings and workspaces must not leak into the test.
            JUPYTERLAB_SETTINGS_DIR=str(workdir / "user-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> JupyterLab:
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")  # CI machines run as root; JupyterLab refuses without it
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log()}")
            try:
                with LOCAL.open(f"{self.base}/api/status?token={self.token}", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within 60 s:\n{self.log()}")

    def url(self, path: str) -> str:
        return f"{self.base}/{path}?token={self.token}"

    def kernels(self) -> list[dict]:
        with LOCAL.open(self.url("api/kernels"), timeout=5) as answer:
            return json.load(answer)

    def stop(self) -> tuple[int | None, list[int]]:
        """Shut down through the API (kernels first), then wait. Returns (exit code, kernels still alive)."""
        kernels = children_of(self.process.pid)
        try:
            request = urllib.request.Request(self.url("api/shutdown"), method="POST")
            LOCAL.open(request, timeout=30).close()
        except OSError:
            pass  # the server may close the connection while it stops
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                code = self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in kernels) and time.monotonic() < deadline:
            time.sleep(0.2)
        return code, [pid for pid in kernels if alive(pid)]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


# Dialogs that mean something broke (a kernel that died or restarts, a lost server, a file
# changed on disk): they fail the test at once. Any other dialog (a slow start once showed one)
# is noted and given its default answer, as a learner would.
FATAL_DIALOGS = (
    "Kernel Restarting",
    "Restart Kernel",
    "Kernel Dead",
    "Dead kernel",
    "Server Connection Error",
    "File Changed",
)


KERNEL = "Python 3 (ipykernel)"


def answer_dialogs(page, seen: list[str]) -> None:
    """Note any JupyterLab dialog; fail on one that means a breakage, answer any other."""
    dialogs = page.locator(".jp-Dialog")
    while dialogs.count():
        text = " ".join(dialogs.first.inner_text().split())
        seen.append(text)
        if any(word in text for word in FATAL_DIALOGS):
            raise AssertionError(f"JupyterLab showed a dialog that means something broke: {text!r}")
        accept = dialogs.first.locator(".jp-Dialog-button.jp-mod-accept")
        if "Select Kernel" in text and not choose_kernel(dialogs.first):
            page.keyboard.press("Escape")  # not choosable yet: accepting would keep "No Kernel"
        elif accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def choose_kernel(dialog) -> bool:
    """Pick Python 3 in a Select Kernel dialog, as a learner would, rather than accept whatever
    it preselected: "No Kernel" is one of its choices, and accepting it leaves the notebook
    without a kernel."""
    choice = dialog.locator("select")
    if not choice.count() or not choice.first.is_enabled():
        return False
    python = choice.first.locator("option", has_text=KERNEL)
    if not python.count():
        return False
    choice.first.select_option(value=python.first.get_attribute("value"))
    return True


def wait_for_kernel(page, seen: list[str], timeout_s: float = 120) -> None:
    """Wait until the notebook has its kernel. On a busy machine JupyterLab may show the notebook
    idle before its kernel is there; Run All then skips every cell, each with a Select Kernel
    dialog (seen in CI: 26 dialogs, no cell run, and a Python kernel idle at the end)."""
    name = page.locator(".jp-Toolbar-kernelName")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer_dialogs(page, seen)
        if name.count() and KERNEL in name.first.inner_text():
            return
        page.wait_for_timeout(500)
    shown = name.first.inner_text() if name.count() else "nothing"
    raise AssertionError(f"the notebook had no kernel after {timeout_s:.0f} s (its toolbar shows {shown!r})")


def kernel_state(lab: JupyterLab) -> str:
    """The kernel's execution state as the server sees it: busy means slow, idle means stopped."""
    try:
        kernels = lab.kernels()
    except OSError as exc:
        return f"unknown (the server did not answer: {exc})"
    if not kernels:
        return "no kernel (it died or was never started)"
    return ", ".join(k.get("execution_state", "?") for k in kernels)


def prompts(page) -> list[str]:
    """Each code cell's prompt: '[ ]' not run, '[*]' queued or running, '[n]' done."""
    return [" ".join(t.split()) for t in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]


def wait_for_all_cells(
    page, lab: JupyterLab, dialogs: list[str], done_text: str, stall_s: float = 240, limit_s: float = 420
) -> None:
    """Wait until the last cell printed `done_text`, telling a slow kernel from a broken one.

    Progress is the number of finished prompts: while it grows, the kernel is only slow and the
    wait goes on (up to `limit_s`). An error output fails at once with the error; no progress for
    `stall_s` fails with the kernel's state and the cell it is on.
    """
    error = page.locator("[data-mime-type='application/vnd.jupyter.error']")
    done = page.locator(".jp-OutputArea-output", has_text=done_text)  # outputs only: the source says it too
    started = last_change = time.monotonic()
    last = -1
    while True:
        answer_dialogs(page, dialogs)
        if error.count():
            raise AssertionError(f"a cell raised:\n{error.first.inner_text()[-2000:]}")
        if done.count():
            return
        seen = prompts(page)
        finished = sum(1 for p in seen if re.search(r"\[\d+\]", p))
        if finished != last:
            last, last_change = finished, time.monotonic()
        now = time.monotonic()
        where = f"{finished} of {len(seen)} code cells finished; kernel {kernel_state(lab)}"
        if now - last_change > stall_s:
            running = next((i for i, p in enumerate(seen) if "*" in p), None)
            raise AssertionError(
                f"no cell finished for {stall_s:.0f} s ({where}; running cell: {running}). "
                "A busy kernel here means a hung cell, an idle one a run that stopped."
            )
        if now - started > limit_s:
            raise AssertionError(f"the lesson did not finish within {limit_s:.0f} s although it progressed ({where})")
        page.wait_for_timeout(1000)


def click_run_and_wait(page, lab_widget, lab: JupyterLab, timeout_ms: int = 180_000) -> None:
    """Press the widget's Run; fail telling a widget that never answered from a slow run.

    The status line is the heartbeat: it says "Running under ..." as soon as the click reaches
    the kernel, ticks while the run goes, and ends with "Finished".
    """
    from playwright.sync_api import expect

    status = lab_widget.locator(".widget-html").last
    lab_widget.locator("button.jupyter-button", has_text="Run").click()
    try:
        expect(lab_widget).to_contain_text("Running under", timeout=60_000)
    except AssertionError as exc:
        if "Finished" not in status.inner_text():  # a very fast run may go straight to Finished
            raise AssertionError(
                f"the click never reached the kernel (kernel {kernel_state(lab)}); "
                f"the widget says {status.inner_text()!r}"
            ) from exc
    try:
        expect(lab_widget).to_contain_text("Finished", timeout=timeout_ms)
    except AssertionError as exc:
        raise AssertionError(
            f"the run did not finish (kernel {kernel_state(lab)}); the widget's last status: {status.inner_text()!r}"
        ) from exc


def run_all_cells(page, seen: list[str], tries: int = 3) -> None:
    """Run > Run All Cells, as a learner would; retried, since a click during start-up can be lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    first_prompt = page.locator(".jp-CodeCell .jp-InputPrompt").first
    for _ in range(tries):
        answer_dialogs(page, seen)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        item = page.get_by_role("menuitem", name="Run All Cells", exact=True)
        try:
            item.wait_for(state="visible", timeout=5_000)
            item.click()
            # Execution has begun once the first code cell shows [*] or a number.
            page.wait_for_function(
                "el => /\\[(\\*|\\d+)\\]/.test(el.textContent)", arg=first_prompt.element_handle(), timeout=60_000
            )
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"Run All Cells did not start after {tries} tries")


@pytest.fixture
def jupyterlab(tmp_path, engine_ready, child_session):
    assert OVERRIDES.is_file(), (
        f"JupyterLab's offline settings are not installed at {OVERRIDES}: run 'make setup' "
        f"(it copies {OVERRIDES_SOURCE.relative_to(ROOT)} there)"
    )
    assert json.loads(OVERRIDES.read_text()) == json.loads(OVERRIDES_SOURCE.read_text()), (
        "the installed overrides.json is stale: run 'make setup'"
    )
    lab = JupyterLab(tmp_path, child_session()).start()
    try:
        yield lab
    finally:
        code, orphans = lab.stop()
        left = reaper.leftovers(session=lab.session)
        if left:
            reaper.cleanup(session=lab.session)
        assert code == 0, f"jupyter lab exited with {code}:\n{lab.log()}"
        assert not orphans, f"kernels still running after shutdown: {orphans}"
        assert not left, f"containers left behind by the lesson's kernel: {left}"


@pytest.mark.timeout(900)
def test_lesson_01_runs_in_jupyterlab_and_its_widget_answers_a_click(jupyterlab, browser, shots_dir):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)  # every check after a run waits for the container's removal too
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = []
    context.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((jupyterlab.base, "data:", "blob:")) else None
        ),
    )
    page = context.new_page()
    dialogs: list[str] = []
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(jupyterlab.url(f"lab/tree/{LESSON}"))
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        wait_for_kernel(page, dialogs)

        run_all_cells(page, dialogs)
        wait_for_all_cells(page, jupyterlab, dialogs, done_text="lesson 01 ran in")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)

        # The widget rendered (not a text fallback), and shows the notebook's last run.
        answer_dialogs(page, dialogs)
        fallback = page.locator(
            ".jp-OutputArea-output", has_text=re.compile(r"VBox\(children=|Error displaying widget")
        )
        assert fallback.count() == 0, (
            f"the widget front end (jupyterlab_widgets) did not load: {fallback.first.inner_text()[:200]!r}"
        )
        lab = page.locator(".sandbox-lab").first
        lab.scroll_into_view_if_needed()
        output = lab.locator(".widget-output")
        expect(output).to_contain_text(RUNNER)

        # Untick the `user` control and press Run: the callback runs in the kernel, on the engine.
        lab.locator("input[type='checkbox']").uncheck()
        click_run_and_wait(page, lab, jupyterlab)
        expect(output).to_contain_text("user: root uid: 0")
        expect(output.locator(".sandbox-status-ok")).to_have_count(1)

        # Tick it again and run: back to the unprivileged user.
        lab.locator("input[type='checkbox']").check()
        click_run_and_wait(page, lab, jupyterlab)
        expect(output).to_contain_text(RUNNER)
        expect(output).not_to_contain_text("uid: 0")
        expect(lab.locator("button.jupyter-button", has_text="Run")).to_be_enabled()

        # Output shows while the run is going: the first line arrives, and the run is still
        # going (no "Finished") when it does; the second line follows seconds later.
        lab.locator("textarea").fill(SLOW_PRINTER)
        lab.locator("button.jupyter-button", has_text="Run").click()
        expect(output).to_contain_text("first line", timeout=120_000)
        first_seen = time.monotonic()
        assert "second line" not in output.inner_text() and "Finished" not in lab.inner_text()
        expect(output).to_contain_text("second line", timeout=120_000)
        assert time.monotonic() - first_seen >= 2, "the two lines arrived together: output did not stream"
        expect(lab).to_contain_text("Finished", timeout=120_000)

        # The file browser shows the lessons, not the kit's JupyterLab settings.
        listing = page.locator(".jp-DirListing-content")
        if not listing.is_visible():
            page.locator(".jp-SideBar [data-id='filebrowser']").click()
        expect(listing).to_contain_text(LESSON)
        assert listing.get_by_text("overrides.json").count() == 0

        # Offline settings: JupyterLab never asked to fetch news, and the page reached only the server.
        assert page.get_by_text(NEWS_QUESTION).count() == 0
        assert not any(NEWS_QUESTION in text for text in dialogs), dialogs
        assert outside == [], f"the page made requests past the Jupyter server: {outside[:5]}"
        assert errors == [], errors
        assert len(jupyterlab.kernels()) == 1
    finally:
        shots_dir.mkdir(exist_ok=True)
        page.screenshot(path=str(shots_dir / "jupyterlab-lesson-01.png"))
        if dialogs:  # answered above; kept for whoever reads the test output
            (shots_dir / "jupyterlab-dialogs.txt").write_text("\n".join(dialogs) + "\n")
            print("JupyterLab dialogs answered:", dialogs)
        context.close()

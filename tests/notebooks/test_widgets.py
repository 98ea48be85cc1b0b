"""The lab widget, driven the way a headless notebook drives it: build it, click, read the Output.

Runs against the real engine (the folder's `engine_ready` gate): a click must start a real
container and the widget must report what really happened.
"""

import subprocess
import sys
import threading
import time

import pytest

from sandbox import PROFILES, InvalidLimits
from sandbox.lab.widgets import SHOWN_CHARS, Lab, LiveView, PoolLab, limits_for, peak_overlap, show

# The widget's own logic over a real engine: the same on every engine, so it runs once.
pytestmark = pytest.mark.once

H = PROFILES["hardened"]


def streams(lab, name):
    return "".join(o["text"] for o in lab.output.outputs if o["output_type"] == "stream" and o["name"] == name)


def html_blocks(lab):
    return [o["data"]["text/html"] for o in lab.output.outputs if o["output_type"] == "display_data"]


def test_importing_the_kit_never_imports_ipywidgets():
    code = "import sys, sandbox, sandbox.lab; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_a_click_runs_the_code_and_shows_badge_streams_and_facts():
    lab = Lab("import sys\nprint(2 + 2)\nprint('careful', file=sys.stderr)\n", title="Hello")
    seen = []
    lab.button.observe(lambda change: seen.append(change["new"]), names="disabled")
    lab.button.click()
    result = lab.last_result
    assert result is not None and result.status == "ok" and result.stdout == "4\n"
    assert streams(lab, "stdout") == "4\n" and streams(lab, "stderr") == "careful\n"
    summary = html_blocks(lab)[0]
    assert "sandbox-status-ok" in summary and "exit code 0" in summary and "limits: hardened" in summary
    # Disabled while running, enabled again afterwards.
    assert seen == [True, False] and lab.button.disabled is False
    assert "Finished" in lab.status.value and ">ok<" in lab.status.value


def test_the_widget_names_the_control_that_fired():
    lab = Lab("while True:\n    pass\n", toggles=("timeout",), sliders={"timeout_s": (1, 15, 1)})
    lab.sliders["timeout_s"].value = 2
    result = lab.run()
    assert result is lab.last_result
    assert result.status == "timeout" and result.stopped_by == "timeout" and result.limits.timeout_s == 2
    assert "stopped by <code>timeout</code>" in html_blocks(lab)[0]
    assert "stopped by <code>timeout</code>" in lab.status.value


def test_toggles_map_to_limits_without_the_control():
    lab = Lab(
        "print(1)",
        limits=H,
        toggles=("timeout", "memory", "network"),
        sliders={"timeout_s": (1, 15, 1), "memory_mib": (32, 512, 32)},
    )
    assert lab.limits() == H  # untouched widget: exactly the profile
    lab.toggles["memory"].value = False
    assert lab.limits() == H.without("memory")
    assert lab.sliders["memory_mib"].disabled is True and lab.sliders["timeout_s"].disabled is False
    lab.toggles["network"].value = False
    assert lab.limits().network == "internal" and lab.limits().memory_mib is None
    lab.toggles["memory"].value = True
    assert lab.limits().memory_mib == 128 and lab.sliders["memory_mib"].disabled is False


def test_sliders_map_to_values_and_a_change_does_not_run():
    lab = Lab(
        "print(1)",
        toggles=("timeout",),
        sliders={"timeout_s": (1, 15, 1), "memory_mib": (32, 512, 32), "cpus": (0.25, 2.0, 0.25)},
    )
    lab.sliders["timeout_s"].value = 3
    lab.sliders["memory_mib"].value = 64
    lab.sliders["cpus"].value = 1.5
    limits = lab.limits()
    assert (limits.timeout_s, limits.memory_mib, limits.cpus) == (3, 64, 1.5)
    assert isinstance(limits.memory_mib, int)
    assert "timeout_s</code> 3 s" in lab.plan.value
    # Dragging sliders and flipping toggles never starts a run.
    lab.toggles["timeout"].value = False
    assert lab.limits().timeout_s is None
    assert lab.last_result is None and lab.output.outputs == () and lab.status.value.startswith("Ready")


def test_a_control_the_base_lacks_can_be_switched_on():
    lab = Lab("print(1)", limits=PROFILES["naive"], toggles=("memory", "pids"))
    assert lab.toggles["memory"].value is False and lab.limits().memory_mib is None
    lab.toggles["memory"].value = True
    lab.toggles["pids"].value = True
    assert lab.limits().memory_mib == H.memory_mib and lab.limits().pids == H.pids


def test_limits_for_removes_after_the_sliders():
    limits = limits_for(H, {"timeout": False}, {"timeout_s": 3})
    assert limits.timeout_s is None


@pytest.mark.parametrize("code, expect", [("", "code is empty"), ("x" * 6000, "the limit is 5000")])
def test_bad_code_is_one_clear_line_not_a_traceback(code, expect):
    lab = Lab("print(1)")
    lab.code_box.value = code
    lab.button.click()
    assert lab.last_result is None and lab.last_error is not None
    blocks = html_blocks(lab)
    assert len(lab.output.outputs) == 1 and expect in blocks[0] and "Could not run" in blocks[0]
    assert "Traceback" not in str(lab.output.outputs) and lab.button.disabled is False
    assert expect in lab.status.value


def test_an_engine_that_does_not_answer_is_one_line_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    lab = Lab("print(1)")
    lab.button.click()
    assert type(lab.last_error).__name__ == "EngineUnavailable"
    (block,) = html_blocks(lab)
    assert "Could not run" in block and "doctor" in block and "Traceback" not in block
    assert lab.button.disabled is False


def test_a_new_run_replaces_the_previous_output():
    lab = Lab("print('first')")
    lab.button.click()
    lab.code_box.value = "print('second')"
    lab.button.click()
    assert streams(lab, "stdout") == "second\n"


def test_output_beyond_what_the_widget_shows_is_clipped_but_kept_in_the_result():
    lab = Lab("print('x' * 30000)")
    lab.button.click()
    assert len(lab.last_result.stdout) == 30001
    shown = streams(lab, "stdout")
    assert len(shown) < 21000 and "more characters not shown" in shown


def test_show_renders_a_result_for_plain_cells():
    lab = Lab("print('<b>not bold</b>')")
    result = lab.run()
    bundle = show(result)._repr_mimebundle_()
    assert "&lt;b&gt;not bold&lt;/b&gt;" in bundle["text/html"] and "sandbox-status-ok" in bundle["text/html"]
    assert bundle["text/plain"].startswith("[ok] Exited normally")
    with pytest.raises(TypeError):
        show("not a result")


def test_the_lab_displays_itself_as_a_widget():
    bundle = Lab("print(1)")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize(
    "kwargs", [{"toggles": ("wifi",)}, {"sliders": {"colour": (1, 2, 1)}}, {"sliders": {"timeout_s": (5, 1, 1)}}]
)
def test_bad_widget_settings_are_refused_clearly(kwargs):
    with pytest.raises(InvalidLimits):
        Lab("print(1)", **kwargs)


# 5 s between the lines: the live view ticks every 0.25 s, so "first" shows long before "second".
SLOW_PRINTER = "import time\nprint('first', flush=True)\ntime.sleep(5)\nprint('second')\n"


def test_output_appears_while_the_run_is_going_then_the_full_report_replaces_it():
    lab = Lab(SLOW_PRINTER)
    worker = threading.Thread(target=lab.run)
    worker.start()
    seen_live = False
    deadline = time.monotonic() + 30
    while worker.is_alive() and time.monotonic() < deadline:
        if "first" in streams(lab, "stdout") and lab.last_result is None:
            seen_live = "second" not in streams(lab, "stdout")
            break
        time.sleep(0.05)
    live_status = lab.status.value
    worker.join(timeout=60)
    assert seen_live, "the first line should show before the run ends"
    assert "characters of output so far" in live_status
    assert lab.last_result.status == "ok"
    assert streams(lab, "stdout") == "first\nsecond\n"  # the final report, once
    assert "sandbox-status-ok" in html_blocks(lab)[0] and "Finished" in lab.status.value


def test_many_small_writes_are_a_few_widget_updates():
    lab = Lab("import time\nfor i in range(3000):\n    print(i)\n    if i % 1000 == 0: time.sleep(0.5)\n")
    updates = []
    lab.output.observe(lambda change: updates.append(len(change["new"])), names="outputs")
    result = lab.run()
    assert result.status == "ok" and result.stdout.count("\n") == 3000
    # 3000 writes; the live view appends once per tick (a few a second), plus the final report.
    assert len(updates) < 40, len(updates)


class _Recorder:
    """Stands in for an Output widget and an HTML status: records what the live view appends."""

    def __init__(self):
        self.appended, self.value = [], ""

    def append_stdout(self, text):
        self.appended.append(("stdout", text))

    def append_stderr(self, text):
        self.appended.append(("stderr", text))


def test_the_live_view_keeps_order_clips_and_appends_nothing_after_stop():
    out = _Recorder()
    live = LiveView(out, out, "hardened")
    live.add("stdout", "a")
    live.add("stdout", "b")
    live.add("stderr", "oops")
    live.add("stdout", "x" * (SHOWN_CHARS + 500))
    deadline = time.monotonic() + 5  # until the ticker has appended it all (a tick or two)
    while sum(len(text) for _, text in out.appended) < SHOWN_CHARS and time.monotonic() < deadline:
        time.sleep(0.01)
    live.stop()
    live.add("stdout", "too late")
    time.sleep(LiveView.TICK_S * 2)
    assert out.appended[:2] == [("stdout", "ab"), ("stderr", "oops")]
    assert sum(len(text) for _, text in out.appended) == SHOWN_CHARS
    assert all("too late" not in text for _, text in out.appended)
    assert "characters of output so far" in out.value


def test_peak_overlap_counts_runs_in_progress_at_once():
    assert peak_overlap([]) == 0
    assert peak_overlap([(0, 1), (1, 2), (2, 3)]) == 1  # one ends as the next starts
    assert peak_overlap([(0, 3), (1, 2), (1.5, 4), (5, 6)]) == 3


def test_a_burst_through_the_pool_lab_is_bounded_and_measured():
    burst = PoolLab("import time\ntime.sleep(1)\n", workers=2, queue=1, runs=5)
    burst.button.click()
    report = burst.last_report
    assert report is not None, burst.status.value
    assert (report.accepted, report.refused) == (3, 2)  # 2 running + 1 waiting; 2 refused at once
    assert report.retry_after_s >= 1 and report.statuses == {"ok": 3}
    assert 1 <= report.peak <= 2  # never more than the workers
    assert report.elapsed_s >= 2  # three 1 s runs on two workers
    (block,) = html_blocks(burst)
    assert "sandbox-pool-report" in block and "3</b> accepted" in block and burst.button.disabled is False

    burst.sliders["workers"].value = 3  # dragging runs nothing
    assert burst.last_report is report


def test_the_pool_lab_refuses_bad_settings_and_bad_code_clearly():
    with pytest.raises(InvalidLimits):
        PoolLab("print(1)", workers=0)
    burst = PoolLab("print(1)")
    burst.code_box.value = ""
    burst.button.click()
    assert burst.last_report is None and "code is empty" in html_blocks(burst)[0]
    assert "Traceback" not in str(burst.output.outputs) and burst.button.disabled is False

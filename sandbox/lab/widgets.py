"""The lab widgets for the lessons: a program, a switch per control, sliders, a Run button.

    >>> from sandbox.lab import Lab, PoolLab, show
    >>> lab = Lab("while True: pass", toggles=("timeout",), sliders={"timeout_s": (1, 15, 1)})
    >>> lab.button.click()  # what a click does; a headless run can do it too   # doctest: +ENGINE
    >>> lab.last_result.status  # doctest: +ENGINE
    <Status.TIMEOUT: 'timeout'>
    >>> burst = PoolLab("import time; time.sleep(1)", workers=2, queue=3, runs=8)
    >>> burst.button.click()  # eight runs at once through a pool of two            # doctest: +ENGINE
    >>> burst.last_report.accepted, burst.last_report.refused, burst.last_report.peak  # doctest: +ENGINE
    (5, 3, 2)

In a notebook, `lab` (or `show(lab)`) as a cell's last line shows the widget.

A toggle that is on keeps its control in force; off means `limits.without(control)`. Sliders
change values (`timeout_s`, `memory_mib`, `pids`, `cpus`, ...) but never start a run: only the
button (or `lab.run()`) does. While a run is going, its output appears as it arrives (the
runner's `on_output` callback, called from its reader thread, queues the text; a ticker thread
appends it a few times a second, so a flood of tiny writes is a few updates, not thousands);
when the run ends, the view is replaced by the full report. The widgets write into the Output
widget by appending (`append_stdout`, `append_display_data`) and clear by assigning
`outputs = ()`, never through `with output:`, which only captures output while a cell is
executing and so loses everything a callback prints in a headless run.

ipywidgets is imported only when a widget is built, so `import sandbox` never needs it and
`result_html` works without it.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox import FIELDS, PROFILES, REGISTRY, Control, InvalidLimits, Limits, Pool, QueueFull, Result, SandboxError
from sandbox import run as sandbox_run

HARDENED = PROFILES["hardened"]
# The Limits field a slider may drive, and the control that field belongs to (the registry's).
SLIDER_FIELDS: dict[str, str] = {name: str(control) for name, (control, _) in FIELDS.items()}

# The widget shows at most this much of a stream; the Result keeps all of it.
SHOWN_CHARS = 20_000

_BADGE_COLOURS = {
    "ok": "#2e7d32",
    "error": "#8d6e63",
    "timeout": "#c62828",
    "memory": "#6a1b9a",
    "output_limit": "#ef6c00",
    "killed": "#37474f",
}
_STYLE = """<style>
.sandbox-lab textarea { font-family: monospace; font-size: 13px; }
.sandbox-badge { color: #fff; padding: 1px 8px; border-radius: 9px; font-weight: bold; }
</style>"""


# -- rendering (no ipywidgets needed) --------------------------------------------------------
def badge_html(status: str) -> str:
    colour = _BADGE_COLOURS.get(status, "#455a64")
    return (
        f'<span class="sandbox-badge sandbox-status-{html.escape(status)}" '
        f'style="background:{colour};color:#fff;padding:1px 8px;border-radius:9px;'
        f'font-weight:bold">{html.escape(status)}</span>'
    )


def summary_html(result: Result) -> str:
    """One block: the badge, the message, exit code, duration, the control that fired, usage."""
    stopped = result.stopped_by or "nothing (no control fired)"
    facts = [
        f"exit code {result.exit_code}" + (f" ({result.signal})" if result.signal else ""),
        f"{result.duration_s:.2f} s",
        f"stopped by <code>{html.escape(str(stopped))}</code>",
    ]
    if result.hint and not result.stopped_by:
        facts.append(f"hint (from its error text, not a fact): <code>{html.escape(result.hint)}</code>")
    if result.oom_killed:
        facts.append("OOMKilled")
    if result.truncated:
        facts.append("output truncated")
    facts.append(f"limits: {html.escape(result.limits.name)}")
    usage = usage_text(result)
    return (
        f'<div class="sandbox-result">{badge_html(result.status)} '
        f"<b>{html.escape(result.message)}</b><br>"
        f'<span style="font-size:90%">{" · ".join(facts)}</span>'
        + (
            f'<br><span class="sandbox-usage" style="font-size:90%">the kernel counted: {html.escape(usage)}</span>'
            if usage
            else ""
        )
        + "</div>"
    )


def usage_text(result: Result) -> str:
    """The kernel's figures of a run in one line ("" when the supervisor could not report)."""
    u = result.usage
    if u is None:
        return ""
    memory = f"peak {u.peak_mib:g} MiB" + (f" of {result.limits.memory_mib}" if result.limits.memory_mib else "")
    parts = [
        f"CPU {u.cpu_s:.2f} s" if u.cpu_s is not None else "",
        memory if u.peak_mib is not None else "",
        f"peak {u.peak_tasks} tasks" if u.peak_tasks is not None else "",
        f"{u.forks_refused} forks refused" if u.forks_refused else "",
        f"{u.oom_kills} OOM kill(s)" if u.oom_kills else "",
        f"throttled {u.throttled_periods} of {u.cpu_periods} CPU periods" if u.throttled_periods else "",
        f"{u.no_route} packet(s) with no route" if u.no_route else "",
        f"{', '.join(u.scratch_full)} full" if u.scratch_full else "",
    ]
    return ", ".join(p for p in parts if p)


def result_html(result: Result) -> str:
    """A Result as one HTML block, stdout and stderr apart (for `show` in plain cells)."""
    parts = [summary_html(result)]
    for name in ("stdout", "stderr"):
        text = getattr(result, name)
        if text:
            parts.append(f'<div><b>{name}</b><pre style="margin:2px 0 6px 0">{html.escape(_clip(text))}</pre></div>')
        else:
            parts.append(f"<div><b>{name}</b>: <i>(empty)</i></div>")
    return "\n".join(parts)


def error_html(error: BaseException) -> str:
    return (
        f'<div class="sandbox-error" style="color:#b71c1c"><b>Could not run:</b> {html.escape(error_line(error))}</div>'
    )


def error_line(error: BaseException) -> str:
    """One line for a reader: our errors already end with what to do; others get their type."""
    text = " ".join(str(error).split())
    if isinstance(error, SandboxError):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Rendered:
    """HTML for notebooks with a plain-text twin for text-only readers (logs, nbconvert --to script)."""

    def __init__(self, html_text: str, plain: str):
        self.html, self.plain = html_text, plain

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.plain}

    def __repr__(self) -> str:
        return self.plain


def summary_text(result: Result) -> str:
    stopped = result.stopped_by or "nothing"
    hint = f", hint {result.hint}" if result.hint and not result.stopped_by else ""
    usage = usage_text(result)
    return (
        f"[{result.status}] {result.message} (exit code {result.exit_code}, "
        f"{result.duration_s:.2f} s, stopped by {stopped}{hint})" + (f"\nthe kernel counted: {usage}" if usage else "")
    )


def show(result: Result) -> Rendered:
    """Render a Result in a plain notebook cell: `show(run(code))`."""
    if not isinstance(result, Result):
        raise TypeError(f"show() takes a sandbox Result, not {type(result).__name__}.")
    streams = (_clip(result.stdout).rstrip("\n"), _clip(result.stderr).rstrip("\n"))
    plain = "\n".join(filter(None, [summary_text(result), *streams]))
    return Rendered(result_html(result), plain)


def _clip(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return text[:SHOWN_CHARS] + f"\n… ({len(text) - SHOWN_CHARS} more characters not shown)\n"


# -- limits from widget state (pure, testable without widgets) -------------------------------
def limits_for(base: Limits, on: dict[str, bool], values: dict[str, Any]) -> Limits:
    """The Limits that toggles `on` (control -> in force?) and slider `values` mean.

    A control switched on that the base lacks takes the hardened profile's setting (an extra
    layer such as the runtime, its own "on"); a control
    switched off is removed with `without`, after the sliders, so its values cannot bring it back.
    """
    limits = base
    for control, wanted in on.items():
        if wanted and not limits.is_on(control):
            limits = limits.replace(**REGISTRY[Control(control)].switched_on)
    changes = {}
    for name, value in values.items():
        value = round(value) if FIELDS[name][1].whole else value
        if getattr(limits, name) != value:
            changes[name] = value
    if changes:
        limits = limits.replace(**changes)
    off = [control for control, wanted in on.items() if not wanted]
    return limits.without(*off) if off else limits


# -- the widget ------------------------------------------------------------------------------
class Lab:
    """A program with switches for its controls and a Run button; see the module docstring."""

    def __init__(
        self,
        code: str,
        limits: Limits | None = None,
        toggles: tuple[str, ...] | list[str] = (),
        sliders: dict[str, tuple[float, float, float]] | None = None,
        title: str = "",
        *,
        language: str = "python",
        stdin: str | None = None,
    ):
        import ipywidgets as w

        self.base = limits if limits is not None else HARDENED
        if not isinstance(self.base, Limits):
            raise InvalidLimits(f"limits must be a sandbox.Limits, not {type(self.base).__name__}.")
        self.language = language
        self.title = title
        self.last_result: Result | None = None
        self.last_error: BaseException | None = None
        self._busy = threading.Lock()

        self.code_box = w.Textarea(value=code, layout=w.Layout(width="100%", height=_box_height(code)))
        # What the program reads from input(): shown only when the lesson gives one.
        self.stdin_box = (
            w.Textarea(
                value=stdin,
                placeholder="the program's standard input",
                description="stdin",
                layout=w.Layout(width="100%", height="4em"),
            )
            if stdin is not None
            else None
        )
        self.toggles = {c: self._toggle(w, c) for c in _check_toggles(toggles)}
        self.sliders = {n: self._slider(w, n, spec) for n, spec in _check_sliders(sliders or {}).items()}
        self.button = w.Button(
            description="Run",
            button_style="primary",
            icon="play",
            tooltip="Run the program in a fresh container with these limits",
        )
        self.status = w.HTML(value="Ready: press Run.")
        self.plan = w.HTML()
        self.output = w.Output(layout=w.Layout(border="1px solid #ddd", padding="4px", min_height="2em"))

        self.button.on_click(lambda _button: self.run())
        for widget in (*self.toggles.values(), *self.sliders.values()):
            widget.observe(self._settings_changed, names="value")
        self._settings_changed()

        rows: list[Any] = [w.HTML(_STYLE)]
        if title:
            rows.append(w.HTML(f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>"))
        rows.append(self.code_box)
        if self.stdin_box is not None:
            rows.append(self.stdin_box)
        if self.toggles:
            rows.append(w.HBox(list(self.toggles.values())))
        rows.extend(self.sliders.values())
        rows += [self.plan, w.HBox([self.button, self.status]), self.output]
        self.widget = w.VBox(rows)
        self.widget.add_class("sandbox-lab")

    # -- state -----------------------------------------------------------------------------
    def limits(self) -> Limits:
        """The Limits the widget's current state means."""
        on = {c: t.value for c, t in self.toggles.items()}
        values = {n: s.value for n, s in self.sliders.items()}
        return limits_for(self.base, on, values)

    def _toggle(self, w, control: str):
        return w.Checkbox(
            value=self.base.is_on(control),
            description=control,
            indent=False,
            layout=w.Layout(width="auto", margin="0 16px 0 0"),
        )

    def _slider(self, w, name: str, spec: tuple[float, float, float]):
        low, high, step = spec
        current = getattr(self.base, name)
        start = high if current is None else min(max(current, low), high)
        kind = w.IntSlider if FIELDS[name][1].whole or all(float(v).is_integer() for v in spec) else w.FloatSlider
        if kind is w.IntSlider:
            low, high, step, start = int(low), int(high), max(1, int(step)), round(start)
        unit = FIELDS[name][1].unit
        return kind(
            value=start,
            min=low,
            max=high,
            step=step,
            description=f"{name}",
            continuous_update=False,
            readout=True,
            style={"description_width": "initial"},
            layout=w.Layout(width="420px"),
            tooltip=f"{name} ({unit})" if unit else name,
        )

    def _settings_changed(self, _change=None) -> None:
        """Keep slider enablement and the plan line in step; never runs anything."""
        for name, slider in self.sliders.items():
            toggle = self.toggles.get(SLIDER_FIELDS[name])
            slider.disabled = toggle is not None and not toggle.value
        try:
            self.plan.value = _plan_html(self.limits(), list(self.toggles), list(self.sliders))
        except SandboxError as exc:
            self.plan.value = error_html(exc)

    # -- running ---------------------------------------------------------------------------
    def run(self) -> Result | None:
        """Run the code with the current settings (what a click does). None if it could not run."""
        if not self._busy.acquire(blocking=False):
            self.status.value = "Already running: wait for the current run to finish."
            return None
        self.button.disabled = True
        try:
            return self._run_once()
        finally:
            self.button.disabled = False
            self._busy.release()

    def _run_once(self) -> Result | None:

        # Assigning the outputs clears them in the kernel's model too; clear_output() only
        # asks a front end to clear, which a headless run does not have.
        self.output.outputs = ()
        self.last_result, self.last_error = None, None
        live = None
        try:
            limits = self.limits()
            self.status.value = f"Running under <code>{html.escape(limits.name)}</code>…"
            live = LiveView(self.output, self.status, limits.name)
            try:
                stdin = self.stdin_box.value if self.stdin_box is not None else None
                result = sandbox_run(
                    self.code_box.value, limits, language=self.language, stdin=stdin, on_output=live.add
                )
            finally:
                live.stop()
        except Exception as exc:  # noqa: BLE001 - a learner sees one line, never a traceback
            self.last_error = exc
            self.output.outputs = ()
            self.status.value = error_html(exc)
            self.output.append_display_data(Rendered(error_html(exc), "Could not run: " + error_line(exc)))
            return None
        self.last_result = result
        self.output.outputs = ()  # the live view gives way to the full report
        self._show(result)
        return result

    def _show(self, result: Result) -> None:
        self.output.append_display_data(Rendered(summary_html(result), summary_text(result)))
        for name, append in (("stdout", self.output.append_stdout), ("stderr", self.output.append_stderr)):
            text = getattr(result, name)
            if text:
                self.output.append_display_data(Rendered(f"<b>{name}</b>", f"{name}:"))
                append(_clip(text))
        if not result.output:
            self.output.append_display_data(Rendered("<i>(no output)</i>", "(no output)"))
        stopped = f" — stopped by <code>{html.escape(str(result.stopped_by))}</code>" if result.stopped_by else ""
        self.status.value = f"Finished: {badge_html(result.status)} in {result.duration_s:.2f} s{stopped}"

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<Lab {self.title or 'untitled'}: {len(self.code_box.value)} characters, {self.limits().name}>"


class LiveView:
    """A run's output in an Output widget while it arrives.

    `add(stream, text)` is the runner's `on_output` callback: it runs in the runner's reader
    thread and only queues. A ticker thread appends what is queued every `TICK_S` seconds (one
    widget update per tick, however many writes the program made) and refreshes the status
    line. At most SHOWN_CHARS characters are shown live. After `stop()` nothing more is
    appended, so the caller can replace the view with the final report safely.
    """

    TICK_S = 0.25

    def __init__(self, output, status, label: str):
        self._output, self._status, self._label = output, status, label
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str]] = []
        self._stopped = False
        self.shown = 0  # characters appended to the widget
        self.received = 0  # characters the program wrote (up to the output cap)
        self._began = time.monotonic()
        self._thread = threading.Thread(target=self._tick, daemon=True, name="sandbox-lab-live")
        self._thread.start()

    def add(self, stream: str, text: str) -> None:
        with self._lock:
            if not self._stopped:
                self._pending.append((stream, text))
                self.received += len(text)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._thread.join(timeout=2)

    def _tick(self) -> None:
        while True:
            time.sleep(self.TICK_S)
            with self._lock:
                if self._stopped:
                    return
                self._flush()

    def _flush(self) -> None:
        """Append what is queued (called with the lock held, so `stop` waits for it)."""
        pending, self._pending = self._pending, []
        for stream, text in _merged(pending):
            piece = text[: max(0, SHOWN_CHARS - self.shown)]
            if piece:
                self.shown += len(piece)
                (self._output.append_stderr if stream == "stderr" else self._output.append_stdout)(piece)
        elapsed = time.monotonic() - self._began
        self._status.value = (
            f"Running under <code>{html.escape(self._label)}</code>… "
            f"{elapsed:.1f} s, {self.received:,} characters of output so far"
        )


def _merged(chunks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Consecutive chunks of the same stream joined, order kept."""
    merged: list[tuple[str, str]] = []
    for stream, text in chunks:
        if merged and merged[-1][0] == stream:
            merged[-1] = (stream, merged[-1][1] + text)
        else:
            merged.append((stream, text))
    return merged


def _check_toggles(toggles) -> list[str]:
    if isinstance(toggles, str):
        toggles = (toggles,)
    unknown = [c for c in toggles if c not in REGISTRY]
    if unknown:
        raise InvalidLimits(f"Unknown control(s) {', '.join(map(repr, unknown))}. Known: {', '.join(REGISTRY)}.")
    return list(dict.fromkeys(toggles))


def _check_sliders(sliders: dict) -> dict[str, tuple[float, float, float]]:
    checked = {}
    for name, spec in sliders.items():
        if name not in SLIDER_FIELDS:
            raise InvalidLimits(f"No slider for {name!r}. Sliders exist for: {', '.join(SLIDER_FIELDS)}.")
        if not (
            isinstance(spec, tuple)
            and len(spec) == 3
            and all(isinstance(v, (int, float)) for v in spec)
            and spec[0] < spec[1]
            and spec[2] > 0
        ):
            raise InvalidLimits(f"Slider {name!r} needs (min, max, step) with min < max and step > 0, not {spec!r}.")
        checked[name] = spec
    return checked


def _box_height(code: str) -> str:
    lines = min(max(code.count("\n") + 2, 4), 22)
    return f"{int(lines * 1.45 + 0.8)}em"


def _plan_html(limits: Limits, toggles: list[str], sliders: list[str]) -> str:
    parts = []
    for control in toggles:
        mark = "on" if limits.is_on(control) else "<b>off</b>"
        parts.append(f"<code>{control}</code> {mark}")
    for name in sliders:
        value = getattr(limits, name)
        shown = "—" if value is None else f"{value:g} {FIELDS[name][1].unit}".strip()
        parts.append(f"<code>{name}</code> {shown}")
    return "<span style='font-size:90%'>Next run: " + " · ".join(parts) + "</span>" if parts else ""


# -- many runs at once ------------------------------------------------------------------------
def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of (start, end) intervals open at one instant; an end sorts before a start."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = now = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


@dataclass
class PoolReport:
    """What one burst through a pool did, measured on the host."""

    workers: int
    queue: int
    submitted: int
    accepted: int
    refused: int
    retry_after_s: int | None  # the last refusal's Retry-After, if any
    peak: int  # most runs in progress at once (host clock, create to remove)
    elapsed_s: float
    statuses: dict[str, int] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list, repr=False)


class PoolLab:
    """A burst of runs through `sandbox.pool.Pool`: sliders for workers, queue and burst size, a Run button.

    A click makes a pool with the sliders' sizes, submits the program `runs` times at once (the
    pool refuses what does not fit at once, as the web server's 429 does), waits for the accepted
    runs and reports how many ran at the same time, measured from the host-side start and end
    of each run. Sliders never start anything; only the button (or `run()`) does.
    """

    def __init__(
        self,
        code: str,
        limits: Limits | None = None,
        *,
        workers: int = 2,
        queue: int = 3,
        runs: int = 8,
        title: str = "",
    ):
        import ipywidgets as w

        self.limits = limits if limits is not None else HARDENED
        if not isinstance(self.limits, Limits):
            raise InvalidLimits(f"limits must be a sandbox.Limits, not {type(self.limits).__name__}.")
        self.last_report: PoolReport | None = None
        self.last_error: BaseException | None = None
        self._busy = threading.Lock()

        def slider(name: str, value: int, low: int, high: int, what: str):
            if not (isinstance(value, int) and low <= value <= high):
                raise InvalidLimits(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
            return w.IntSlider(
                value=value,
                min=low,
                max=high,
                step=1,
                description=name,
                tooltip=what,
                continuous_update=False,
                style={"description_width": "initial"},
                layout=w.Layout(width="420px"),
            )

        self.code_box = w.Textarea(value=code, layout=w.Layout(width="100%", height=_box_height(code)))
        self.sliders = {
            "workers": slider("workers", workers, 1, 8, "runs at the same time"),
            "queue": slider("queue", queue, 0, 20, "runs that may wait for a worker"),
            "runs": slider("runs", runs, 1, 20, "runs submitted at once"),
        }
        self.button = w.Button(
            description="Run",
            button_style="primary",
            icon="play",
            tooltip="Submit the program this many times at once through a pool",
        )
        self.status = w.HTML(value="Ready: press Run.")
        self.output = w.Output(layout=w.Layout(border="1px solid #ddd", padding="4px", min_height="2em"))
        self.button.on_click(lambda _button: self.run())
        rows: list[Any] = [w.HTML(_STYLE)]
        if title:
            rows.append(w.HTML(f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>"))
        rows += [self.code_box, *self.sliders.values(), w.HBox([self.button, self.status]), self.output]
        self.widget = w.VBox(rows)
        self.widget.add_class("sandbox-lab")

    def run(self) -> PoolReport | None:
        """Submit the burst (what a click does). None if it could not run."""
        if not self._busy.acquire(blocking=False):
            self.status.value = "Already running: wait for the current burst to finish."
            return None
        self.button.disabled = True
        self.output.outputs = ()
        self.last_report, self.last_error = None, None
        try:
            report = self._burst()
        except Exception as exc:  # noqa: BLE001 - a learner sees one line, never a traceback
            self.last_error = exc
            self.status.value = error_html(exc)
            self.output.append_display_data(Rendered(error_html(exc), "Could not run: " + error_line(exc)))
            return None
        finally:
            self.button.disabled = False
            self._busy.release()
        self.last_report = report
        self.output.append_display_data(Rendered(_pool_html(report), _pool_text(report)))
        self.status.value = f"Finished: {report.accepted} runs in {report.elapsed_s:.1f} s"
        return report

    def _burst(self) -> PoolReport:

        workers, queue, runs = (self.sliders[n].value for n in ("workers", "queue", "runs"))
        intervals: list[tuple[float, float]] = []
        lock = threading.Lock()

        def timed_run(code, limits, **kw):
            began = time.monotonic()
            try:
                return sandbox_run(code, limits, **kw)
            finally:
                with lock:
                    intervals.append((began, time.monotonic()))

        accepted, refused, retry_after = [], 0, None
        began = time.monotonic()
        with Pool(workers=workers, queue=queue, runner=timed_run) as pool:
            for _ in range(runs):
                try:
                    accepted.append(pool.submit(self.code_box.value, self.limits))
                except QueueFull as full:
                    refused += 1
                    retry_after = full.retry_after_s
            self.status.value = f"{len(accepted)} accepted, {refused} refused at once; waiting for {workers} worker(s)…"
            # Each run ends within its own clock (or the kit's safety net) and removes its container.
            per_run = (self.limits.timeout_s or 60) + 30
            results = [future.result(timeout=per_run * len(accepted)) for future in accepted]
        statuses: dict[str, int] = {}
        for result in results:
            statuses[result.status] = statuses.get(result.status, 0) + 1
        return PoolReport(
            workers=workers,
            queue=queue,
            submitted=runs,
            accepted=len(accepted),
            refused=refused,
            retry_after_s=retry_after,
            peak=peak_overlap(intervals),
            elapsed_s=time.monotonic() - began,
            statuses=statuses,
            results=results,
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={s.value}" for n, s in self.sliders.items())
        return f"<PoolLab {sizes}>"


def _pool_text(report: PoolReport) -> str:
    refused = f", {report.refused} refused at once" if report.refused else ""
    retry = f" (Retry-After {report.retry_after_s} s)" if report.retry_after_s else ""
    statuses = ", ".join(f"{status} ×{count}" for status, count in sorted(report.statuses.items()))
    return (
        f"{report.submitted} submitted to a pool of {report.workers} (queue {report.queue}): "
        f"{report.accepted} accepted{refused}{retry}; at most {report.peak} running at once; "
        f"{report.elapsed_s:.1f} s; {statuses or 'no runs'}"
    )


def _pool_html(report: PoolReport) -> str:
    statuses = " ".join(f"{badge_html(status)} ×{count}" for status, count in sorted(report.statuses.items()))
    refused = (
        f"<b>{report.refused}</b> refused at once"
        + (f" (Retry-After {report.retry_after_s} s)" if report.retry_after_s else "")
        if report.refused
        else "none refused"
    )
    return (
        f'<div class="sandbox-pool-report"><b>{report.submitted}</b> submitted to a pool of '
        f"<b>{report.workers}</b> worker(s), queue {report.queue}: <b>{report.accepted}</b> accepted, "
        f"{refused}.<br>At most <b>{report.peak}</b> running at once (the pool allows {report.workers}) · "
        f"{report.elapsed_s:.1f} s · {statuses or 'no runs'}</div>"
    )

"""The lab widget for the lessons: a program, a switch per control, sliders, a Run button.

    >>> from sandbox.widgets import Lab, show                                  # doctest: +SKIP
    >>> lab = Lab("while True: pass", toggles=("timeout",), sliders={"timeout_s": (1, 15, 1)})
    >>> lab                        # shows itself in a notebook
    >>> lab.button.click()         # what a click does; a headless run can do it too
    >>> lab.last_result.status
    'timeout'

A toggle that is on keeps its control in force; off means `limits.without(control)`. Sliders
change values (`timeout_s`, `memory_mib`, `pids`, `cpus`, ...) but never start a run: only the
button (or `lab.run()`) does. The button's callback writes into the Output widget by appending
(`append_stdout`, `append_display_data`) and clears by assigning `outputs = ()`, never through
`with output:`, which only captures
output while a cell is executing and so loses everything a callback prints in a headless run.

ipywidgets is imported only when a widget is built, so `import sandbox` never needs it and
`result_html` works without it.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from .errors import InvalidLimits, SandboxError
from .limits import CONTROLS, HARDENED, Limits
from .result import Result

# The Limits field a slider may drive, and the control that field belongs to.
SLIDER_FIELDS: dict[str, str] = {
    "timeout_s": "timeout",
    "memory_mib": "memory",
    "swap_mib": "memory",
    "pids": "pids",
    "cpus": "cpu",
    "tmpfs_mib": "read_only",
    "output_cap_bytes": "output_cap",
}
# Fields Limits only accepts as whole numbers.
_INT_FIELDS = {"memory_mib", "swap_mib", "pids", "tmpfs_mib", "output_cap_bytes"}
_UNITS = {"timeout_s": "s", "memory_mib": "MiB", "swap_mib": "MiB", "cpus": "CPU", "tmpfs_mib": "MiB",
          "output_cap_bytes": "bytes", "pids": ""}

# The widget shows at most this much of a stream; the Result keeps all of it.
SHOWN_CHARS = 20_000

_BADGE_COLOURS = {
    "ok": "#2e7d32", "error": "#8d6e63", "timeout": "#c62828", "memory": "#6a1b9a",
    "output_limit": "#ef6c00", "killed": "#37474f",
}
_STYLE = """<style>
.sandbox-lab textarea { font-family: monospace; font-size: 13px; }
.sandbox-badge { color: #fff; padding: 1px 8px; border-radius: 9px; font-weight: bold; }
</style>"""


# -- rendering (no ipywidgets needed) --------------------------------------------------------
def badge_html(status: str) -> str:
    colour = _BADGE_COLOURS.get(status, "#455a64")
    return (f'<span class="sandbox-badge sandbox-status-{html.escape(status)}" '
            f'style="background:{colour};color:#fff;padding:1px 8px;border-radius:9px;'
            f'font-weight:bold">{html.escape(status)}</span>')


def summary_html(result: Result) -> str:
    """One block: the badge, the message, exit code, duration, the control that fired."""
    stopped = result.stopped_by or "nothing (no control fired)"
    facts = [f"exit code {result.exit_code}", f"{result.duration_s:.2f} s",
             f"stopped by <code>{html.escape(stopped)}</code>"]
    if result.oom_killed:
        facts.append("OOMKilled")
    if result.truncated:
        facts.append("output truncated")
    facts.append(f"limits: {html.escape(result.limits.name)}")
    return (f'<div class="sandbox-result">{badge_html(result.status)} '
            f'<b>{html.escape(result.message)}</b><br>'
            f'<span style="font-size:90%">{" · ".join(facts)}</span></div>')


def result_html(result: Result) -> str:
    """A Result as one HTML block, stdout and stderr apart (for `show` in plain cells)."""
    parts = [summary_html(result)]
    for name in ("stdout", "stderr"):
        text = getattr(result, name)
        if text:
            parts.append(f'<div><b>{name}</b><pre style="margin:2px 0 6px 0">'
                         f'{html.escape(_clip(text))}</pre></div>')
        else:
            parts.append(f"<div><b>{name}</b>: <i>(empty)</i></div>")
    return "\n".join(parts)


def error_html(error: BaseException) -> str:
    return (f'<div class="sandbox-error" style="color:#b71c1c"><b>Could not run:</b> '
            f"{html.escape(error_line(error))}</div>")


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
    return (f"[{result.status}] {result.message} (exit code {result.exit_code}, "
            f"{result.duration_s:.2f} s, stopped by {stopped})")


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

    A control switched on that the base lacks takes the hardened profile's setting; a control
    switched off is removed with `without`, after the sliders, so its values cannot bring it back.
    """
    limits = base
    for control, wanted in on.items():
        if wanted and not limits.is_on(control):
            limits = limits.replace(**_hardened_setting(control))
    changes = {}
    for name, value in values.items():
        value = int(round(value)) if name in _INT_FIELDS else value
        if getattr(limits, name) != value:
            changes[name] = value
    if changes:
        limits = limits.replace(**changes)
    off = [control for control, wanted in on.items() if not wanted]
    return limits.without(*off) if off else limits


def _hardened_setting(control: str) -> dict[str, Any]:
    """The fields `without(control)` changes, with the hardened profile's values."""
    removed = HARDENED.without(control)
    fields = [f for f in HARDENED.__dataclass_fields__ if f != "name"
              and getattr(HARDENED, f) != getattr(removed, f)]
    return {f: getattr(HARDENED, f) for f in fields}


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
        self.toggles = {c: self._toggle(w, c) for c in _check_toggles(toggles)}
        self.sliders = {n: self._slider(w, n, spec) for n, spec in _check_sliders(sliders or {}).items()}
        self.button = w.Button(description="Run", button_style="primary", icon="play",
                               tooltip="Run the program in a fresh container with these limits")
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
        return w.Checkbox(value=self.base.is_on(control), description=control, indent=False,
                          layout=w.Layout(width="auto", margin="0 16px 0 0"))

    def _slider(self, w, name: str, spec: tuple[float, float, float]):
        low, high, step = spec
        current = getattr(self.base, name)
        start = high if current is None else min(max(current, low), high)
        kind = w.IntSlider if name in _INT_FIELDS or all(float(v).is_integer() for v in spec) else w.FloatSlider
        if kind is w.IntSlider:
            low, high, step, start = int(low), int(high), max(1, int(step)), int(round(start))
        unit = _UNITS.get(name, "")
        return kind(value=start, min=low, max=high, step=step, description=f"{name}",
                    continuous_update=False, readout=True,
                    style={"description_width": "initial"}, layout=w.Layout(width="420px"),
                    tooltip=f"{name} ({unit})" if unit else name)

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
        from .runner import run as sandbox_run

        # Assigning the outputs clears them in the kernel's model too; clear_output() only
        # asks a front end to clear, which a headless run does not have.
        self.output.outputs = ()
        self.last_result, self.last_error = None, None
        try:
            limits = self.limits()
            self.status.value = f"Running under <code>{html.escape(limits.name)}</code>…"
            result = sandbox_run(self.code_box.value, limits, language=self.language)
        except Exception as exc:  # noqa: BLE001 - a learner sees one line, never a traceback
            self.last_error = exc
            self.status.value = error_html(exc)
            self.output.append_display_data(Rendered(error_html(exc), "Could not run: " + error_line(exc)))
            return None
        self.last_result = result
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
        stopped = f" — stopped by <code>{html.escape(result.stopped_by)}</code>" if result.stopped_by else ""
        self.status.value = f"Finished: {badge_html(result.status)} in {result.duration_s:.2f} s{stopped}"

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<Lab {self.title or 'untitled'}: {len(self.code_box.value)} characters, {self.limits().name}>"


def _check_toggles(toggles) -> list[str]:
    if isinstance(toggles, str):
        toggles = (toggles,)
    unknown = [c for c in toggles if c not in CONTROLS]
    if unknown:
        raise InvalidLimits(f"Unknown control(s) {', '.join(map(repr, unknown))}. Known: {', '.join(CONTROLS)}.")
    return list(dict.fromkeys(toggles))


def _check_sliders(sliders: dict) -> dict[str, tuple[float, float, float]]:
    checked = {}
    for name, spec in sliders.items():
        if name not in SLIDER_FIELDS:
            raise InvalidLimits(f"No slider for {name!r}. Sliders exist for: {', '.join(SLIDER_FIELDS)}.")
        if not (isinstance(spec, tuple) and len(spec) == 3 and all(isinstance(v, (int, float)) for v in spec)
                and spec[0] < spec[1] and spec[2] > 0):
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
        shown = "—" if value is None else f"{value:g} {_UNITS.get(name, '')}".strip()
        parts.append(f"<code>{name}</code> {shown}")
    return "<span style='font-size:90%'>Next run: " + " · ".join(parts) + "</span>" if parts else ""

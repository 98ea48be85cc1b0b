"""`python -m sandbox demo`: the presenter's walk through the demo's steps (sandbox.lab.demo).

    python -m sandbox demo            # ENTER runs the next step, q quits
    python -m sandbox demo --auto     # unattended, no prompts (also when stdin is not a terminal)

Exit status: 0 when every step did what the profile promises, 1 when one did not, 3 when the
preflight failed, 130 on Ctrl+C. Every run goes through `sandbox.run`, which removes its
container in every path, Ctrl+C included.
"""

from __future__ import annotations

import contextlib
import sys
import time

from sandbox import IMAGES, PROFILES, Limits, SandboxError, WarmPool, cleanup, engine, leftovers, run
from sandbox.lab.demo import STEPS, Step, StepOutcome

EXIT_MISMATCH = 1
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130


STATUS_STYLE = {
    "ok": "bold black on green",
    "error": "bold black on yellow",
    "timeout": "bold white on red",
    "memory": "bold white on red",
    "output_limit": "bold white on red",
    "killed": "bold white on red",
    "skipped": "bold white on grey37",
}


class Presenter:
    def __init__(self, profile: Limits, auto: bool, console=None):
        from rich.console import Console

        self.console = console or Console(highlight=False)
        self.profile = profile
        self.auto = auto or not (sys.stdin and sys.stdin.isatty())
        self.socket_path = engine.socket_path()
        self.outcomes: list[StepOutcome] = []

    def preflight(self) -> bool:
        c = self.console
        c.rule("[bold]safe-python demo: preflight")
        try:
            with c.status("checking the Docker Engine…"):
                version = engine.client().version().get("Version", "?")
            c.print(f"  [green]✓[/] Docker Engine {version} answered")
            engine.ensure_image()
            c.print(f"  [green]✓[/] image {IMAGES['python'].tag} is present")
            with c.status("warm-up run…"):
                warm = run("print('ready')", self.profile)
            if warm.stdout.strip() != "ready":
                raise SandboxError(
                    f"The warm-up run ended with {warm.status}: {warm.message}",
                    hint="Run 'python -m sandbox doctor' to see what is wrong.",
                )
            c.print(f"  [green]✓[/] warm-up run in {warm.duration_s:.2f} s")
        except SandboxError as exc:
            self._refuse(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - an engine can fail in many ways; never a traceback
            self._refuse(
                f"The Docker Engine answered with an error: {exc}. Run 'python -m sandbox doctor' to see what is wrong."
            )
            return False
        if not self.socket_path:
            c.print("  [yellow]![/] the engine is not on a local socket: the Docker-socket steps will be skipped")
        return True

    def _refuse(self, text: str) -> None:
        from rich.markup import escape

        self.console.print(f"[bold red]Preflight failed.[/] {escape(text)}")
        self.console.print("Fix that, then start the demo again. Nothing was left running.")

    def agenda(self) -> None:
        from rich.table import Table

        table = Table(title=f"Today's steps (profile: {self.profile.name})", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("step")
        table.add_column("the sandbox should")
        for n, step in enumerate(STEPS, 1):
            expected = step.expectation(step.limits(self.profile, self.socket_path))
            table.add_row(str(n), step.title, step.promise if step.promise and expected else _promise(expected))
        self.console.print(table)

    def wait_for_enter(self, label: str) -> bool:
        """True to go on, False to quit. Never prompts in --auto mode or without a terminal."""
        if self.auto:
            return True
        try:
            answer = self.console.input(f"[dim]ENTER: {label} · q: quit[/] ")
        except EOFError:
            self.auto = True
            return True
        return answer.strip().lower() not in ("q", "quit")

    def show_step(self, n: int, step: Step) -> StepOutcome:
        from rich.markup import escape
        from rich.syntax import Syntax

        c = self.console
        outcome = StepOutcome(step)
        self.outcomes.append(outcome)
        c.rule(f"[bold]Step {n}/{len(STEPS)}: {step.title}")
        if step.needs_socket and not self.socket_path:
            c.print("[yellow]skipped:[/] the engine is not on a local socket on this machine")
            outcome.status = "skipped"
            return outcome
        limits = step.limits(self.profile, self.socket_path)
        outcome.expected = step.expectation(limits)
        earlier = [i for i, s in enumerate(STEPS[: n - 1], 1) if s.code == step.code]
        if earlier:
            c.print(f"[dim](the same program as step {earlier[0]})[/]")
        else:
            c.print(Syntax(step.code.rstrip(), "python", theme="ansi_dark", word_wrap=True))
        if not self.wait_for_enter("run it"):
            self.outcomes.pop()
            raise _Quit
        with c.status(f"running under {limits.name}…") as status:

            def follow(stream: str, text: str) -> None:
                last = text.strip().splitlines()[-1:] or [""]
                status.update(f"running under {limits.name}… [dim]{escape(last[0][:60])}[/]")

            result = run(step.code, limits, on_output=follow)
        outcome.status, outcome.stopped_by, outcome.hint = result.status, result.stopped_by, result.hint
        outcome.duration_s, outcome.message = result.duration_s, result.message
        self._verdict(outcome, result.stdout)
        return outcome

    def _verdict(self, o: StepOutcome, stdout: str) -> None:
        from rich.markup import escape

        c = self.console
        tail = stdout.strip().splitlines()[-2:]
        for line in tail:
            c.print(f"  [dim]│ {escape(line[:100])}[/]")
        badge = f"[{STATUS_STYLE.get(o.status, 'bold')}] {o.status.upper()} [/]"
        hint = f" (its error text points at {o.hint})" if o.hint and not o.stopped_by else ""
        c.print(
            f"{badge}  verdict: {o.status} · stopped by: {o.stopped_by or 'nothing'}{hint} · "
            f"{o.duration_s:.1f} s · {escape(o.message)}"
        )
        if o.expected is None:
            c.print(
                f"  [yellow]the {o.step.control or o.step.hint} control is off in this profile, so nothing was there "
                "to stop it[/]"
            )
        elif not o.as_expected:
            c.print(f"  [bold red]unexpected:[/] this step should end {_promise(o.expected)}")
        c.print(f"  [italic]why:[/] {escape(o.step.why)}")

    def summary(self) -> None:
        from rich.table import Table

        table = Table(title="Summary", title_justify="left")
        for column in ("#", "step", "verdict", "stopped by", "time", "as promised"):
            table.add_column(column)
        marks = {True: "[green]yes[/]", False: "[bold red]NO[/]", None: "[dim]-[/]"}
        for n, o in enumerate(self.outcomes, 1):
            table.add_row(
                str(n),
                o.step.key,
                o.status,
                o.stopped_by or "-",
                f"{o.duration_s:.1f} s" if o.status not in ("skipped", "unfinished") else "-",
                marks[o.as_expected],
            )
        self.console.print(table)

    def exit_code(self) -> int:
        return EXIT_MISMATCH if any(o.as_expected is False for o in self.outcomes) else 0


class _Quit(Exception):
    """The presenter pressed q."""


def _sweep() -> str:
    """After Ctrl+C: `run` has removed its container already; check, and remove anything of ours."""
    try:
        left = [c for c in leftovers(session=engine.SESSION) if c["role"] == "run"]
        cleanup(session=engine.SESSION)
    except Exception:  # noqa: BLE001 - the engine may be what was interrupted; never a traceback
        return "If the engine kept a container, 'python -m sandbox cleanup' removes it."
    if left:
        return f"Removed {len(left)} container(s) the interrupted run still held."
    return "No container was left behind."


def _promise(expected: tuple[str, str | None, str | None] | None) -> str:
    if expected is None:
        return "nothing stops it (its control is off)"
    status, control, hint = expected
    if control:
        return f"{status}, stopped by {control}"
    return f"{status}, its error text pointing at {hint}" if hint else status


def present(profile: Limits, auto: bool = False, console=None) -> int:
    """Run the whole demo; returns the exit status."""
    show = Presenter(profile, auto, console)
    with contextlib.ExitStack() as stack:
        return _present(show, stack)


def _present(show: Presenter, stack: contextlib.ExitStack) -> int:
    try:
        if not show.preflight():
            return EXIT_UNAVAILABLE
        # Each step's container is started while the presenter talks, so that Run answers at
        # once; every one is used for one step only, and what is not used is removed at the end.
        kinds = {step.limits(show.profile, show.socket_path) for step in STEPS}
        stack.enter_context(WarmPool(size=1, limits=sorted(kinds, key=repr)))
        show.agenda()
        started = time.monotonic()
        for n, step in enumerate(STEPS, 1):
            show.show_step(n, step)
    except _Quit:
        show.console.print("Stopped by the presenter.")
        show.summary()
        return 0
    except KeyboardInterrupt:
        show.console.print(f"\n[bold]Interrupted.[/] {_sweep()}")
        show.summary()
        return EXIT_INTERRUPTED
    except SandboxError as exc:
        from rich.markup import escape

        show.console.print(f"[bold red]The sandbox stopped working:[/] {escape(str(exc))}")
        show.summary()
        return EXIT_UNAVAILABLE
    show.summary()
    show.console.print(f"Done in {time.monotonic() - started:.0f} s.")
    return show.exit_code()


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="a step-by-step presentation: loop, memory hog, network, "
        "fork bomb, Docker socket escape (ENTER advances, q quits)",
    )
    p.add_argument("--auto", action="store_true", help="run every step without waiting for ENTER")
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="hardened",
        help="the profile every step runs under (default: hardened)",
    )
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args) -> int:
    return present(PROFILES[args.profile], auto=args.auto)

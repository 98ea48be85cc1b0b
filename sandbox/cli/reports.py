"""The report commands: `probe`, `audit` and `attacks`, and their rich renderers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sandbox import EngineUnavailable, engine
from sandbox.lab import across, audit, catalog, probe, scorecard
from sandbox.lab.audit import BENCHMARK, FAIL, NOT_APPLICABLE, PASS, AuditReport
from sandbox.lab.catalog import CATEGORIES, Attack, AttackOutcome
from sandbox.lab.probe import ProbeReport
from sandbox.lab.scorecard import DEFAULT_OUT, Scorecard

from .arguments import add_report_command


def register(subparsers) -> None:
    add_report_command(
        subparsers,
        "probe",
        "show what code inside the sandbox sees (capabilities, seccomp, mounts, cgroup limits, network, devices)",
        probe.probe,
        render_probe,
    )
    add_report_command(
        subparsers,
        "audit",
        "start a profile's container and check its configuration "
        "against the CIS Docker Benchmark (exit 1 if any item fails)",
        audit.audit,
        render_audit,
        ok=lambda report: report.passed,
    )
    p = subparsers.add_parser("attacks", help="run the attack matrix and write a scorecard (Markdown + HTML)")
    p.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for attacks.md, attacks.html and attacks.json (default: {DEFAULT_OUT}/)",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these attacks (file names in attacks/)")
    p.add_argument(
        "--category",
        nargs="+",
        choices=list(CATEGORIES),
        metavar="CATEGORY",
        help="run only these categories: " + ", ".join(CATEGORIES),
    )
    p.add_argument("--no-naive", action="store_true", help="skip the naive column (faster)")
    p.add_argument("--list", action="store_true", help="list the attacks and exit, running nothing")
    p.add_argument(
        "--combine",
        metavar="DIR",
        help="run nothing: put the scorecards (*.json) of several engines "
        "in DIR side by side, in --out as attacks-across-engines.md/.json (exit 1 unless hardened "
        "contains every attack on each)",
    )
    p.add_argument(
        "--target",
        action="append",
        metavar="T",
        help="audit this target instead of running the cases (repeatable, one column each): kit:PROFILE, "
        "docker-run:FLAGS (docker-run:seed: the seed's own flags), http:URL, command:CMD, epicbox, llm-sandbox; "
        "writes attacks-across-targets.md/.html/.json (exit 1 unless every kit column is contained)",
    )
    p.set_defaults(handler=cmd_attacks)


# -- probe ------------------------------------------------------------------------------------


def render_probe(report: ProbeReport, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"What code sees inside the sandbox (profile: {report.profile})", show_lines=False)
    table.add_column("area", style="cyan", no_wrap=True)
    table.add_column("fact", style="bold")
    table.add_column("value", overflow="fold")
    last = None
    for section, fact, value in probe.rows(report):
        table.add_row(section if section != last else "", fact, value)
        last = section
    console.print(table)


# -- audit ------------------------------------------------------------------------------------

AUDIT_BADGES = {PASS: "[bold green]PASS[/]", FAIL: "[bold white on red] FAIL [/]", NOT_APPLICABLE: "[dim]n/a[/]"}


def render_audit(report: AuditReport, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"Configuration audit of profile {report.profile!r}", caption=BENCHMARK)
    table.add_column("item", no_wrap=True, style="bold")
    table.add_column("result", no_wrap=True)
    table.add_column("control", style="cyan", no_wrap=True)
    table.add_column("what passing means / evidence from docker inspect", overflow="fold", ratio=1)
    for f in report.findings:
        table.add_row(
            f.id, AUDIT_BADGES[f.status], f.control or "-", f"{escape(f.title)}\n[dim]{escape(f.evidence)}[/]"
        )
    console.print(table)
    console.print(report.summary() + (f"; failing: {', '.join(report.failed_ids())}" if not report.passed else ""))


# -- attacks ----------------------------------------------------------------------------------


def cmd_attacks(args: argparse.Namespace) -> int:
    if args.combine:
        return cmd_combine(Path(args.combine), Path(args.out))
    attacks = catalog.all_attacks(only=args.only, categories=args.category)
    if not attacks:
        print("No attack matches that selection.")
        return 2
    if args.list:
        for a in attacks:
            print(f"{a.name:26} {a.category:10} {a.removes:28} {a.title}")
        return 0
    if args.target:
        return cmd_targets(attacks, args.target, Path(args.out))
    out_dir = scorecard.prepare_out_dir(Path(args.out))  # fail now, not after the whole matrix has run
    try:
        engine.client().ping()
    except engine.CONNECTION_ERRORS as exc:
        raise EngineUnavailable("The Docker Engine did not answer.") from exc
    engine.ensure_image()
    cases: tuple[str, ...] = ("hardened", "ablated") if args.no_naive else catalog.CASES
    if "runsc" in engine.runtimes():  # the gvisor column, where this engine has gVisor
        cases += catalog.RUNTIME_CASES
    card = run_with_progress(attacks, cases)
    for path in scorecard.write_reports(card, out_dir):
        print(f"wrote {path}")
    print(card.summary())
    return 0 if card.passed else 1


def cmd_combine(folder: Path, out_dir: Path) -> int:
    engines = across.load(folder)
    for path in across.write(engines, out_dir):
        print(f"wrote {path}")
    held = across.contained_everywhere(engines)
    for card in engines:
        print(f"{card.label}: {across.verdict_line(card, held[card.label])}")
    return 0 if all(held.values()) else 1


def cmd_targets(attacks: list[Attack], specs: list[str], out: Path) -> int:
    from rich.console import Console

    from sandbox.lab import targets
    from sandbox.lab.targets import report

    chosen = [targets.parse(spec) for spec in dict.fromkeys(specs)]  # a bad name fails before any run
    out_dir = scorecard.prepare_out_dir(out)
    try:
        engine.client().ping()
    except engine.CONNECTION_ERRORS as exc:
        raise EngineUnavailable("The Docker Engine did not answer.") from exc
    engine.ensure_image()
    found = audit_with_progress(attacks, chosen)
    for path in report.write(found, out_dir):
        print(f"wrote {path}")
    render_targets(found, Console())
    return 0 if found.complete and found.kit_contained() else 1


def render_targets(found, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from sandbox.lab.targets.report import cell_text

    styles = {"contained": "green", "escaped": "bold red", "error": "yellow", "not applicable": "dim"}
    table = Table(
        title="The attacks against each target",
        caption="(kernel): the kit's facts; (report): the "
        "program's own report; (target's end): the target ended it before any report",
    )
    table.add_column("attack", no_wrap=True)
    for label, _ in found.targets:
        table.add_column(escape(label), overflow="fold")
    for attack in found.attacks:
        cells = []
        for label, _ in found.targets:
            cell = found.cell(attack.name, label)
            style = styles.get(str(cell.verdict), "") if cell else ""
            cells.append(f"[{style}]{escape(cell_text(cell))}[/]" if style else escape(cell_text(cell)))
        table.add_row(attack.name, *cells)
    console.print(table)
    for label, kind in found.targets:
        console.print(f"{escape(label)} ({kind}): {found.summary(label)}", highlight=False)


def audit_with_progress(attacks: list[Attack], chosen: list) -> Any:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sandbox.lab import targets

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("attacks", total=len(attacks) * len(chosen))

        def step(attack: Attack, target: Any, cell: Any) -> None:
            if cell is None:
                progress.update(task, description=escape(f"{attack.name} on {target.label}")[:48])
                return
            progress.advance(task)
            if cell.verdict == "error":
                progress.console.print(
                    f"[yellow]error[/]: {escape(f'{attack.name} on {target.label}')}: {escape(cell.evidence)}",
                    highlight=False,
                )

        found = targets.audit(attacks, chosen, step)
        progress.update(task, description="done")
    return found


def run_with_progress(attacks: list[Attack], cases: tuple[str, ...]) -> Scorecard:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("attacks", total=sum(a.runs(c) for a in attacks for c in cases))

        def step(attack: Attack, case: str, outcome: AttackOutcome | None) -> None:
            if outcome is None:
                progress.update(task, description=f"{attack.name} [{case}]")
                return
            progress.advance(task)
            if not outcome.as_expected and case != "naive":
                progress.console.print(
                    f"[yellow]unexpected[/]: {escape(f'{attack.name} [{case}]')} "
                    f"{outcome.verdict}: {escape(outcome.evidence)}",
                    highlight=False,
                )

        card = scorecard.run_matrix(attacks, cases, step)
        progress.update(task, description="done")
    return card

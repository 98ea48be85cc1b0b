"""The audit: every attack against every target, judged on what each target lets the harness see.

Against the kit (`kit:PROFILE`) an attack runs as in the scorecard (`catalog.run_attack`) and its
verdict rests on the kernel's facts: the supervisor's record, the engine's status. Against any
other target there are none: the verdict rests on the attack's own `ATTACK_REPORT` line (our
program, trusted to report honestly, but possibly killed before it could), and says so: "by the
program's report". A run the target ended before any report (its clock, a kill signal, a cut
output) is contained "by the target's end". An attack that cannot mean anything there is "not
applicable", with why, and is never counted as a pass.

On a foreign target the harness puts `ATTACK_MODE = "foreign"` before each program: the network
attacks then judge from interfaces, routes, resolvers and socket creation, and send no packet,
whatever network the target has.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import engine

from .. import catalog
from ..judging import REPORT_PREFIX, parse_report
from ..metadata import Attack
from ..verdict import Verdict
from .base import Target, TargetRun
from .kinds import KitTarget

FOREIGN_HEADER = 'ATTACK_MODE = "foreign"  # set by the harness: a target the kit does not control\n'
KERNEL = "the kernel's facts"
REPORT = "by the program's report"
TARGET_END = "by the target's end"
NA = "not applicable"
# Exit statuses that say a signal ended the program (a shell's 128+n, or Python's -n): SIGKILL
# (a clock, the OOM killer), SIGXCPU (a CPU-time limit), SIGXFSZ (a file-size limit), SIGTERM.
SIGNALLED = {128 + n for n in (9, 15, 24, 25)} | {-n for n in (9, 15, 24, 25)}


@dataclass
class Cell:
    """One attack against one target, judged."""

    attack: Attack
    target: str
    verdict: Verdict
    basis: str  # KERNEL, REPORT, TARGET_END or NA
    evidence: str
    report: dict | None = None
    exit_code: int | None = None
    duration_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attack": self.attack.name,
            "case": "target",
            "target": self.target,
            "verdict": self.verdict,
            "basis": self.basis,
            "evidence": self.evidence,
            "report": self.report,
            "exit_code": self.exit_code,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 2),
            "as_expected": True,
        }


@dataclass
class Audit:
    """Every attack's cell on every target, with what is needed to tell them."""

    targets: list[tuple[str, str]]  # (label, kind)
    attacks: list[Attack]
    cells: list[Cell]
    runtime_s: float
    meta: dict = field(default_factory=dict)

    def cell(self, attack: str, target: str) -> Cell | None:
        return next((c for c in self.cells if c.attack.name == attack and c.target == target), None)

    def column(self, target: str) -> list[Cell]:
        return [c for c in self.cells if c.target == target]

    @property
    def complete(self) -> bool:
        """A verdict in every cell."""
        return all(self.cell(a.name, label) is not None for a in self.attacks for label, _ in self.targets)

    def kit_contained(self) -> bool:
        """Every applicable attack contained in every kit column, but for the kit's documented
        known limits on this engine (as the scorecard counts them: escaped, and said so)."""
        return all(
            c.verdict in (Verdict.CONTAINED, Verdict.NOT_APPLICABLE)
            or (c.verdict == Verdict.ESCAPED and c.attack.limit_here is not None)
            for label, kind in self.targets
            if kind == "kit"
            for c in self.column(label)
        )

    def counts(self, target: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for c in self.column(target):
            found[c.verdict] = found.get(c.verdict, 0) + 1
        return found

    def summary(self, target: str) -> str:
        counts = self.counts(target)
        order = (Verdict.ESCAPED, Verdict.CONTAINED, Verdict.NOT_APPLICABLE, Verdict.ERROR)
        return ", ".join(f"{counts[v]} {v}" for v in order if counts.get(v))


def not_applicable(attack: Attack, target: Target) -> str | None:
    """Why the attack cannot mean anything on this target, or None."""
    if target.kind == "kit":
        return attack.why_not_applicable()
    if attack.only_on and attack.not_here():
        return attack.not_here()
    if attack.image != "python":
        return f"it runs in the kit's {attack.image} image, whose fixtures a foreign target does not carry"
    if attack.companion:
        return "it needs a companion run beside it under the same limits, which only the kit starts"
    if attack.category == "harvest":
        return "it is judged from what the kit's harvest brings back from out/; a foreign target has no such harvest"
    if attack.category == "supervisor" or attack.name.startswith("supervisor_"):
        return "it attacks the kit's supervisor, process 1 of every kit run; a foreign target has none"
    if attack.misconfiguration in ("host_mount", "env_secret"):
        return "its escape is a canary the harness plants, and the harness plants nothing in a foreign target"
    if attack.category == "network" and not attack.foreign:
        return "it aims at the kit's target container, which only the kit's runs can reach"
    return None


def judge_foreign(attack: Attack, run: TargetRun) -> tuple[Verdict, str, str, dict | None]:
    """(verdict, basis, evidence, report) from what a foreign target gave back."""
    if run.failure:
        return Verdict.ERROR, REPORT, run.ended, None
    report = parse_report(run.stdout)
    received = len(run.stdout.encode("utf-8", "replace")) + len(run.stderr.encode("utf-8", "replace"))
    ended = run.ended + (f", {received:,} bytes of output received" if received > 64 * 1024 else "")
    if report is None:
        if run.harness_killed:
            return Verdict.ESCAPED, TARGET_END, f"{ended}: the target has no clock that stopped it", None
        if run.timed_out or run.exit_code in SIGNALLED:
            return Verdict.CONTAINED, TARGET_END, f"{ended}, before the program reported", None
        if attack.category == "output" and run.exit_code == 0:
            return Verdict.CONTAINED, TARGET_END, f"{ended}: the target cut the output before the report", None
        tail = (run.stderr.strip().splitlines() or [""])[-1]
        return Verdict.ERROR, REPORT, f"{ended}: no {REPORT_PREFIX.strip()} line ({tail[:160]})", None
    achieved = report.get("achieved")
    if not isinstance(achieved, bool):
        return Verdict.ERROR, REPORT, f"{ended}: the report has no true/false 'achieved'", report
    facts = " ".join(f"{k}={v}" for k, v in report.items())[:260]
    verdict = Verdict.ESCAPED if achieved else Verdict.CONTAINED
    return verdict, REPORT, f"{REPORT}: {facts}; {ended}", report


def judge_on(attack: Attack, target: Target) -> Cell:
    """Run one attack against one target and judge it on what that target lets the harness see."""
    why = not_applicable(attack, target)
    if why:
        return Cell(attack, target.label, Verdict.NOT_APPLICABLE, NA, why)
    if isinstance(target, KitTarget):
        # kit:hardened is the scorecard's hardened case (the attack's timeout, its `given`); any
        # other profile runs as it is, with the attack's timeout where it has a clock.
        limits = target.limits.replace(name=target.profile)
        if limits.is_on("timeout"):
            limits = limits.replace(timeout_s=attack.timeout)
        outcome = catalog.run_attack(attack, "hardened" if target.profile == "hardened" else limits)
        result = outcome.result
        known = f" (a known limit: {attack.limit_here})" if attack.limit_here else ""
        return Cell(
            attack,
            target.label,
            outcome.verdict,
            KERNEL,
            f"{KERNEL}{known}: {outcome.evidence}",
            outcome.report,
            result.exit_code if result else None,
            result.duration_s if result else None,
        )
    run = target.run(FOREIGN_HEADER + attack.source, timeout_s=attack.timeout)
    verdict, basis, evidence, report = judge_foreign(attack, run)
    return Cell(attack, target.label, verdict, basis, evidence, report, run.exit_code, run.duration_s)


def audit(
    attacks: list[Attack],
    targets: list[Target],
    on_step: Callable[[Attack, Target, Cell | None], None] | None = None,
) -> Audit:
    """Each attack against each target, one run at a time (CPU figures need a quiet machine)."""
    started = time.monotonic()
    cells = []
    for attack in attacks:
        for target in targets:
            if on_step:
                on_step(attack, target, None)
            cell = judge_on(attack, target)
            cells.append(cell)
            if on_step:
                on_step(attack, target, cell)
    return Audit([(t.label, t.kind) for t in targets], attacks, cells, time.monotonic() - started, _meta())


def _meta() -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "image": engine.IMAGE,
    }
    try:
        version = engine.client().version()
        info.update(engine=version.get("Version", "?"), kernel=version.get("KernelVersion", "?"))
    except Exception:  # noqa: BLE001 - decoration only; the runs themselves already happened
        info.update(engine="?", kernel=platform.release())
    return info

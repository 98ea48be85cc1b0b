"""Judging an attack's run: the verdict and its evidence, from facts only.

The facts are the engine's status and OOMKilled flag, the supervisor's record of the run
(`result.usage`) and the fields of the attack's own `ATTACK_REPORT` line; where the attack names
the record that tells its escape (`escape_record`), or for the CPU attacks, that record decides.
`check_expectations` says which of the machine-checked facts of the attack's metadata a run
contradicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox import Limits, Result, Status, Usage
from sandbox.files import HOST
from sandbox.text import clip

from .metadata import Attack
from .verdict import Verdict

REPORT_PREFIX = "ATTACK_REPORT "


@dataclass
class AttackOutcome:
    """One attack run under one case, judged."""

    attack: Attack
    case: str  # "hardened", "ablated", "naive" or "custom"
    limits: Limits
    result: Result | None  # None when the run could not happen (skipped / error)
    report: dict | None  # the attack's ATTACK_REPORT, parsed
    verdict: Verdict  # contained / escaped / error / skipped
    evidence: str  # one line of facts
    surprises: list[str] = field(default_factory=list)  # expectations for this case that failed

    @property
    def as_expected(self) -> bool:
        """Hardened contained, ablated escaped, and every machine-checked fact as the metadata says."""
        wanted = self.attack.wanted(self.case)
        verdict_ok = wanted is None or self.verdict == wanted
        return verdict_ok and not self.surprises and self.verdict not in (Verdict.ERROR, Verdict.SKIPPED)

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "attack": self.attack.name,
            "case": self.case,
            "limits": self.limits.name,
            "controls": self.limits.controls(),
            "verdict": self.verdict,
            "evidence": self.evidence,
            "as_expected": self.as_expected,
            "surprises": list(self.surprises),
            "report": self.report,
            "status": r.status if r else None,
            "stopped_by": r.stopped_by if r else None,
            "exit_code": r.exit_code if r else None,
            "oom_killed": r.oom_killed if r else None,
            "truncated": r.truncated if r else None,
            "duration_s": round(r.duration_s, 2) if r else None,
            "message": r.message if r else None,
        }


def parse_report(stdout: str) -> dict | None:
    """The last `ATTACK_REPORT {json}` line of the output, or None (cut off, killed, malformed)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(REPORT_PREFIX):
            try:
                value = json.loads(line[len(REPORT_PREFIX) :])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


# Output above this size is worth a mention in the evidence (it is what output attacks are about).
_BIG_OUTPUT = 64 * 1024

# Statuses that mean the sandbox (not the attack) ended the run.
_STOPPED = (Status.TIMEOUT, Status.MEMORY, Status.OUTPUT_LIMIT, Status.KILLED)


def judge(result: Result, report: dict | None, canary: str | None = None) -> tuple[Verdict, str]:
    """(verdict, evidence) from the engine's facts and the attack's own report."""
    status = result.status + (f" ({result.stopped_by})" if result.stopped_by else "")
    received = len(result.stdout.encode("utf-8", "replace")) + len(result.stderr.encode("utf-8", "replace"))
    if result.truncated or received > _BIG_OUTPUT:
        status += f", host received {received:,} bytes" + (" (truncated)" if result.truncated else "")
    if report is None:
        if result.status in _STOPPED:
            extra = ", OOMKilled" if result.oom_killed else ""
            return Verdict.CONTAINED, f"{status}{extra}: {result.message}"
        return Verdict.ERROR, f"{status}: no {REPORT_PREFIX.strip()} line ({result.message})"
    achieved = report.get("achieved")
    if not isinstance(achieved, bool):
        return Verdict.ERROR, f"{status}: the report has no true/false 'achieved'"
    facts = _facts(report)
    if achieved and canary is not None and canary not in json.dumps(report):
        return Verdict.ERROR, f"{status}: claimed success without the planted canary; {facts}"
    return (Verdict.ESCAPED if achieved else Verdict.CONTAINED), f"{status}; {facts}"


def _facts(report: dict, limit: int = 220) -> str:
    parts = [f"achieved={json.dumps(report['achieved'])}"]
    for key, value in report.items():
        if key != "achieved":
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            parts.append(f"{key}={text}")
    return clip(" ".join(parts), limit)


def check_expectations(
    expect: dict | None, result: Result, report: dict | None, host_cpu: dict | None = None
) -> list[str]:
    """Which machine-checked facts of `expect` the run contradicts (empty: all hold).

    Keys name Result fields (status, stopped_by, hint, oom_killed, truncated, timed_out, exit_code,
    duration_s), `output_bytes` (stdout+stderr received by the host) or `report` (a dict of
    the attack's report fields, or None: no report at all), or `host_cpu` (the host's CPU figures,
    see hostcpu.py). A value is matched exactly; a list
    means one of (against a list-valued fact: that exact list); a dict {"min": a, "max": b} is
    a numeric range; an empty dict {} means the fact is an empty dict; any other dict matches
    the keys it lists in a dict-valued fact.
    """
    if not expect:
        return []
    problems = []
    for key, want in expect.items():
        if key == "report":
            if want is None:
                if report is not None:
                    problems.append(f"report: expected none, got {report}")
                continue
            if report is None:
                problems.append("report: expected one, got none")
                continue
            for rkey, rwant in want.items():
                if not _matches(report.get(rkey), rwant):
                    problems.append(f"report.{rkey}: expected {rwant!r}, got {report.get(rkey)!r}")
            continue
        if key == "host_cpu":
            if not _matches(host_cpu, want):
                problems.append(f"host_cpu: expected {want!r}, got {host_cpu!r}")
            continue
        if key == "output_bytes":
            got = len(result.stdout.encode("utf-8", "replace")) + len(result.stderr.encode("utf-8", "replace"))
        else:
            got = getattr(result, key)
        if not _matches(got, want):
            problems.append(f"{key}: expected {want!r}, got {got!r}")
    return problems


def _matches(got: Any, want: Any) -> bool:
    if want == {}:
        return got == {}  # "nothing at all", never "anything"
    if isinstance(want, list):
        return got == want if isinstance(got, list) else got in want
    if isinstance(want, dict) and set(want) <= {"min", "max"}:
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return want.get("min", got) <= got <= want.get("max", got)
    if isinstance(want, dict):
        # Any other dict: the listed keys of a dict-valued fact, each matched by these rules.
        return isinstance(got, dict) and all(_matches(got.get(k), v) for k, v in want.items())
    return got == want


# at all (no CFS bandwidth periods) or gave it clearly more CPU than the 0.5 quota allows: the
# rule the cpu attacks apply to their own figures, applied to the kernel's record of the run.
ABOVE_QUOTA = 0.6


def judge_host_cpu(figures: dict, evidence: str) -> tuple[Verdict, str]:
    """(verdict, evidence) from the host's CPU figures, keeping the program's own as evidence."""
    if "cpu_per_wall" not in figures:
        return Verdict.ERROR, f"the engine gave no CPU figures for the run; {evidence}"
    escaped = figures["throttled_periods"] == 0 and figures["cpu_per_wall"] >= ABOVE_QUOTA
    return (Verdict.ESCAPED if escaped else Verdict.CONTAINED), (
        f"the host's record (engine stats): cpu_per_wall={figures['cpu_per_wall']} "
        f"throttled_periods={figures['throttled_periods']}; the program's own clock: {evidence}"
    )


def judge_on_record(attack: Attack, usage: Usage, verdict: Verdict, evidence: str) -> tuple[Verdict, str]:
    """(verdict, evidence) from the supervisor's record of the run, where the attack names the facts
    that tell an escape (its `escape_record`, or the CPU rule); else the run's own verdict stands."""
    if attack.category == "cpu":
        return judge_kernel_cpu(usage, verdict, evidence)
    facts = {name: getattr(usage, name) for name in attack.escape_record}
    if not facts or any(value is None for value in facts.values()):
        return verdict, evidence
    escaped = all(_matches(facts[name], want) for name, want in attack.escape_record.items())
    return _on_record(escaped, facts, verdict, evidence)


# The facts of what came back that `escape_files` may name: "contains" (a file by that name
# came back and its bytes hold the text; "" for "came back at all"), "missing" (files the program
# left that did not come back), and counts: "files" (that came back), "host_refused" (entries the
# supervisor's harvest handed over that only the host's re-check refused: a raw name, a body past
# the bound, a file past the count), "refused" (all refusals), "duration_s" (the run's).
FILES_FACTS = ("contains", "missing", "files", "host_refused", "refused", "duration_s")


def files_facts(result: Result) -> dict[str, Any]:
    """The counts `escape_files` may name, from the Result: the kit's facts, never the program's."""
    return {
        "files": len(result.files),
        "host_refused": sum(reason.startswith(HOST) for _, reason in result.files_refused),
        "refused": len(result.files_refused),
        "duration_s": round(result.duration_s, 2),
    }


def judge_on_files(attack: Attack, result: Result, verdict: Verdict, evidence: str) -> tuple[Verdict, str]:
    """(verdict, evidence) from what came back from out/, where the attack names what an escape
    leaves there (its `escape_files`: any one of its ways, each with all its facts); else the
    run's own verdict stands. The program cannot see the harvest (it runs after every process is
    dead), so only the kit's facts can tell."""
    ways = attack.escape_files
    if not ways:
        return verdict, evidence
    counts = files_facts(result)
    held = [way for way in ways if _files_hold(way, result, counts)]
    contains = {name: text for way in ways for name, text in way.get("contains", {}).items()}
    shown = _harvest_shown(result, counts, contains)
    # A file missing is an escape only if it was there to lose: the program's report says it
    # planted it; a run that broke before its report may never have written it.
    if verdict == Verdict.ERROR and all("missing" in way for way in held):
        return verdict, f"{evidence}; what came back shows no escape: {shown}"
    return (Verdict.ESCAPED if held else Verdict.CONTAINED), (
        f"what came back (the kit's harvest): {shown}; the run and its report: {evidence}"
    )


def _files_hold(want: dict, result: Result, counts: dict[str, Any]) -> bool:
    """Whether every fact of one way an escape shows holds of what came back."""
    held = []
    for name, text in want.get("contains", {}).items():
        found = result.files.get(name)
        held.append(found is not None and text.encode("utf-8") in found.data)
    held += [name not in result.files for name in want.get("missing", ())]
    held += [_matches(counts[key], value) for key, value in want.items() if key in counts]
    return all(held)


def _harvest_shown(result: Result, counts: dict[str, Any], contains: dict[str, str]) -> str:
    """One line: the files that came back (a named one with whether it holds the text), the
    refusals with their reasons, the counts."""
    came = []
    for name, found in list(result.files.items())[:6]:
        text = contains.get(name)
        holds = f" holding {text!r}" if text and text.encode("utf-8") in found.data else ""
        came.append(f"{name} ({found.size} B{holds})")
    refused = [f"{name}: {reason}" for name, reason in result.files_refused[:3]]
    return clip(
        f"{counts['files']} came back [{', '.join(came)}]; {counts['refused']} refused "
        f"({counts['host_refused']} by the host) [{'; '.join(refused)}]; {result.files_unexamined} unexamined",
        400,
    )


def judge_kernel_cpu(usage: Usage, verdict: Verdict, evidence: str) -> tuple[Verdict, str]:
    """(verdict, evidence) from the supervisor's record of the run's cgroup, nothing the program
    wrote; the program's own verdict stands where the kernel keeps no such record."""
    periods, throttled = usage.cpu_periods, usage.throttled_periods
    if periods is None or throttled is None or not usage.cpu_s or not usage.wall_s:
        return verdict, evidence
    ratio = round(usage.cpu_s / usage.wall_s, 2)
    escaped = throttled == 0 and (periods == 0 or ratio >= ABOVE_QUOTA)
    facts = {"cpu_periods": periods, "throttled_periods": throttled, "cpu_per_wall": ratio}
    return _on_record(escaped, facts, verdict, evidence)


def _on_record(escaped: bool, facts: dict, verdict: Verdict, evidence: str) -> tuple[Verdict, str]:
    shown = " ".join(f"{name}={value}" for name, value in facts.items())
    if not escaped and verdict == Verdict.ERROR:
        # The record shows no escape, but an attack that broke may never have tried: not "contained".
        return verdict, f"{evidence}; the kernel's record (supervisor) shows no escape: {shown}"
    return (Verdict.ESCAPED if escaped else Verdict.CONTAINED), (
        f"the kernel's record (supervisor): {shown}; the run and its report: {evidence}"
    )

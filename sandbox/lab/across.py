"""The scorecard across engines: one table of every attack's verdicts on each engine, and why
they differ where they do.

Each engine's matrix is recorded as a scorecard JSON document (`python -m sandbox attacks`
writes one; so does the test suite's matrix, into reports/engines/, one per engine it ran on).
`combine` reads them back and tells, for each attack and case, the verdict on every engine; a
row whose verdicts or facts differ between engines is marked, with the attack's own words for
why (its `engines` entry, its not-applicable reason, its gvisor note).

    python -m sandbox attacks --combine reports/engines
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from .errors import ReportFolderError
from .scorecard import write_texts
from .verdict import Verdict

REPORT_NAME = "attacks-across-engines"
# What each case should show, as the scorecard counts it (None: no one verdict is wanted). The
# naive case is the engine's own defaults, where engines differ the most: it is shown, not judged.
WANTED = {
    "hardened": Verdict.CONTAINED,
    "ablated": Verdict.ESCAPED,
    "naive": None,
    "gvisor": Verdict.CONTAINED,
    "gvisor_ablated": None,
}


@dataclass(frozen=True)
class Engine:
    label: str  # "Docker 26.1.5+dfsg1 (runc, runsc)"
    card: dict  # its scorecard JSON document

    def outcome(self, attack: str, case: str) -> dict | None:
        for outcome in self.card["outcomes"]:
            if outcome["attack"] == attack and outcome["case"] == case:
                return outcome
        return None

    def attack(self, name: str) -> dict | None:
        return next((a for a in self.card["attacks"] if a["name"] == name), None)


def load(folder: Path) -> list[Engine]:
    """Every scorecard JSON document in `folder`, oldest engine version first."""
    documents = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not documents:
        raise ReportFolderError(
            f"No scorecard JSON documents in {folder}.",
            hint="Run the matrix on each engine first (make test writes reports/engines/).",
        )
    engines = []
    for path in documents:
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportFolderError(f"Cannot read {path}: {exc}.", hint="Run the matrix again to rewrite it.") from exc
        meta = card.get("meta", {})
        runtimes = ", ".join(meta.get("runtimes") or ["runc"])
        engines.append(Engine(f"{meta.get('kind', 'Docker')} {meta.get('engine', '?')} ({runtimes})", card))
    return engines


def cases_of(engines: list[Engine]) -> list[str]:
    found: list[str] = []
    for engine in engines:
        found += [c for c in engine.card["cases"] if c in WANTED and c not in found]
    return sorted(found, key=list(WANTED).index)


def columns(engines: list[Engine]) -> list[tuple[Engine, str]]:
    """(engine, case) for every case that engine ran: no column of dashes for a case it has not."""
    return [(e, c) for e in engines for c in cases_of([e])]


def attack_names(engines: list[Engine]) -> list[str]:
    names: list[str] = []
    for engine in engines:
        names += [a["name"] for a in engine.card["attacks"] if a["name"] not in names]
    return names


def contained_everywhere(engines: list[Engine]) -> dict[str, bool]:
    """Per engine: did hardened (and gvisor, where it ran) contain every attack it should?"""
    result = {}
    for engine in engines:
        wanted = [o for o in engine.card["outcomes"] if o["case"] in ("hardened", "gvisor")]
        result[engine.label] = bool(wanted) and all(o["as_expected"] for o in wanted)
    return result


def known_limits(engine: Engine) -> dict[str, str]:
    """The attacks hardened is documented not to contain on this engine, each with why."""
    return {a["name"]: a["known_limit"] for a in engine.card["attacks"] if a.get("known_limit")}


def verdict_line(engine: Engine, held: bool) -> str:
    """One line on whether hardened held on this engine, naming its known limits."""
    if not held:
        return "hardened does NOT contain every attack"
    limits = known_limits(engine)
    return "hardened contains every attack" + (
        f" but its documented known limits here: {', '.join(sorted(limits))}" if limits else ""
    )


def differences(engines: list[Engine], attack: str, case: str) -> list[str]:
    """What differs for one attack and case between engines: verdicts, then facts."""
    seen = {e.label: e.outcome(attack, case) for e in engines}
    ran = {label: o for label, o in seen.items() if o is not None}
    if len(ran) < 2:
        return []
    varies = {key for e in engines for key in ((e.attack(attack) or {}).get("varies") or ())}
    verdicts = {o["verdict"] for o in ran.values()}
    reports = {json.dumps(_facts(o, varies), sort_keys=True) for o in ran.values()}
    if len(verdicts) == 1 and len(reports) == 1:
        return []
    return [f"{label}: {o['verdict']}: {o['evidence']}" for label, o in ran.items()]


def why(engines: list[Engine], attack: str, case: str) -> list[str]:
    """The attack's own words for what differs, as each engine's run recorded them."""
    words: list[str] = []
    for engine in engines:
        meta = engine.attack(attack) or {}
        for text in (
            meta.get("not_applicable"),
            meta.get("engine_note"),
            meta.get("gvisor") if case == "gvisor" else None,
        ):
            if text and not any(text in said for said in words):  # a reason may quote the note
                words.append(f"{engine.label}: {text}")
    return words


def _surprise(outcome: dict) -> str:
    """⚠ where a run did not show what the attack says it should (as the scorecard marks it:
    the naive case is shown, not judged)."""
    return "" if outcome["as_expected"] or outcome["case"] == "naive" else " ⚠"


def _facts(outcome: dict, varies: AbstractSet[str] = frozenset()) -> dict:
    """The facts that tell runs apart, without what varies from run to run (times, counts
    of bytes, CPU shares, and the fields the attack names as its run's own)."""
    report = outcome.get("report") or {}
    steady = {k: v for k, v in report.items() if (isinstance(v, (bool, str)) or v is None) and k not in varies}
    return {"verdict": outcome["verdict"], "status": outcome.get("status"), "report": steady}


def render_markdown(engines: list[Engine]) -> str:
    cases = cases_of(engines)
    held = contained_everywhere(engines)
    lines = ["# safe-python attacks across engines", ""]
    for engine in engines:
        summary = engine.card.get("summary", "")
        lines.append(f"- **{engine.label}**: {verdict_line(engine, held[engine.label])}. {summary}")
    shown = columns(engines)
    header = [f"{e.label}: {c}" for e, c in shown]
    lines += [
        "",
        "A ≠ marks an attack whose verdicts or facts differ between engines; why follows the table.",
        "",
        "| attack | " + " | ".join(header) + " | |",
        "|---|" + "---|" * len(header) + "---|",
    ]
    notes = []
    for name in attack_names(engines):
        cells, differs = [], False
        for engine, case in shown:
            outcome = engine.outcome(name, case)
            cells.append("—" if outcome is None else outcome["verdict"] + _surprise(outcome))
        for case in cases:
            found = differences(engines, name, case)
            if found:
                differs = True
                notes += ["", f"### {name} [{case}]", ""] + [f"- {line}" for line in found]
                notes += [f"- why: {line}" for line in why(engines, name, case)]
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {'≠' if differs else ''} |")
    limits = [
        f"- **{engine.label}**, `{name}`: {text}"
        for engine in engines
        for name, text in sorted(known_limits(engine).items())
    ]
    if limits:
        lines += ["", "## Known limits: what hardened is documented not to contain, and why", "", *limits]
    lines += [
        "",
        "## What differs, and why",
        *notes,
        "",
        "Produced by `python -m sandbox attacks --combine`; each engine's matrix is `pytest -m attacks` "
        "on that engine.",
        "",
    ]
    return "\n".join(lines)


def to_json(engines: list[Engine]) -> dict:
    cases = cases_of(engines)
    return {
        "engines": [e.label for e in engines],
        "contained_everywhere": contained_everywhere(engines),
        "known_limits": {e.label: known_limits(e) for e in engines},
        "attacks": {
            name: {case: {e.label: (e.outcome(name, case) or {}).get("verdict") for e in engines} for case in cases}
            for name in attack_names(engines)
        },
        "differences": {
            f"{name} [{case}]": {"runs": found, "why": why(engines, name, case)}
            for name in attack_names(engines)
            for case in cases
            if (found := differences(engines, name, case))
        },
    }


def write(engines: list[Engine], out_dir: Path) -> list[Path]:
    return write_texts(
        out_dir, REPORT_NAME, {"md": render_markdown(engines), "json": json.dumps(to_json(engines), indent=2)}
    )

"""The scorecard: every attack under each case, judged, and written as Markdown, HTML and JSON.

`python -m sandbox attacks` (sandbox/cli) runs it from a terminal:

    python -m sandbox attacks                          # everything; reports/attacks.{md,html,json}
    python -m sandbox attacks --only fork_bomb memory_hog --out /tmp/score
    python -m sandbox attacks --category network escape --no-naive

The scorecard is a table of attack x case (hardened, ablated, naive), each cell `contained` or
`escaped` with the facts behind it, and one summary line, e.g.
"32 attacks: hardened contained 32/32; ablated escaped 32/32; naive escaped 24/32". A case
this host could not run is counted and named: "ablated escaped 31/32 (1 skipped)".
It exits 0 only when every hardened case is contained, every ablated case escaped, every
machine-checked fact matched the attack's metadata, and nothing was skipped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import engine
from sandbox.text import clip

from . import catalog
from .catalog import CATEGORIES, MISCONFIGURATIONS, Attack, AttackOutcome
from .errors import ReportFolderError
from .verdict import Verdict

DEFAULT_OUT = "reports"
REPORT_NAME = "attacks"


@dataclass
class Scorecard:
    """The outcomes of one matrix run, with what is needed to tell them."""

    outcomes: list[AttackOutcome]
    cases: tuple[str, ...]
    runtime_s: float
    meta: dict = field(default_factory=dict)

    @property
    def attacks(self) -> list[Attack]:
        seen: dict[str, Attack] = {}
        for outcome in self.outcomes:
            seen.setdefault(outcome.attack.name, outcome.attack)
        return list(seen.values())

    def outcome(self, attack: Attack, case: str) -> AttackOutcome | None:
        for o in self.outcomes:
            if o.attack.name == attack.name and o.case == case:
                return o
        return None

    @property
    def passed(self) -> bool:
        """Hardened contained, ablated escaped, facts as documented (n/a attacks: contained).

        A skipped case fails too: what was not run was not shown.
        """
        return all(
            o.as_expected for o in self.outcomes if o.case in ("hardened", "ablated", "gvisor", "gvisor_ablated")
        ) and not any(o.verdict == Verdict.SKIPPED for o in self.outcomes)

    def summary(self) -> str:
        counted = [a for a in self.attacks if a.applicable]
        parts = []
        for case, verdict in (
            ("hardened", Verdict.CONTAINED),
            ("ablated", Verdict.ESCAPED),
            ("naive", Verdict.ESCAPED),
            ("gvisor", Verdict.CONTAINED),
        ):
            if case not in self.cases:
                continue
            ran = [o for o in (self.outcome(a, case) for a in counted) if o is not None]
            hits = sum(o.verdict == verdict for o in ran)
            skipped = sum(o.verdict == Verdict.SKIPPED for o in ran)
            parts.append(f"{case} {verdict} {hits}/{len(ran)}" + (f" ({skipped} skipped)" if skipped else ""))
        line = f"{len(counted)} attacks: " + "; ".join(parts)
        notes = []
        skipped_here = sorted({o.attack.name for o in self.outcomes if o.verdict == Verdict.SKIPPED})
        if skipped_here:
            notes.append("skipped here: " + ", ".join(skipped_here))
        surprising = sorted({o.attack.name for o in self.outcomes if o.surprises})
        if surprising:
            notes.append("facts differing from the metadata: " + ", ".join(surprising))
        errors = sorted({o.attack.name for o in self.outcomes if o.verdict == Verdict.ERROR})
        if errors:
            notes.append("errors: " + ", ".join(errors))
        not_applicable = [a.name for a in self.attacks if not a.applicable]
        if not_applicable:
            notes.append("not applicable on this engine: " + ", ".join(not_applicable))
        known = [a.name for a in counted if a.limit_here]
        if known:
            notes.append("not contained by hardened, known limits: " + ", ".join(known))
        notes.append(f"runtime {_duration(self.runtime_s)}")
        return line + " (" + "; ".join(notes) + ")"


# -- running --------------------------------------------------------------------------------


def run_matrix(
    attacks: list[Attack],
    cases: tuple[str, ...],
    on_step: Callable[[Attack, str, AttackOutcome | None], None] | None = None,
) -> Scorecard:
    """Run each attack under each case, one at a time (CPU measurements need a quiet machine)."""
    started = time.monotonic()
    outcomes = []
    for attack in attacks:
        for case in (c for c in cases if attack.runs(c)):
            if on_step:
                on_step(attack, case, None)
            outcome = catalog.run_attack(attack, case)
            outcomes.append(outcome)
            if on_step:
                on_step(attack, case, outcome)
    return Scorecard(outcomes, cases, time.monotonic() - started, _meta())


def recorded(outcomes: list[AttackOutcome], runtime_s: float) -> Scorecard:
    """A Scorecard of outcomes run elsewhere (the test suite's matrix), with this engine's facts."""
    cases = tuple(dict.fromkeys(o.case for o in outcomes))
    return Scorecard(outcomes, cases, runtime_s, _meta())


def _meta() -> dict:
    info: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "image": engine.IMAGE,
    }
    try:
        version = engine.client().version()
        info.update(
            engine=version.get("Version", "?"),
            kernel=version.get("KernelVersion", "?"),
            kind=engine.kind().name.capitalize(),
            runtimes=[r for r in engine.runtimes() if r in ("runc", "runsc")],
        )
    except Exception:  # noqa: BLE001 - decoration only; the runs themselves already succeeded
        info.update(engine="?", kernel=platform.release())
    return info


# -- writing --------------------------------------------------------------------------------


def prepare_out_dir(out_dir: Path) -> Path:
    """Create out_dir and prove it writable, before minutes of runs depend on it."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ReportFolderError(f"Cannot write the reports to {out_dir}: {exc.strerror or exc}.") from exc
    return out_dir


def write_reports(card: Scorecard, out_dir: Path) -> list[Path]:
    """attacks.md, attacks.html and attacks.json in out_dir (created if needed)."""
    return write_texts(
        out_dir,
        REPORT_NAME,
        {"md": render_markdown(card), "html": render_html(card), "json": json.dumps(to_json(card), indent=2)},
    )


def write_texts(out_dir: Path, name: str, texts: dict[str, str]) -> list[Path]:
    """out_dir/name.<suffix> for each suffix -> text (out_dir created if needed)."""
    prepare_out_dir(out_dir)
    paths = []
    for suffix, text in texts.items():
        path = out_dir / f"{name}.{suffix}"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportFolderError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        paths.append(path)
    return paths


def to_json(card: Scorecard) -> dict:
    return {
        "summary": card.summary(),
        "passed": card.passed,
        "cases": list(card.cases),
        "runtime_s": round(card.runtime_s, 1),
        "meta": card.meta,
        "attacks": [a.to_dict() for a in card.attacks],
        "outcomes": [o.to_dict() for o in card.outcomes],
    }


def gvisor_why(attack: Attack, case: str) -> str | None:
    """The attack's own words for what gVisor changes in this case, where it changes anything."""
    if case == "gvisor" and "expect" in attack.gvisor:
        return attack.gvisor["why"]
    if case == "gvisor_ablated":
        return attack.gvisor.get("ablated", {}).get("why")
    return None


def _what_changes(attack: Attack, detail: bool = True) -> str:
    if attack.control:
        text = f"control `{attack.control}` removed"
    else:
        text = f"misconfiguration `{attack.misconfiguration}` added"
        if detail:
            text += f" ({MISCONFIGURATIONS[attack.misconfiguration or '']})"  # one or the other is set
    if attack.given:
        text += f"; both cases also without {', '.join(attack.given)}"
    return text


def _cell(outcome: AttackOutcome | None) -> str:
    if outcome is None:
        return "—"
    mark = "" if outcome.as_expected or outcome.case == "naive" else " ⚠"
    return f"{outcome.verdict}{mark}"


CASE_TITLES = {
    "hardened": "hardened",
    "ablated": "ablated (control removed / misconfigured)",
    "naive": "naive (Docker defaults)",
    "gvisor": "gvisor (hardened through gVisor's kernel)",
    "gvisor_ablated": "ablated through gVisor's kernel",
}


def render_markdown(card: Scorecard) -> str:
    lines = [
        "# safe-python attack scorecard",
        "",
        f"**{card.summary()}**",
        "",
        f"Engine {card.meta.get('engine', '?')}, kernel {card.meta.get('kernel', '?')}, image "
        f"`{card.meta.get('image', '?')}`, {card.meta.get('date', '')}.",
        "",
        "Each attack runs three ways: **hardened** (the kit's default profile), **ablated** (the same "
        "with the one control that should stop it removed, or with a misconfiguration added) and "
        "**naive** (Docker's defaults). *contained* means the attack reported failure or the sandbox "
        "ended it; *escaped* means it reported success. Hardened should be contained and ablated "
        "escaped: that is how each control is shown to work. ⚠ marks a case that did not behave as "
        "its metadata says.",
        "",
        "| attack | category | what the ablated case changes | " + " | ".join(card.cases) + " |",
        "|---|---|---|" + "---|" * len(card.cases),
    ]
    for attack in card.attacks:
        if not attack.applicable:
            continue
        cells = [_cell(card.outcome(attack, c)) for c in card.cases]
        lines.append(
            f"| [{attack.title}](#{attack.name}) | {attack.category} | {_what_changes(attack, False)} | "
            + " | ".join(cells)
            + " |"
        )
    not_applicable = [a for a in card.attacks if not a.applicable]
    if not_applicable:
        lines += ["", "## Not applicable on this engine", ""]
        for attack in not_applicable:
            lines.append(f"- **{attack.title}** (`{attack.name}`): {attack.why_not_applicable()}")
    for category in CATEGORIES:
        chosen = [a for a in card.attacks if a.category == category]
        if not chosen:
            continue
        lines += ["", f"## {category}: {CATEGORIES[category]}"]
        for attack in chosen:
            lines += [
                "",
                f'### <a id="{attack.name}"></a>{attack.title} (`attacks/{attack.name}.py`)',
                "",
                attack.explain,
                "",
                f"- Ablated case: {_what_changes(attack)}.",
                f"- Expected, hardened: {attack.hardened}.",
                f"- Expected, ablated: {attack.ablated}.",
            ]
            for case in card.cases:
                outcome = card.outcome(attack, case)
                if outcome is None:
                    continue
                lines.append(
                    f"- **{case}** ({outcome.limits.name}): **{_cell(outcome)}**: {_md_escape(outcome.evidence)}"
                )
                changes = gvisor_why(attack, case)
                if changes:
                    lines.append(f"  - what gVisor changes: {_md_escape(changes)}")
                for surprise in outcome.surprises:
                    lines.append(f"  - ⚠ {_md_escape(surprise)}")
    lines += [
        "",
        "Produced by `python -m sandbox attacks`. The attacks are in `attacks/`; "
        "`pytest -m attacks` checks the same matrix.",
        "",
    ]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330;line-height:1.45}
h1{margin-bottom:.2rem} .summary{font-size:1.15rem;font-weight:600;margin:.6rem 0}
.meta,.legend{color:#556} table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #d6dae3;padding:.4rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f4f8} table{table-layout:fixed} th:first-child{width:13rem} th:nth-child(2){width:11rem}
td.v b{white-space:nowrap} td.v small{overflow-wrap:anywhere}
.contained{background:#e3f6e8;color:#17643a} .escaped{background:#fde7e7;color:#9b1c1c}
.error,.skipped{background:#fff4d6;color:#7a5600} .surprise{color:#b45309;font-weight:600}
small{color:#556} code{background:#f2f4f8;padding:0 .2rem;border-radius:3px}
section.attack{border-top:1px solid #d6dae3;margin-top:1.2rem;padding-top:.4rem}
.tag{display:inline-block;font-size:.8rem;border-radius:3px;padding:0 .35rem;background:#e8ecf5;margin-right:.3rem}
.tag.mis{background:#f7e3ff}
"""


def render_html(card: Scorecard) -> str:
    e = html.escape
    rows = []
    for attack in card.attacks:
        if not attack.applicable:
            continue
        tag = (
            f'<span class="tag">control: {e(attack.control)}</span>'
            if attack.control
            else f'<span class="tag mis">misconfiguration: {e(attack.misconfiguration or "")}</span>'
        )
        cells = []
        for case in card.cases:
            o = card.outcome(attack, case)
            if o is None:
                cells.append("<td>—</td>")
                continue
            warn = "" if o.as_expected or case == "naive" else ' <span class="surprise">⚠</span>'
            cells.append(
                f'<td class="v {e(o.verdict)}"><b>{e(o.verdict)}</b>{warn}<br>'
                f"<small>{e(clip(o.evidence, 110))}</small></td>"
            )
        rows.append(
            f'<tr><td><a href="#{e(attack.name)}">{e(attack.title)}</a><br><small>{e(attack.category)}</small></td>'
            f"<td>{tag}</td>{''.join(cells)}</tr>"
        )
    sections = []
    for attack in card.attacks:
        items = [
            f"<li>Ablated case: {e(_what_changes(attack)).replace('`', '')}.</li>",
            f"<li>Expected, hardened: {e(attack.hardened)}.</li>",
            f"<li>Expected, ablated: {e(attack.ablated)}.</li>",
        ]
        for case in card.cases:
            o = card.outcome(attack, case)
            if o is None:
                continue
            items.append(
                f"<li><b>{e(case)}</b> <small>({e(o.limits.name)})</small>: "
                f'<span class="{e(o.verdict)}">&nbsp;{e(o.verdict)}&nbsp;</span> {e(o.evidence)}'
                + "".join(f'<br><span class="surprise">⚠ {e(s)}</span>' for s in o.surprises)
                + (
                    f"<br><small>what gVisor changes: {e(gvisor_why(attack, case) or '')}</small>"
                    if gvisor_why(attack, case)
                    else ""
                )
                + "</li>"
            )
        na = (
            f'<p class="surprise">Not applicable on this engine: {e(attack.why_not_applicable() or "")}</p>'
            if not attack.applicable
            else ""
        )
        sections.append(
            f'<section class="attack" id="{e(attack.name)}"><h3>{e(attack.title)} '
            f"<small><code>attacks/{e(attack.name)}.py</code></small></h3>{na}"
            f"<p>{e(attack.explain)}</p><ul>{''.join(items)}</ul></section>"
        )
    head_cells = "".join(f"<th>{e(CASE_TITLES.get(c, c))}</th>" for c in card.cases)
    meta = card.meta
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>safe-python attack scorecard</title><style>{_CSS}</style></head>
<body>
<h1>safe-python attack scorecard</h1>
<p class="summary">{e(card.summary())}</p>
<p class="meta">Engine {e(str(meta.get("engine", "?")))}, kernel {e(str(meta.get("kernel", "?")))},
image <code>{e(str(meta.get("image", "?")))}</code>, {e(str(meta.get("date", "")))}.</p>
<p class="legend">Each attack runs as <b>hardened</b> (the kit's default profile), <b>ablated</b> (the same
with the one control that should stop it removed, or with a misconfiguration added) and <b>naive</b>
(Docker's defaults). <span class="contained">&nbsp;contained&nbsp;</span> means the attack reported failure or
the sandbox ended it; <span class="escaped">&nbsp;escaped&nbsp;</span> means it reported success. Hardened
should be contained and ablated escaped: that is how each control is shown to work.
<span class="surprise">⚠</span> marks a case that did not behave as its metadata says.</p>
<table><thead><tr><th>attack</th><th>control or misconfiguration</th>{head_cells}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>The attacks</h2>
{"".join(sections)}
<p class="meta">Produced by <code>python -m sandbox attacks</code>;
<code>pytest -m attacks</code> checks the same matrix.</p>
</body></html>
"""


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"

"""The audit's report: one table of every attack against every target, side by side, and each
cell's evidence, as Markdown, HTML and JSON (the scorecard's writer and style, the report across
engines' layout: one column per target instead of per engine)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from sandbox.text import clip

from ..metadata import CATEGORIES
from ..scorecard import _CSS, write_texts
from ..verdict import Verdict
from .matrix import KERNEL, NA, REPORT, TARGET_END, Audit, Cell

REPORT_NAME = "attacks-across-targets"
SHORT = {KERNEL: "kernel", REPORT: "report", TARGET_END: "target's end", NA: ""}
LEGEND = (
    "Each cell is the attack's verdict on that target and what it rests on. *kernel*: the kit's own "
    "facts (the supervisor's record of the run, the engine's status). *report*: the attack program's "
    "own `ATTACK_REPORT` line, the only evidence a target the kit does not control gives; it shows what "
    "the program could do, and a program killed before it reported shows nothing. *target's end*: the "
    "target ended the run (its clock, a kill signal, a cut output) before any report. *not applicable*: "
    "the attack needs what only the kit has (its lab image, a companion run, its target container, its "
    "harvest or supervisor), never a pass. Against a foreign target the network attacks send no packet: "
    "they judge from interfaces, routes, resolvers and socket creation."
)


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    basis = SHORT.get(cell.basis, "")
    if basis == "kernel" and cell.verdict == Verdict.ESCAPED and cell.attack.limit_here:
        basis = "kernel, a known limit"
    return f"{cell.verdict} ({basis})" if basis else str(cell.verdict)


def render_markdown(audit: Audit) -> str:
    labels = [label for label, _ in audit.targets]
    meta = audit.meta
    lines = [
        "# safe-python attacks across targets",
        "",
        f"Engine {meta.get('engine', '?')}, kernel {meta.get('kernel', '?')}, image `{meta.get('image', '?')}`, "
        f"{meta.get('date', '')}; {len(audit.attacks)} attacks in {round(audit.runtime_s)} s.",
        "",
    ]
    lines += [f"- **{label}** ({kind}): {audit.summary(label)}" for label, kind in audit.targets]
    lines += ["", LEGEND, "", "| attack | category | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for attack in audit.attacks:
        cells = [cell_text(audit.cell(attack.name, label)) for label in labels]
        lines.append(f"| [{attack.title}](#{attack.name}) | {attack.category} | " + " | ".join(cells) + " |")
    for category in CATEGORIES:
        chosen = [a for a in audit.attacks if a.category == category]
        if not chosen:
            continue
        lines += ["", f"## {category}: {CATEGORIES[category]}"]
        for attack in chosen:
            lines += ["", f'### <a id="{attack.name}"></a>{attack.title} (`attacks/{attack.name}.py`)', ""]
            lines += [attack.explain, ""]
            if attack.foreign:
                lines += [f"On a foreign target: {attack.foreign}", ""]
            for label in labels:
                cell = audit.cell(attack.name, label)
                if cell is not None:
                    lines.append(f"- **{label}**: **{cell.verdict}**: {_md(cell.evidence)}")
    lines += ["", "Produced by `python -m sandbox attacks --target ...`; targets are described in docs/audit.md.", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def render_html(audit: Audit) -> str:
    e = html.escape
    labels = [label for label, _ in audit.targets]
    rows = []
    for attack in audit.attacks:
        tds = []
        for label in labels:
            cell = audit.cell(attack.name, label)
            klass = "skipped" if cell is None or cell.verdict == Verdict.NOT_APPLICABLE else cell.verdict
            tds.append(
                f'<td class="v {e(klass)}"><b>{e(cell_text(cell))}</b><br>'
                f"<small>{e(clip(cell.evidence if cell else '', 110))}</small></td>"
            )
        rows.append(
            f'<tr><td><a href="#{e(attack.name)}">{e(attack.title)}</a></td><td>{e(attack.category)}</td>'
            + "".join(tds)
            + "</tr>"
        )
    sections = []
    for attack in audit.attacks:
        items = []
        for label in labels:
            cell = audit.cell(attack.name, label)
            if cell is not None:
                items.append(
                    f'<li><b>{e(label)}</b>: <span class="{e(cell.verdict)}">&nbsp;{e(cell.verdict)}&nbsp;</span> '
                    f"{e(cell.evidence)}</li>"
                )
        foreign = f"<p><small>On a foreign target: {e(attack.foreign)}</small></p>" if attack.foreign else ""
        sections.append(
            f'<section class="attack" id="{e(attack.name)}"><h3>{e(attack.title)} '
            f"<small><code>attacks/{e(attack.name)}.py</code></small></h3><p>{e(attack.explain)}</p>{foreign}"
            f"<ul>{''.join(items)}</ul></section>"
        )
    heads = "".join(f"<th>{e(label)}</th>" for label in labels)
    summaries = "".join(
        f"<li><b>{e(label)}</b> ({e(kind)}): {e(audit.summary(label))}</li>" for label, kind in audit.targets
    )
    meta = audit.meta
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>safe-python attacks across targets</title><style>{_CSS}</style></head>
<body>
<h1>safe-python attacks across targets</h1>
<p class="meta">Engine {e(str(meta.get("engine", "?")))}, kernel {e(str(meta.get("kernel", "?")))},
image <code>{e(str(meta.get("image", "?")))}</code>, {e(str(meta.get("date", "")))}.</p>
<ul>{summaries}</ul>
<p class="legend">{e(LEGEND)}</p>
<table><thead><tr><th>attack</th><th>category</th>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>The attacks</h2>
{"".join(sections)}
<p class="meta">Produced by <code>python -m sandbox attacks --target ...</code>.</p>
</body></html>
"""


def to_json(audit: Audit) -> dict:
    return {
        "targets": [{"label": label, "kind": kind, "summary": audit.summary(label)} for label, kind in audit.targets],
        "complete": audit.complete,
        "kit_contained": audit.kit_contained(),
        "runtime_s": round(audit.runtime_s, 1),
        "meta": audit.meta,
        "attacks": [a.to_dict() for a in audit.attacks],
        "outcomes": [c.to_dict() for c in audit.cells],
    }


def write(audit: Audit, out_dir: Path) -> list[Path]:
    texts = {"md": render_markdown(audit), "html": render_html(audit), "json": json.dumps(to_json(audit), indent=2)}
    return write_texts(out_dir, REPORT_NAME, texts)

"""Audit any sandbox: the attack catalog against targets the kit does not control, side by side
with the kit's own profiles (`python -m sandbox attacks --target T [--target T2 ...]`).

- base.py: the protocol (`Target.run(code, stdin) -> TargetRun`) and the bounded child process;
- kinds.py: the targets the kit ships (kit:PROFILE, docker-run:FLAGS, http:URL, command:CMD, and
  the peers epicbox and llm-sandbox, through their adapters in peers/);
- matrix.py: applicability, the verdict on a foreign target ("by the program's report"), the run;
- report.py: Markdown, HTML and JSON, one column per target.
"""

from __future__ import annotations

from .base import HARNESS_BOUND_S, Target, TargetRun
from .kinds import (
    AUDIT_LABEL,
    PEERS,
    PEERS_DIR,
    SEED_FLAGS,
    CommandTarget,
    DockerRunTarget,
    HttpTarget,
    KitTarget,
    parse,
    peer_version,
)
from .matrix import FOREIGN_HEADER, Audit, Cell, audit, judge_foreign, judge_on, not_applicable

__all__ = [
    "HARNESS_BOUND_S",
    "Target",
    "TargetRun",
    "AUDIT_LABEL",
    "PEERS",
    "PEERS_DIR",
    "SEED_FLAGS",
    "CommandTarget",
    "DockerRunTarget",
    "HttpTarget",
    "KitTarget",
    "parse",
    "peer_version",
    "FOREIGN_HEADER",
    "Audit",
    "Cell",
    "audit",
    "judge_foreign",
    "judge_on",
    "not_applicable",
]

"""The lab: the kit's teaching and evidence tools, built on the core's public face only.

    >>> from sandbox.lab import Lab, show  # a lesson's widget
    >>> from sandbox.lab import catalog, scorecard  # the attack matrix
    >>> from sandbox.lab.probe import probe  # what code sees inside

- catalog, scorecard: the attacks in attacks/, each run hardened / ablated / naive, judged by
  facts, and the scorecard written as Markdown, HTML and JSON;
- probe: what a program sees inside a profile's container; audit: that container's
  configuration against the CIS Docker Benchmark;
- demo: the presenter's steps; examples: the page's and the lessons' example programs;
- widgets: the lessons' Lab and PoolLab; doctor: is this machine ready, what to fix;
- engines: what each engine changes for the lessons (doctor's differences, the audit's gaps);
- grading: the grading attacks against the kit's grader and a naive one, their scorecard.
- targets: the attacks against any sandbox (kit:PROFILE, docker-run:, http:, command:, the peers).

Nothing in the core imports this package (a test checks), so a reviewer of what stands between
untrusted code and the host can stop reading at `sandbox/*.py`.
"""

from . import audit, catalog, demo, doctor, engines, examples, grading, probe, scorecard, targets, widgets
from .examples import EXAMPLES, Example
from .widgets import Lab, LiveView, PoolLab, PoolReport, limits_for, result_html, show, summary_text

__all__ = [
    "Lab",
    "PoolLab",
    "PoolReport",
    "LiveView",
    "show",
    "result_html",
    "summary_text",
    "limits_for",
    "EXAMPLES",
    "Example",
    "audit",
    "catalog",
    "demo",
    "doctor",
    "engines",
    "examples",
    "grading",
    "probe",
    "scorecard",
    "targets",
    "widgets",
]

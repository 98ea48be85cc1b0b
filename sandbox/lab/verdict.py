"""What an attack's run came to: the scorecard's, the lessons' and the JSON reports' one word.

A StrEnum, so a verdict compares equal to its word and the JSON carries the same strings as ever.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    CONTAINED = "contained"  # the attack reported it failed, or the sandbox ended it first
    ESCAPED = "escaped"  # it reported success (quoting the canary, where one was planted)
    ERROR = "error"  # it neither reported nor was stopped, or the run could not start
    SKIPPED = "skipped"  # this host or engine lacks what the case needs
    NOT_APPLICABLE = "not applicable"  # the attack cannot mean anything on this target (an audit's, with why)

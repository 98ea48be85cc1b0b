"""The lab's own errors: about attack files and report folders, which the core never meets.

Both are SandboxErrors with a hint, so the faces (CLI, server, lessons) show them as they show
the core's: `str(error)`, never a traceback.
"""

from __future__ import annotations

from sandbox import SandboxError


class AttackError(SandboxError):
    """An attack file is missing or its metadata is malformed."""

    hint = "See attacks/README.md for the format of an attack file."


class ReportFolderError(SandboxError):
    """The scorecard's --out folder cannot be made or written."""

    hint = "Choose a folder you can write with --out DIR."


class TargetError(SandboxError):
    """A --target the audit cannot use: a malformed name, a peer not set up, a command missing."""

    hint = "Targets: kit:PROFILE, docker-run:FLAGS (or docker-run:seed), http:URL, command:CMD, epicbox, llm-sandbox."

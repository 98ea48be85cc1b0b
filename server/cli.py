"""`python -m server [--host H] [--port P] [--workers N] [--queue N] [--timeout S] [--allow-ablation]
[--class NAME | --open]`, and `python -m server class ...` (server/classroom/cli.py)."""

from __future__ import annotations

import sys

from .serve import serve
from .settings import from_args


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["class"]:
        from .classroom.cli import main as class_main

        return class_main(args[1:])
    return serve(from_args(args))

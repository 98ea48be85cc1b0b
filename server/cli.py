"""`python -m server [--host H] [--port P] [--workers N] [--queue N] [--timeout S] [--allow-ablation]`"""

from __future__ import annotations

from .serve import serve
from .settings import from_args


def main(argv: list[str] | None = None) -> int:
    return serve(from_args(argv))

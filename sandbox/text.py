"""One line of text, shortened for a message or a table cell."""

from __future__ import annotations

import textwrap


def clip(text: str, limit: int = 300) -> str:
    """`text` on one line of at most `limit` characters, cut at a word where it can be."""
    short = textwrap.shorten(text, limit, placeholder="…")
    if short == "…" and text.strip():  # one word longer than the limit: cut inside it
        return " ".join(text.split())[: limit - 1] + "…"
    return short

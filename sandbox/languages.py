"""The languages the sandbox runs, and the image each one runs in.

Python is the kit's subject; JavaScript (Node.js) is the seed's "Node.js support" idea: the
same controls, profiles and reports, a second image. Adding a language means one entry here
and one image in images.py (with its Dockerfile in docker/).

    >>> from sandbox import run
    >>> run("console.log(2 + 2)", language="javascript").stdout      # doctest: +ENGINE
    '4\\n'
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    image: str                 # the tag runs use
    command: tuple[str, ...]   # argv before the code, which travels as one more argument
    extension: str             # of source files, for `python -m sandbox run FILE`


LANGUAGES: dict[str, Language] = {
    "python": Language(
        name="python",
        image=os.environ.get("SANDBOX_IMAGE", "safe-python:latest"),
        # -E -s: ignore PYTHON* variables and the user's site-packages. Not -I, which also
        # implies -P and keeps the working directory off sys.path: the run's files are put there,
        # and `import helpers` must find helpers.py. -u: unbuffered, so output printed before a
        # kill still reaches the report.
        command=("python3", "-E", "-s", "-u", "-c"),
        extension=".py",
    ),
    "javascript": Language(
        name="javascript",
        image=os.environ.get("SANDBOX_NODE_IMAGE", "safe-node:latest"),
        command=("node", "-e"),
        extension=".js",
    ),
}


def for_path(path: str) -> str:
    """The language of a source file by its extension (Python when unsure)."""
    return next((lang.name for lang in LANGUAGES.values() if path.endswith(lang.extension)), "python")

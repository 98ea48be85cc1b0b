"""The languages the sandbox runs, and the image each one runs in.

Python is the kit's subject; JavaScript (Node.js) is the seed's "Node.js support" idea: the
same controls, profiles and reports, a second image. Adding a language means one entry here
and one Dockerfile in docker/.

    >>> from sandbox import run
    >>> run("console.log(2 + 2)", language="javascript").stdout      # doctest: +SKIP
    '4\\n'
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    image: str                 # the tag runs use
    dockerfile: str            # in docker/
    command: tuple[str, ...]   # argv before the code, which travels as one more argument
    online_base: str           # the official image the Dockerfile builds FROM by default
    local_base: str            # the debootstrap base used where no registry answers
    base_packages: str         # Debian packages in that local base
    base_cmd: str              # its CMD
    extension: str             # of source files, for `python -m sandbox run FILE`


LANGUAGES: dict[str, Language] = {
    "python": Language(
        name="python",
        image=os.environ.get("SANDBOX_IMAGE", "safe-python:latest"),
        dockerfile="Dockerfile",
        # -I: ignore PYTHON* variables and the user's site-packages; -u: unbuffered, so output
        # printed before a kill still reaches the report.
        command=("python3", "-I", "-u", "-c"),
        online_base="python:3.11-slim",
        local_base="safe-python-base:bookworm",
        base_packages="python3-minimal,libpython3.11-stdlib,netbase",
        base_cmd="python3",
        extension=".py",
    ),
    "javascript": Language(
        name="javascript",
        image=os.environ.get("SANDBOX_NODE_IMAGE", "safe-node:latest"),
        dockerfile="node.Dockerfile",
        command=("node", "-e"),
        online_base="node:20-alpine",
        local_base="safe-node-base:bookworm",
        base_packages="nodejs,netbase",
        base_cmd="node",
        extension=".js",
    ),
}


def for_image(image: str) -> Language | None:
    """The language whose image this tag is, if it is one of the kit's."""
    return next((lang for lang in LANGUAGES.values() if lang.image == image), None)


def for_path(path: str) -> str:
    """The language of a source file by its extension (Python when unsure)."""
    return next((lang.name for lang in LANGUAGES.values() if path.endswith(lang.extension)), "python")

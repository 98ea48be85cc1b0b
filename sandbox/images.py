"""The kit's images: what each is built from, and the version a current one carries.

    python      safe-python:latest      docker/Dockerfile        the image every Python run uses
    javascript  safe-node:latest        docker/node.Dockerfile   the image every JavaScript run uses
    lab         safe-python-lab:latest  docker/lab.Dockerfile    the Python image plus lab fixtures

The served images (python, javascript) hold no setuid or setgid file. The lab image adds the
fixtures a lesson or an attack needs to show a control at work, such as a setuid-root `id` for
no_new_privileges; only the lessons and the attack matrix ask for it, never the server.

An image's `org.safe-python.image-version` label is a digest of its Dockerfile (and its
parent's version), so an edited Dockerfile makes `make` rebuild instead of running a stale image.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .languages import LANGUAGES

log = logging.getLogger(__name__)

DOCKER_DIR = Path(__file__).resolve().parent.parent / "docker"
VERSION_LABEL = "org.safe-python.image-version"


# The Python base: python3's runtime and the scientific stack from Debian (OpenBLAS for numpy's
# BLAS and LAPACK). The stand-ins (`stub:`, docker/make-base-image.sh) meet dependencies Debian
# declares that importing and running the stack never uses: pythran (scipy's compiler, which
# brings g++ and Boost) and fontTools' font-authoring extras (sympy, the Unicode database, lxml,
# fs, ufoLib2); matplotlib uses fontTools only to subset fonts. docker/make-base-image.sh's
# default is the same list (a unit test holds them equal).
SCIENCE_BASE = ",".join(
    (
        "python3-minimal",
        "libpython3.11-stdlib",
        "netbase",
        "python3-numpy",
        "python3-pandas",
        "python3-scipy",
        "python3-matplotlib",
        "libopenblas0-pthread",
        "stub:python3-pythran",
        "stub:python3-sympy",
        "stub:unicode-data",
        "stub:python3-lxml",
        "stub:python3-fs",
        "stub:python3-ufolib2",
    )
)


@dataclass(frozen=True)
class KitImage:
    key: str
    own_tag: str  # the tag, for an image no language runs in ("" for a language's)
    dockerfile: str  # in docker/
    parent: str | None = None  # the kit image it is built FROM (its key), else a base below
    online_base: str = ""  # the official image to build FROM where a registry answers
    local_base: str = ""  # the debootstrap base used where none does
    base_packages: str = ""  # Debian packages in that local base
    base_cmd: str = ""  # its CMD

    @property
    def tag(self) -> str:
        """A language's image is the tag its runs use (read when asked: it may be configured)."""
        return self.own_tag or LANGUAGES[self.key].image


IMAGES = MappingProxyType(
    {
        "python": KitImage(
            "python",
            "",
            "Dockerfile",
            online_base="python:3.11-slim",
            local_base="safe-python-base:bookworm",
            base_packages=SCIENCE_BASE,
            base_cmd="python3",
        ),
        "javascript": KitImage(
            "javascript",
            "",
            "node.Dockerfile",
            online_base="node:20-bookworm",
            local_base="safe-node-base:bookworm",
            # python3: the kit's supervisor is process 1 of every run, whatever the language.
            base_packages="nodejs,python3-minimal,libpython3.11-stdlib,netbase",
            base_cmd="node",
        ),
        "lab": KitImage(
            "lab", os.environ.get("SANDBOX_LAB_IMAGE", "safe-python-lab:latest"), "lab.Dockerfile", parent="python"
        ),
    }
)
LAB_IMAGE = IMAGES["lab"].tag


def version(image: KitImage) -> str | None:
    """The digest a current build of `image` carries (None without the repository's docker/)."""
    try:
        digest = hashlib.sha256((DOCKER_DIR / image.dockerfile).read_bytes())
    except OSError:
        log.debug("no %s to compare image %s with (installed without docker/)", image.dockerfile, image.key)
        return None
    if image.parent:
        digest.update((version(IMAGES[image.parent]) or "").encode())
    return digest.hexdigest()[:12]


def for_tag(tag: str) -> KitImage | None:
    """The kit image this tag names, if it is one of the kit's."""
    return next((image for image in IMAGES.values() if image.tag == tag), None)

"""The offline base's package list is written twice; the builder's must be the script's default.

`python -m sandbox build` passes IMAGES["python"].base_packages to docker/make-base-image.sh and
labels the base with it; a base made by hand with the script's default must carry the same
label, or the builder would throw it away and make it again.
"""

from __future__ import annotations

import re

from sandbox.images import DOCKER_DIR, IMAGES


def script_default() -> str:
    text = (DOCKER_DIR / "make-base-image.sh").read_text()
    return re.search(r"^packages=\$\{2:-([^}]*)\}$", text, re.M).group(1)


def test_the_scripts_default_is_the_python_images_list():
    assert script_default() == IMAGES["python"].base_packages


def test_the_python_base_carries_the_scientific_stack_without_its_build_tools():
    entries = IMAGES["python"].base_packages.split(",")
    assert {"python3-numpy", "python3-pandas", "python3-scipy", "python3-matplotlib"} <= set(entries)
    # pythran would bring g++ and Boost into the image every untrusted program runs in.
    assert "stub:python3-pythran" in entries and "python3-pythran" not in entries

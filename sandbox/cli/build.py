"""Build the kit's images, online or offline (`python -m sandbox build`).

Each Dockerfile takes its base as a build argument. The builder picks it:

1. for the lab image, the kit's Python image (built first);
2. an explicit base (`python -m sandbox build --base IMAGE`, or SANDBOX_BASE_IMAGE for Python);
3. the official image (python:3.11-slim, node:20-alpine), if it is here already or can be pulled;
4. otherwise a local Debian base made by docker/make-base-image.sh (debootstrap +
   docker import), for machines that reach a Debian mirror but no image registry.

The build itself runs with `network_mode="none"`: the Dockerfiles need no network, and a
build step must not be a way out either.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import docker
from docker.errors import APIError, BuildError, DockerException, ImageNotFound

from sandbox import IMAGES, KitImage, SandboxError, engine
from sandbox.images import DOCKER_DIR, version

Say = Callable[[str], None]


def image_present(name: str) -> bool:
    try:
        engine.client().images.get(name)
        return True
    except ImageNotFound:
        return False


def build(
    force: bool = False, base: str | None = None, say: Say = print, keys: tuple[str, ...] = tuple(IMAGES)
) -> None:
    """Build each image unless it is already current (a parent before its children)."""
    for key in sorted(keys, key=lambda k: IMAGES[k].parent is not None):
        build_one(IMAGES[key], force=force, base=base, say=say)


def build_one(image: KitImage, force: bool = False, base: str | None = None, say: Say = print) -> str:
    """Build one image unless it is current; return the base it used ("" if skipped)."""
    if not force:
        try:
            engine.ensure_image(image.tag)
            say(f"image: {image.tag} is present and current (use --force to rebuild)")
            return ""
        except SandboxError:
            pass
    if not (DOCKER_DIR / image.dockerfile).exists():
        raise SandboxError(
            f"No {image.dockerfile} in {DOCKER_DIR}.",
            hint="Run the build from a checkout of the safe-python repository.",
        )
    if image.parent:
        parent = IMAGES[image.parent]
        build_one(parent, say=say)
        base = parent.tag
    else:
        env_base = os.environ.get("SANDBOX_BASE_IMAGE") if image.key == "python" else None
        base = base or env_base or choose_base(image, say)
    say(f"image: building {image.tag} FROM {base} ...")
    with engine.translated_errors(f"building {image.tag}"):
        try:
            for chunk in engine.client().api.build(
                path=str(DOCKER_DIR),
                dockerfile=image.dockerfile,
                tag=image.tag,
                buildargs={"BASE_IMAGE": base, "KIT_IMAGE_VERSION": version(image) or "unknown"},
                network_mode="none",
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
            ):
                if "error" in chunk:
                    raise SandboxError(f"The image build failed: {chunk['error'].strip()}")
                line = chunk.get("stream", "").strip()
                if line.startswith("Step "):
                    say(f"  {line}")
        except (BuildError, APIError) as exc:
            raise SandboxError(f"The image build failed: {exc}") from exc
    engine.forget_image(image.tag)
    engine.ensure_image(image.tag)
    say(f"image: {image.tag} ready")
    return base


def choose_base(image: KitImage, say: Say = print) -> str:
    """The first base that is available: the official image, else a local debootstrap one."""
    if image_present(image.online_base):
        return image.online_base
    say(f"image: trying to pull {image.online_base} ...")
    try:
        # A separate client with a short timeout: an unreachable registry must not hang us.
        docker.from_env(timeout=60).images.pull(image.online_base)
        return image.online_base
    except (DockerException, OSError) as exc:
        say(f"image: no registry answered ({str(exc).splitlines()[0][:120]}); using a local base")
    if base_packages(image.local_base) != image.base_packages:
        make_local_base(image, say)  # missing, or made with other packages
    return image.local_base


def base_packages(name: str) -> str | None:
    """The packages a local base was made with (its label), or None if there is no such image."""
    try:
        found = engine.client().images.get(name)
    except ImageNotFound:
        return None
    return (found.labels or {}).get("org.safe-python.base-packages", "")


def make_local_base(image: KitImage, say: Say = print) -> None:
    script = DOCKER_DIR / "make-base-image.sh"
    say(f"image: building the local base {image.local_base} with debootstrap (about a minute) ...")
    try:
        # debootstrap takes about a minute; a stalled mirror must not hang `make` forever.
        done = subprocess.run(
            ["bash", str(script), image.local_base, image.base_packages],
            text=True,
            capture_output=True,
            timeout=900,
            env={**os.environ, "SANDBOX_BASE_CMD": image.base_cmd},
        )
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(
            "Building the local base image took more than 15 minutes.",
            hint="Check the Debian mirror (SANDBOX_DEBIAN_MIRROR) and try again.",
        ) from exc
    for line in done.stdout.splitlines():
        say(f"  {line}")
    if done.returncode != 0:
        raise SandboxError(
            f"Could not build the local base image: {done.stderr.strip()[-400:]}",
            hint=f"Pull {image.online_base} where a registry answers, or run 'sudo bash {script}'.",
        )

"""Build the sandbox images, online or offline.

Each language's Dockerfile (docker/Dockerfile for Python, docker/node.Dockerfile for
JavaScript) takes its base as a build argument. The builder picks it:

1. an explicit base (`python -m sandbox build --base IMAGE`, or SANDBOX_BASE_IMAGE);
2. the official image (python:3.11-slim, node:20-alpine), if it is here already or can be pulled;
3. otherwise a local Debian base made by docker/make-base-image.sh (debootstrap +
   docker import), for machines that reach a Debian mirror but no image registry.

The build itself runs with `network_mode="none"`: the Dockerfiles need no network, and a
build step must not be a way out either.
"""

from __future__ import annotations

import os
import subprocess
from typing import Callable

import docker
from docker.errors import APIError, BuildError, DockerException, ImageNotFound

from . import engine
from .errors import SandboxError
from .languages import LANGUAGES, Language

DOCKER_DIR = engine.DOCKER_DIR

Say = Callable[[str], None]


def image_present(name: str = engine.IMAGE) -> bool:
    try:
        engine.client().images.get(name)
        return True
    except ImageNotFound:
        return False


def build(force: bool = False, base: str | None = None, say: Say = print,
          languages: tuple[str, ...] = tuple(LANGUAGES)) -> None:
    """Build each language's image unless it is already current."""
    for name in languages:
        build_one(LANGUAGES[name], force=force, base=base, say=say)


def build_one(language: Language, force: bool = False, base: str | None = None, say: Say = print) -> str:
    """Build one language's image unless it is current; return the base it used ("" if skipped)."""
    tag = language.image
    if not force:
        try:
            engine.ensure_image(tag)
            say(f"image: {tag} is present and current (use --force to rebuild)")
            return ""
        except SandboxError:
            pass
    if not (DOCKER_DIR / language.dockerfile).exists():
        raise SandboxError(f"No {language.dockerfile} in {DOCKER_DIR}.",
                           hint="Run the build from a checkout of the safe-python repository.")
    env_base = os.environ.get("SANDBOX_BASE_IMAGE") if language.name == "python" else None
    base = base or env_base or choose_base(language, say)
    say(f"image: building {tag} FROM {base} ...")
    with engine.translated_errors(f"building {tag}"):
        try:
            for chunk in engine.client().api.build(
                path=str(DOCKER_DIR), dockerfile=language.dockerfile, tag=tag,
                buildargs={"BASE_IMAGE": base, "KIT_IMAGE_VERSION": engine.image_version(language) or "unknown"},
                network_mode="none", rm=True, forcerm=True, pull=False, decode=True,
            ):
                if "error" in chunk:
                    raise SandboxError(f"The image build failed: {chunk['error'].strip()}")
                line = chunk.get("stream", "").strip()
                if line.startswith("Step "):
                    say(f"  {line}")
        except (BuildError, APIError) as exc:
            raise SandboxError(f"The image build failed: {exc}") from exc
    engine.forget_image(tag)
    engine.ensure_image(tag)
    say(f"image: {tag} ready")
    return base


def choose_base(language: Language, say: Say = print) -> str:
    """The first base that is available: the official image, else a local debootstrap one."""
    if image_present(language.online_base):
        return language.online_base
    say(f"image: trying to pull {language.online_base} ...")
    try:
        # A separate client with a short timeout: an unreachable registry must not hang us.
        docker.from_env(timeout=60).images.pull(language.online_base)
        return language.online_base
    except (DockerException, OSError) as exc:
        say(f"image: no registry answered ({str(exc).splitlines()[0][:120]}); using a local base")
    if not image_present(language.local_base):
        make_local_base(language, say)
    return language.local_base


def make_local_base(language: Language, say: Say = print) -> None:
    script = DOCKER_DIR / "make-base-image.sh"
    say(f"image: building the local base {language.local_base} with debootstrap (about a minute) ...")
    try:
        # debootstrap takes about a minute; a stalled mirror must not hang `make` forever.
        done = subprocess.run(["bash", str(script), language.local_base, language.base_packages],
                              text=True, capture_output=True, timeout=900,
                              env={**os.environ, "SANDBOX_BASE_CMD": language.base_cmd})
    except subprocess.TimeoutExpired as exc:
        raise SandboxError("Building the local base image took more than 15 minutes.",
                           hint="Check the Debian mirror (SANDBOX_DEBIAN_MIRROR) and try again.") from exc
    for line in done.stdout.splitlines():
        say(f"  {line}")
    if done.returncode != 0:
        raise SandboxError(
            f"Could not build the local base image: {done.stderr.strip()[-400:]}",
            hint=f"Pull {language.online_base} where a registry answers, or run 'sudo bash {script}'.")

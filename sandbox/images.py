"""Build the sandbox image, online or offline.

The Dockerfile (docker/Dockerfile) takes its base as a build argument. The builder picks it:

1. an explicit base (`python -m sandbox build --base IMAGE`, or SANDBOX_BASE_IMAGE);
2. the official slim Python image, if it is here already or can be pulled;
3. otherwise a local Debian + python3 base made by docker/make-base-image.sh (debootstrap +
   docker import), for machines that reach a Debian mirror but no image registry.

The build itself runs with `network_mode="none"`: the Dockerfile needs no network, and a
build step must not be a way out either.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import docker
from docker.errors import APIError, BuildError, DockerException, ImageNotFound

from . import engine
from .errors import SandboxError

DOCKER_DIR = Path(__file__).resolve().parent.parent / "docker"
ONLINE_BASE = "python:3.11-slim"
LOCAL_BASE = "safe-python-base:bookworm"

Say = Callable[[str], None]


def image_present(name: str = engine.IMAGE) -> bool:
    try:
        engine.client().images.get(name)
        return True
    except ImageNotFound:
        return False


def build(force: bool = False, base: str | None = None, say: Say = print) -> str:
    """Build `safe-python:latest` unless it is already current; return the base it used."""
    if not force:
        try:
            engine.ensure_image()
            say(f"image: {engine.IMAGE} is present and current (use --force to rebuild)")
            return ""
        except SandboxError:
            pass
    if not (DOCKER_DIR / "Dockerfile").exists():
        raise SandboxError(f"No Dockerfile at {DOCKER_DIR}.",
                           hint="Run the build from a checkout of the safe-python repository.")
    base = base or os.environ.get("SANDBOX_BASE_IMAGE") or choose_base(say)
    say(f"image: building {engine.IMAGE} FROM {base} ...")
    try:
        for chunk in engine.client().api.build(
            path=str(DOCKER_DIR), tag=engine.IMAGE,
            buildargs={"BASE_IMAGE": base, "KIT_IMAGE_VERSION": engine.IMAGE_VERSION or "unknown"},
            network_mode="none", rm=True, forcerm=True, pull=False, decode=True,
        ):
            if "error" in chunk:
                raise SandboxError(f"The image build failed: {chunk['error'].strip()}")
            line = chunk.get("stream", "").strip()
            if line.startswith("Step "):
                say(f"  {line}")
    except (BuildError, APIError) as exc:
        raise SandboxError(f"The image build failed: {exc}") from exc
    engine.forget_image()
    engine.ensure_image()
    say(f"image: {engine.IMAGE} ready")
    return base


def choose_base(say: Say = print) -> str:
    """The first base that is available: the official slim image, else a local debootstrap one."""
    if image_present(ONLINE_BASE):
        return ONLINE_BASE
    say(f"image: trying to pull {ONLINE_BASE} ...")
    try:
        # A separate client with a short timeout: an unreachable registry must not hang us.
        docker.from_env(timeout=60).images.pull(ONLINE_BASE)
        return ONLINE_BASE
    except (DockerException, OSError) as exc:
        say(f"image: no registry answered ({str(exc).splitlines()[0][:120]}); using a local base")
    if not image_present(LOCAL_BASE):
        make_local_base(say)
    return LOCAL_BASE


def make_local_base(say: Say = print) -> None:
    script = DOCKER_DIR / "make-base-image.sh"
    say(f"image: building the local base {LOCAL_BASE} with debootstrap (about a minute) ...")
    try:
        # debootstrap takes about a minute; a stalled mirror must not hang `make` forever.
        done = subprocess.run(["bash", str(script), LOCAL_BASE], text=True, capture_output=True, timeout=900)
    except subprocess.TimeoutExpired as exc:
        raise SandboxError("Building the local base image took more than 15 minutes.",
                           hint="Check the Debian mirror (SANDBOX_DEBIAN_MIRROR) and try again.") from exc
    for line in done.stdout.splitlines():
        say(f"  {line}")
    if done.returncode != 0:
        raise SandboxError(
            f"Could not build the local base image: {done.stderr.strip()[-400:]}",
            hint=f"Pull {ONLINE_BASE} where a registry answers, or run 'sudo bash {script}'.")

"""Access to the Docker Engine: one shared client, the kit's labels, the image check.

The engine is found the standard way (DOCKER_HOST, else the local socket), so the kit works
with Docker Desktop, a system dockerd, or the one `docker/ensure-engine.sh` starts.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import docker
import requests
from docker.errors import DockerException, ImageNotFound

from .errors import EngineUnavailable, ImageMissing

IMAGE = os.environ.get("SANDBOX_IMAGE", "safe-python:latest")
# The version the image's `org.safe-python.image-version` label must carry (docker/Dockerfile).
IMAGE_VERSION = "1"

LABEL = "org.safe-python.kit"          # on everything the kit creates
LABEL_ROLE = "org.safe-python.role"    # run, target, audit, ...
LABEL_SESSION = "org.safe-python.session"
LABEL_CREATED = "org.safe-python.created"

# One id per process (or the caller's SANDBOX_SESSION), so that a test suite, a server and a
# lesson on the same engine clean up only what they made; the reaper can still remove all.
SESSION = os.environ.get("SANDBOX_SESSION") or uuid.uuid4().hex[:12]

# Engine-level failures that mean "the engine is not there (any more)".
CONNECTION_ERRORS = (requests.exceptions.ConnectionError, ConnectionError)

_lock = threading.Lock()
_clients: dict[str, docker.DockerClient] = {}
_images_ok: set[str] = set()


def client() -> docker.DockerClient:
    """The shared client for the engine DOCKER_HOST names; raises EngineUnavailable if none answers."""
    key = os.environ.get("DOCKER_HOST", "")
    with _lock:
        found = _clients.get(key)
        if found is not None:
            return found
        try:
            # Each run holds one connection open for its output stream; leave room for
            # a worker pool's worth of them plus the calls around them.
            made = docker.from_env(max_pool_size=64, timeout=60)
        except (DockerException, *CONNECTION_ERRORS) as exc:
            where = key or "the default socket (/var/run/docker.sock)"
            raise EngineUnavailable(f"No Docker Engine answered at {where} ({_reason(exc)}).") from exc
        _clients[key] = made
        return made


def forget_clients() -> None:
    """Drop cached clients (after DOCKER_HOST changed, or in tests)."""
    with _lock:
        _clients.clear()
        _images_ok.clear()


def labels(role: str) -> dict[str, str]:
    return {
        LABEL: "1",
        LABEL_ROLE: role,
        LABEL_SESSION: SESSION,
        LABEL_CREATED: str(int(time.time())),
    }


def ensure_image(name: str = IMAGE) -> None:
    """Raise ImageMissing unless `name` is present and built for this version of the kit."""
    if name in _images_ok:
        return
    try:
        image = client().images.get(name)
    except ImageNotFound as exc:
        if name != IMAGE:
            raise ImageMissing(f"The image {name} is not on this engine.",
                               hint=f"Build or load {name} first ('python -m sandbox build' builds only {IMAGE}).") from exc
        raise ImageMissing(f"The sandbox image {name} is not on this engine.") from exc
    except CONNECTION_ERRORS as exc:
        raise EngineUnavailable(f"The Docker Engine stopped answering ({_reason(exc)}).") from exc
    version = (image.labels or {}).get("org.safe-python.image-version")
    if name == IMAGE and version != IMAGE_VERSION:
        raise ImageMissing(
            f"The sandbox image {name} is version {version or 'unknown'}; this kit needs version "
            f"{IMAGE_VERSION}.", hint="Rebuild it with 'python -m sandbox build --force'.")
    with _lock:
        _images_ok.add(name)


def forget_image(name: str = IMAGE) -> None:
    with _lock:
        _images_ok.discard(name)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"

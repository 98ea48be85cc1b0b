"""The reaper: remove what the kit left behind (after a crash, a killed process, a lost engine).

Every container and network the kit creates carries the `org.safe-python.kit` label, so the
reaper never touches anything else on the engine. Each also names its owner (host and process
id), so by default the reaper removes only orphans, whose owner process is gone, and is safe
to run while sandboxes are running on the same engine.

    >>> import sandbox
    >>> sandbox.cleanup()  # orphans only          # doctest: +ENGINE
    {'containers': ..., 'networks': ...}

`cleanup(session=sandbox.engine.SESSION)` removes everything of this process (a caller cleaning
up after itself); `cleanup(everything=True)` everything of the kit, whoever made it: nothing
else may be running.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

import docker
from docker.errors import APIError, NotFound

from . import engine

log = logging.getLogger(__name__)


def cleanup(session: str | None = None, older_than_s: float | None = None, everything: bool = False) -> dict[str, int]:
    """Remove the kit's containers, then its networks; return how many of each went.

    session: everything of that session (a caller cleaning up after itself).
    everything: everything of the kit, running or not.
    Otherwise only orphans: things whose owner process on this host has ended, plus, when
    `older_than_s` is given, things older than that whose owner cannot be checked from here
    (made on another host, or before owners were recorded).
    """
    engine.wait_for_removals()  # this process's own removals under way are not leftovers
    api = engine.client().api
    filters = [f"{engine.LABEL}=1"]
    if session:
        filters.append(f"{engine.LABEL_SESSION}={session}")
    removed = {"containers": 0, "networks": 0}
    # Containers first: a network cannot go while a container is attached to it.
    for info in api.containers(all=True, filters={"label": filters}):
        if session or everything or _orphan(info.get("Labels") or {}, older_than_s):
            removed["containers"] += int(_remove_container(api, info))
    for info in api.networks(filters={"label": filters}):
        if session or everything or _orphan(info.get("Labels") or {}, older_than_s):
            removed["networks"] += _remove_network(api, info["Id"])
    return removed


def _remove_container(api: Any, info: dict[str, Any]) -> bool:
    labels = info.get("Labels") or {}
    gone = engine.remove_container(info["Id"], api=api)  # a failure is logged and counted there
    if gone:
        log.info(
            "the reaper removed container %s (%s, owner %s)",
            info["Id"][:12],
            labels.get(engine.LABEL_ROLE, "?"),
            labels.get(engine.LABEL_OWNER, "?"),
        )
    return gone


def leftovers(session: str | None = None) -> list[dict[str, str | bool]]:
    """The kit's containers that exist right now (name, role, session, owner, status), once
    this process's removals under way are done."""
    engine.wait_for_removals()
    filters = [f"{engine.LABEL}=1"]
    if session:
        filters.append(f"{engine.LABEL_SESSION}={session}")
    found = []
    for info in engine.client().api.containers(all=True, filters={"label": filters}):
        labels = info.get("Labels") or {}
        found.append(
            {
                "name": (info.get("Names") or ["?"])[0].lstrip("/"),
                "role": labels.get(engine.LABEL_ROLE, "?"),
                "session": labels.get(engine.LABEL_SESSION, "?"),
                "owner": labels.get(engine.LABEL_OWNER, "?"),
                "orphan": _orphan(labels, None),
                "status": info.get("Status", "?"),
            }
        )
    return found


def leftover_networks(session: str | None = None) -> list[str]:
    """The names of the kit's networks that exist right now (a session's, or all of them)."""
    engine.wait_for_removals()
    filters = [f"{engine.LABEL}=1"] + ([f"{engine.LABEL_SESSION}={session}"] if session else [])
    return sorted(info["Name"] for info in engine.client().api.networks(filters={"label": filters}))


def _orphan(labels: dict[str, str], older_than_s: float | None) -> bool:
    host, _, pid = labels.get(engine.LABEL_OWNER, "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _alive(int(pid))
    return older_than_s is not None and _age(labels) >= older_than_s


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _age(labels: dict[str, str]) -> float:
    try:
        return time.time() - int(labels.get(engine.LABEL_CREATED, "0"))
    except ValueError:
        return float("inf")


def _remove_network(api: docker.APIClient, network_id: str) -> int:
    try:
        api.remove_network(network_id)
        return 1
    except NotFound:
        return 0
    except APIError as exc:
        log.info("the reaper left network %s: %s (still in use; the next sweep gets it)", network_id[:12], exc)
        return 0

"""The reaper: remove what the kit left behind (after a crash, a killed process, a lost engine).

Every container and network the kit creates carries the `org.safe-python.kit` label, so the
reaper never touches anything else on the engine.

    >>> import sandbox
    >>> sandbox.cleanup()                      # everything of the kit's      # doctest: +SKIP
    {'containers': 0, 'networks': 0}
    >>> sandbox.cleanup(older_than_s=120)      # only what no live run can still own  # doctest: +SKIP
"""

from __future__ import annotations

import time

from docker.errors import APIError, NotFound

from . import engine


def cleanup(session: str | None = None, older_than_s: float | None = None) -> dict[str, int]:
    """Remove the kit's containers, then its networks; return how many of each went.

    session: only those of one session (`sandbox.engine.SESSION` is this process's).
    older_than_s: only those created at least this long ago, which is safe to call while other
    processes are running sandboxes on the same engine.
    """
    api = engine.client().api
    filters = [f"{engine.LABEL}=1"]
    if session:
        filters.append(f"{engine.LABEL_SESSION}={session}")
    removed = {"containers": 0, "networks": 0}
    # Containers first: a network cannot go while a container is attached to it.
    for info in api.containers(all=True, filters={"label": filters}):
        if _old_enough(info.get("Labels") or {}, older_than_s):
            removed["containers"] += _remove(lambda: api.remove_container(info["Id"], force=True))
    for info in api.networks(filters={"label": filters}):
        if _old_enough(info.get("Labels") or {}, older_than_s):
            removed["networks"] += _remove(lambda: api.remove_network(info["Id"]))
    return removed


def leftovers(session: str | None = None) -> list[dict]:
    """The kit's containers that exist right now (name, role, session, status)."""
    filters = [f"{engine.LABEL}=1"]
    if session:
        filters.append(f"{engine.LABEL_SESSION}={session}")
    found = []
    for info in engine.client().api.containers(all=True, filters={"label": filters}):
        labels = info.get("Labels") or {}
        found.append({
            "name": (info.get("Names") or ["?"])[0].lstrip("/"),
            "role": labels.get(engine.LABEL_ROLE, "?"),
            "session": labels.get(engine.LABEL_SESSION, "?"),
            "status": info.get("Status", "?"),
        })
    return found


def _old_enough(labels: dict, older_than_s: float | None) -> bool:
    if older_than_s is None:
        return True
    try:
        created = int(labels.get(engine.LABEL_CREATED, "0"))
    except ValueError:
        return True
    return time.time() - created >= older_than_s


def _remove(action) -> int:
    try:
        action()
        return 1
    except NotFound:
        return 0
    except APIError:
        return 0  # in use or already being removed; the next sweep gets it

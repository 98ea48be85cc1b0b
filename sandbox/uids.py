"""A host uid no other running sandbox holds: the distinct_uid control.

Without user namespaces, uid 10001 in a container is uid 10001 on the host kernel, and the
kernel keeps some budgets per user, not per container: inotify instances, POSIX message-queue
bytes, pending signals, epoll watches, pipe buffer pages, RLIMIT_NPROC. If every run were the
same uid, one run could spend those budgets and break every other. So each run (and each warm
container) holds a uid of its own from RUNNER_UIDS while it lives; the kit's images name every
one of them `runner`.

Runs without the control share one uid: the one this process leases on its first such run and
holds until it ends. So runs of one service without the control are one user to the kernel (the
weakness the control removes), while a run with the control, here or in another process, never
meets the budgets they spend, and neither do runs without it in another process (another service,
another engine's test run), which hold a shared uid of their own.

Within this process a set of held uids keeps them apart; across processes on this machine an
exclusive lock on one file per uid does. (With a remote engine only the processes on this host
agree; the README says so.)
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from pathlib import Path

from .errors import RunRefused

FIRST_UID = 10001
RUNNER_UIDS = range(FIRST_UID, FIRST_UID + 256)
TARGET_UID = 10000      # the kit's target container: never a run's uid
LOCKS = Path(os.environ.get("SANDBOX_UID_LOCKS") or Path(tempfile.gettempdir()) / "safe-python-uids")

_lock = threading.Lock()
_held: set[int] = set()
_shared: Lease | None = None


class Lease:
    """One uid, held until `release()` (its lock file stays locked while the lease lives)."""

    def __init__(self, uid: int, handle: int | None):
        self.uid = uid
        self._handle = handle

    def release(self) -> None:
        with _lock:
            if self._handle is None:
                return                      # released already, or the process's shared uid
            os.close(self._handle)          # closing drops the lock
            self._handle = None
            _held.discard(self.uid)


def lease() -> Lease:
    """The first uid of RUNNER_UIDS that no run of this process or of another here holds."""
    with _lock:
        return Lease(*_take())


def shared() -> Lease:
    """The uid every run of this process shares when distinct_uid is removed.

    Leased on first use and held until the process ends; releasing what this returns does nothing.
    """
    global _shared
    with _lock:
        if _shared is None:
            _shared = Lease(*_take())
        return Lease(_shared.uid, None)


def _take() -> tuple[int, int]:
    for uid in RUNNER_UIDS:
        if uid in _held:
            continue
        handle = _lock_file(uid)
        if handle is None:
            continue
        _held.add(uid)
        return uid, handle
    raise RunRefused(f"All {len(RUNNER_UIDS)} runner uids are in use by running sandboxes on this machine.",
                     hint="Wait for some to finish, or lower the number of workers and warm containers.")


def _lock_file(uid: int) -> int | None:
    try:
        if not LOCKS.is_dir():
            LOCKS.mkdir(exist_ok=True)
            os.chmod(LOCKS, 0o1777)   # every user's kit on this machine takes its locks here
        # Read-only is enough for flock, and works on a lock file another user created.
        handle = os.open(LOCKS / f"{uid}.lock", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return None   # a lock another user's kit made and we cannot open: take it as held
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return None
    return handle

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

Within this process a set of held uids keeps them apart; across this account's processes on
this machine an exclusive flock on one file per uid does. (Kits of other accounts, and kits on
other hosts driving the same engine, take no part; the README says so.)

The lock files live in a folder of the kit's own account (LOCKS: /run/safe-python-uids-0 for
root, safe-python-uids-UID in the temporary folder otherwise) that no other account can reach, so
none can hold every uid, plant a lock file and remove it while a run holds it, or plant a link
the kit would follow as root. The kit refuses a folder that is a link, another account's, or
open to group or others, rather than make a fresh one: a folder per process would keep no two
processes apart. Each lock file is opened without following a link and used only if it is a
regular file of this account with one name, and after locking it the kit checks that its name
still leads to it. The kit never removes a lock file: a lock belongs to the file, not its name,
so removing a held one lets the next process lock a new file under that name. Only this account
or root can, and doing so while kits run can hand a uid out twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import threading
from pathlib import Path

from .errors import RunRefused

FIRST_UID = 10001
RUNNER_UIDS = range(FIRST_UID, FIRST_UID + 256)
TARGET_UID = 10000  # the kit's target container: never a run's uid

# Only root can make a name in /run, so no other account can take the folder's name first (it can
# in the temporary folder: the kit then refuses, and says how to choose another).
_OWN = "/run" if os.geteuid() == 0 and os.path.isdir("/run") else tempfile.gettempdir()
# SANDBOX_UID_LOCKS names another folder (tests point it, or this attribute, at a private one).
LOCKS = Path(os.environ.get("SANDBOX_UID_LOCKS") or Path(_OWN) / f"safe-python-uids-{os.geteuid()}")

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
                return  # released already, or the process's shared uid
            os.close(self._handle)  # closing drops the lock
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
    folder, unusable = _open_folder(), []
    try:
        for uid in (uid for uid in RUNNER_UIDS if uid not in _held):
            handle = _lock_file(folder, f"{uid}.lock")
            if isinstance(handle, str):
                unusable.append(f"{uid}.lock ({handle})")
            elif handle is not None:
                _held.add(uid)
                return uid, handle
    finally:
        os.close(folder)
    if unusable:  # a lock file planted, or a folder tidied by hand: nothing else puts them there
        raise RunRefused(
            f"No runner uid is free: {len(unusable)} lock files in {LOCKS} are not the kit's own "
            f"({', '.join(unusable[:3])}...), the others are in use.",
            hint="Remove those files, then run again.",
        )
    raise RunRefused(
        f"All {len(RUNNER_UIDS)} runner uids are in use by running sandboxes on this machine.",
        hint="Wait for some to finish, or lower the number of workers and warm containers.",
    )


def _open_folder() -> int:
    """LOCKS, made if missing, opened without following a link, and this account's alone."""
    with contextlib.suppress(OSError):  # if it cannot be made, opening it says why
        os.mkdir(LOCKS, 0o700)
    try:
        folder = os.open(LOCKS, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise _unsafe(f"cannot be opened as a folder without following a link ({exc.strerror})") from exc
    info = os.fstat(folder)
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        os.close(folder)
        raise _unsafe(f"is owned by uid {info.st_uid} with mode {stat.S_IMODE(info.st_mode):o}")
    return folder


def _unsafe(problem: str) -> RunRefused:
    return RunRefused(
        f"The uid lock folder {LOCKS} {problem}; the kit keeps its uid leases only in a folder of "
        f"its own account (uid {os.geteuid()}) with mode 0700, where no other account can reach them.",
        hint=f"Remove {LOCKS} (or 'chmod 700' it if this account owns it), or set SANDBOX_UID_LOCKS to "
        "a folder only this account can write ('mkdir -m 700 DIR'), then run again.",
    )


def _lock_file(folder: int, name: str) -> int | str | None:
    """An exclusive lock on the lock file `name`: its handle; None if another holder has it (or it
    changed as we locked it); or why the kit will not use it."""
    try:  # O_NONBLOCK: a FIFO in a lock file's place must not hang the kit (_problem refuses it)
        handle = os.open(
            name, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600, dir_fd=folder
        )
    except OSError as exc:
        return exc.strerror  # a symbolic link: "Too many levels of symbolic links"
    problem = _problem(os.fstat(handle))
    if problem is None and _locked(folder, name, handle):
        return handle
    os.close(handle)
    return problem


def _problem(info: os.stat_result) -> str | None:
    # Another account's file could be held or removed by it; a file's second name could be anywhere.
    found = {
        "not a regular file": not stat.S_ISREG(info.st_mode),
        f"{info.st_nlink} names": info.st_nlink != 1,
        f"owned by uid {info.st_uid}": info.st_uid != os.geteuid(),
    }
    return next((problem for problem, there in found.items() if there), None)


def _locked(folder: int, name: str, handle: int) -> bool:
    """Locked, and still the file `name` leads to.

    A lock on a file that lost its name (removed or replaced between our open and our lock) keeps
    no one out: the next process locks a new file under that name. The kit then takes another uid.
    """
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        named, held = os.stat(name, dir_fd=folder, follow_symlinks=False), os.fstat(handle)
    except OSError:
        return False  # another holder has it, or its name is gone
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino) and held.st_nlink == 1

"""Uid leases: each lease is a uid no other holder has, in this process or another; runs without
distinct_uid share one uid per process, which no lease here or elsewhere is ever handed; and no
other account can hold, plant, redirect or remove the kit's lock files.

What concerns the shared uid runs in child processes, because it is held for a process's life
and this one must not keep a uid locked in a test's private lock directory. What another account
does runs as `nobody` (tests run as root here; elsewhere those tests are skipped)."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sandbox import RunRefused, uids

NOBODY = 65534
FIRST = uids.RUNNER_UIDS[0]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="makes files of another account")


@pytest.fixture(autouse=True)
def private_locks(tmp_path, monkeypatch):
    """A lock folder of the test's own, and this process's leases as if none were held yet: in the
    whole suite, engine tests before these leave this process holding a shared uid (held until
    the process ends) and possibly others, which the real folder's locks belong to."""
    monkeypatch.setattr(uids, "LOCKS", tmp_path / "locks")
    monkeypatch.setattr(uids, "_held", set())
    monkeypatch.setattr(uids, "_shared", None)
    return tmp_path / "locks"


def child(locks, program):
    """A Python process with the kit's uids on the private lock directory; it waits for stdin."""
    return subprocess.Popen(
        [sys.executable, "-c", "from sandbox import uids\n" + program + "\nimport sys; sys.stdin.read()\n"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SANDBOX_UID_LOCKS": str(locks)},
    )


def test_leases_are_distinct_and_runner_uids():
    held = [uids.lease() for _ in range(5)]
    try:
        seen = [lease.uid for lease in held]
        assert len(set(seen)) == 5 and all(uid in uids.RUNNER_UIDS for uid in seen)
    finally:
        for lease in held:
            lease.release()


def test_a_released_uid_is_leased_again():
    first = uids.lease()
    uid = first.uid
    first.release()
    first.release()  # twice is harmless
    again = uids.lease()
    try:
        assert again.uid == uid
    finally:
        again.release()


def test_a_uid_another_process_holds_is_not_leased(private_locks):
    # Another process (another kit, another engine's test run) holds the first uid.
    first = uids.RUNNER_UIDS[0]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"os.makedirs({str(private_locks)!r}, mode=0o700, exist_ok=True)\n"
            f"h = os.open({str(private_locks / f'{first}.lock')!r}, os.O_RDONLY | os.O_CREAT)\n"
            "fcntl.flock(h, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        lease = uids.lease()
        try:
            assert lease.uid != first
        finally:
            lease.release()
    finally:
        holder.communicate("", timeout=10)


def test_a_process_shares_one_uid_and_keeps_it_past_release(private_locks):
    proc = child(
        private_locks,
        "a = uids.shared(); a.release(); b = uids.shared(); b.release()\n"
        "leased = [uids.lease() for _ in range(3)]\n"
        "print(a.uid, b.uid, *[x.uid for x in leased], flush=True)",
    )
    try:
        a, b, *leased = map(int, proc.stdout.readline().split())
        assert a == b and a in uids.RUNNER_UIDS
        assert a not in leased  # a run with the control never gets it
    finally:
        proc.communicate("", timeout=10)


def test_another_process_shared_uid_is_neither_leased_nor_shared_here(private_locks):
    # Two services (or two engines' test runs) on one machine: each shares a uid of its own,
    # and neither hands the other's to a run with the control.
    first = child(private_locks, "print(uids.shared().uid, flush=True)")
    try:
        theirs = int(first.stdout.readline())
        second = child(private_locks, "print(uids.shared().uid, uids.lease().uid, flush=True)")
        try:
            shared, leased = map(int, second.stdout.readline().split())
        finally:
            second.communicate("", timeout=10)
        assert len({theirs, shared, leased}) == 3
        here = uids.lease()  # nor does this process
        here.release()
        assert here.uid != theirs
    finally:
        first.communicate("", timeout=10)


def leased_once() -> int:
    lease = uids.lease()
    lease.release()
    return lease.uid


def test_the_kit_makes_its_lock_folder_and_files_its_own(private_locks):
    leased_once()
    folder, lock = os.stat(private_locks), os.stat(private_locks / f"{FIRST}.lock")
    assert folder.st_uid == os.geteuid() and stat.S_IMODE(folder.st_mode) == 0o700
    assert lock.st_uid == os.geteuid() and stat.S_IMODE(lock.st_mode) == 0o600


@pytest.mark.parametrize("made", ["by another account", "open to others", "as a symbolic link"])
def test_a_lock_folder_that_is_not_the_kits_own_is_refused(private_locks, tmp_path, made):
    if made == "as a symbolic link":
        (tmp_path / "real").mkdir(mode=0o700)
        private_locks.symlink_to(tmp_path / "real")
    else:
        private_locks.mkdir(mode=0o700)
        if made == "by another account":
            if os.geteuid() != 0:
                pytest.skip("makes a folder of another account")
            os.chown(private_locks, NOBODY, NOBODY)
        else:
            private_locks.chmod(0o1777)
    with pytest.raises(RunRefused) as info:
        uids.lease().release()  # released, should it not refuse
    assert str(private_locks) in info.value.message and "SANDBOX_UID_LOCKS" in info.value.hint
    assert os.listdir(private_locks) == []  # not a lock made in it


@as_root
def test_another_accounts_lock_file_is_skipped(private_locks):
    private_locks.mkdir(mode=0o700)
    planted = private_locks / f"{FIRST}.lock"
    planted.touch()
    os.chown(planted, NOBODY, NOBODY)
    assert leased_once() != FIRST


def test_a_symbolic_link_in_a_locks_place_is_not_followed(private_locks, tmp_path):
    private_locks.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    (private_locks / f"{FIRST}.lock").symlink_to(target)
    assert leased_once() != FIRST
    assert not target.exists()  # nothing made where the link points


def test_a_lock_file_with_a_second_name_is_skipped(private_locks, tmp_path):
    private_locks.mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.touch()
    os.link(outside, private_locks / f"{FIRST}.lock")
    assert leased_once() != FIRST


def test_a_full_folder_refuses_with_a_clear_error(private_locks):
    holder = child(private_locks, "held = [uids.lease() for _ in uids.RUNNER_UIDS]\nprint(len(held), flush=True)")
    try:
        assert holder.stdout.readline().strip() == str(len(uids.RUNNER_UIDS))
        with pytest.raises(RunRefused) as info:
            uids.lease().release()
        assert "All 256 runner uids are in use" in info.value.message and "Wait" in info.value.hint
    finally:
        holder.communicate("", timeout=10)


@as_root
def test_a_folder_of_lock_files_that_are_not_the_kits_refuses_and_says_which(private_locks):
    private_locks.mkdir(mode=0o700)
    for uid in uids.RUNNER_UIDS:
        (private_locks / f"{uid}.lock").touch()
        os.chown(private_locks / f"{uid}.lock", NOBODY, NOBODY)
    with pytest.raises(RunRefused) as info:
        uids.lease().release()
    assert (
        f"256 lock files in {private_locks} are not the kit's own ({FIRST}.lock (owned by uid {NOBODY})"
        in info.value.message
        and "Remove those files" in info.value.hint
    )


def test_a_lock_file_removed_between_open_and_lock_is_not_held(private_locks, monkeypatch):
    leased_once()  # the folder and the first lock file exist
    real_flock, other = fcntl.flock, []

    def removed_meanwhile(handle, flags):
        if not other:
            # After this process opened the first lock file, it is removed and another process
            # locks a new file under its name.
            os.unlink(private_locks / f"{FIRST}.lock")
            other.append(child(private_locks, "print(uids.lease().uid, flush=True)"))
            other.append(int(other[0].stdout.readline()))
        return real_flock(handle, flags)

    monkeypatch.setattr(fcntl, "flock", removed_meanwhile)
    try:
        here = leased_once()
        assert other[1] == FIRST and here != FIRST
    finally:
        for proc in other[:1]:
            proc.communicate("", timeout=10)


# -- another account on this machine ----------------------------------------------------------
PYTHON = "/usr/bin/python3"  # the kit's own interpreter may sit where `nobody` cannot reach


@pytest.fixture
def reachable_locks(monkeypatch):
    """A lock folder whose parents every account may pass through, as the temporary folder's are."""
    if os.geteuid() != 0 or not os.access(PYTHON, os.X_OK):
        pytest.skip(f"runs {PYTHON} as another account")
    parent = Path(tempfile.mkdtemp())
    parent.chmod(0o755)
    monkeypatch.setattr(uids, "LOCKS", parent / "locks")
    yield parent / "locks"
    shutil.rmtree(parent)


def as_nobody(program):
    """`program` run by another account; it prints its answer, then waits on stdin."""
    return subprocess.Popen(
        [PYTHON, "-c", "import fcntl, os, sys\n" + program + "\nsys.stdin.read()\n"],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        cwd="/",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_another_account_cannot_hold_every_uid(reachable_locks):
    leased_once()  # the kit's folder exists
    holder = as_nobody(
        "held = []\n"
        f"for uid in {list(uids.RUNNER_UIDS)!r}:\n"
        "    try:\n"
        f"        h = os.open({str(reachable_locks)!r} + f'/{{uid}}.lock', os.O_RDONLY | os.O_CREAT, 0o644)\n"
        "        fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "        held.append(h)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(len(held), flush=True)"
    )
    try:
        assert int(holder.stdout.readline()) == 0
        assert leased_once() == FIRST
    finally:
        holder.communicate("", timeout=10)


def test_another_account_cannot_plant_a_lock_and_remove_it_while_held(reachable_locks):
    leased_once()
    lock = str(reachable_locks / f"{FIRST}.lock")
    os.unlink(lock)  # as if the kit had not used the first uid yet
    planter = as_nobody(
        f"try:\n    os.close(os.open({lock!r}, os.O_RDONLY | os.O_CREAT, 0o644)); print('planted', flush=True)\n"
        "except OSError:\n    print('refused', flush=True)\n"
        "sys.stdin.readline()\n"
        f"try:\n    os.unlink({lock!r}); print('removed', flush=True)\n"
        "except OSError:\n    print('refused', flush=True)"
    )
    try:
        planter.stdout.readline()
        first = uids.lease()  # a run holds it...
        try:
            planter.stdin.write("\n")
            planter.stdin.flush()
            planter.stdout.readline()  # ...its lock file is removed...
            second = child(reachable_locks, "print(uids.lease().uid, flush=True)")
            try:
                assert int(second.stdout.readline()) != first.uid  # ...and no one else gets it
            finally:
                second.communicate("", timeout=10)
        finally:
            first.release()
    finally:
        planter.communicate("", timeout=10)

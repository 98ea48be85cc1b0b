"""Uid leases: each lease is a uid no other holder has, in this process or another; runs without
distinct_uid share one uid per process, which no lease here or elsewhere is ever handed.

What concerns the shared uid runs in child processes, because it is held for a process's life
and this one must not keep a uid locked in a test's private lock directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sandbox import uids


@pytest.fixture(autouse=True)
def private_locks(tmp_path, monkeypatch):
    monkeypatch.setattr(uids, "LOCKS", tmp_path / "locks")
    return tmp_path / "locks"


def child(locks, program):
    """A Python process with the kit's uids on the private lock directory; it waits for stdin."""
    return subprocess.Popen(
        [sys.executable, "-c", "from sandbox import uids\n" + program + "\nimport sys; sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "SANDBOX_UID_LOCKS": str(locks)})


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
    first.release()          # twice is harmless
    again = uids.lease()
    try:
        assert again.uid == uid
    finally:
        again.release()


def test_a_uid_another_process_holds_is_not_leased(private_locks):
    # Another process (another kit, another engine's test run) holds the first uid.
    first = uids.RUNNER_UIDS[0]
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"os.makedirs({str(private_locks)!r}, exist_ok=True)\n"
         f"h = os.open({str(private_locks / f'{first}.lock')!r}, os.O_RDONLY | os.O_CREAT)\n"
         "fcntl.flock(h, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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
    proc = child(private_locks,
                 "a = uids.shared(); a.release(); b = uids.shared(); b.release()\n"
                 "leased = [uids.lease() for _ in range(3)]\n"
                 "print(a.uid, b.uid, *[x.uid for x in leased], flush=True)")
    try:
        a, b, *leased = map(int, proc.stdout.readline().split())
        assert a == b and a in uids.RUNNER_UIDS
        assert a not in leased                 # a run with the control never gets it
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
        here = uids.lease()                         # nor does this process
        here.release()
        assert here.uid != theirs
    finally:
        first.communicate("", timeout=10)

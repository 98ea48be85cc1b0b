"""Uid leases: each lease is a uid no other holder has, in this process or another, and never
the uid that runs without distinct_uid share (their budgets may be spent at any moment)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox import uids


@pytest.fixture(autouse=True)
def private_locks(tmp_path, monkeypatch):
    monkeypatch.setattr(uids, "LOCKS", tmp_path / "locks")
    return tmp_path / "locks"


def test_leases_are_distinct_and_never_the_shared_uid():
    held = [uids.lease() for _ in range(5)]
    try:
        seen = [lease.uid for lease in held]
        assert len(set(seen)) == 5
        assert uids.SHARED_UID not in seen and all(uid in uids.RUNNER_UIDS for uid in seen)
    finally:
        for lease in held:
            lease.release()


def test_a_released_uid_is_leased_again():
    first = uids.lease()
    uid = first.uid
    first.release()
    again = uids.lease()
    try:
        assert again.uid == uid
    finally:
        again.release()


def test_a_uid_another_process_holds_is_not_leased(private_locks):
    # Another process (another kit, another engine's test run) holds the first leasable uid.
    first = uids.LEASED_UIDS[0]
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
            assert lease.uid != first and lease.uid != uids.SHARED_UID
        finally:
            lease.release()
    finally:
        holder.communicate("", timeout=10)


def test_the_shared_uid_is_the_same_for_every_run_and_holds_no_lock():
    a, b = uids.shared(), uids.shared()
    assert a.uid == b.uid == uids.SHARED_UID
    a.release()
    b.release()

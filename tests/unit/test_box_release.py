"""A box gives its uid back only once its container is gone (a fake engine; the kit's own
bookkeeping, no security claim about the engine)."""

from __future__ import annotations

import logging
import threading

import pytest
import requests
from docker.errors import NotFound

from sandbox import PROFILES, box, engine, uids


class FakeApi:
    """An engine that creates and starts containers and removes them only when `removes` is set."""

    def __init__(self):
        self.removes = False
        self.removal_may_end = threading.Event()
        self.removal_may_end.set()

    def attach_socket(self, container_id, params):
        return FakeSocket()

    def start(self, container_id):
        pass

    def remove_container(self, name, force):
        self.removal_may_end.wait(10)
        if not self.removes:
            raise requests.exceptions.ConnectionError("Connection refused")
        raise NotFound("No such container")


class FakeSocket:
    def close(self):
        pass


class FakeClient:
    def __init__(self):
        self.api = FakeApi()


@pytest.fixture
def fake_engine(tmp_path, monkeypatch):
    monkeypatch.setattr(uids, "LOCKS", tmp_path / "locks")
    client = FakeClient()
    monkeypatch.setattr(engine, "client", lambda: client)
    monkeypatch.setattr(engine, "ensure_image", lambda name=None: None)
    monkeypatch.setattr(engine, "ensure_runtime", lambda name: None)
    monkeypatch.setattr(engine, "create_container", lambda options, docker_client=None: "c0ffee" * 8)
    yield client.api
    while box.stranded:  # this process holds their uids: give them back
        box.stranded.popitem()[1].release()


def started():
    return box.Box.start(PROFILES["hardened"], image="safe-python:test")


def test_a_container_that_could_not_be_removed_keeps_its_uid(fake_engine, caplog):
    stuck = started()
    with caplog.at_level(logging.ERROR, logger="sandbox.box"):
        stuck.close()
        assert engine.wait_for_removals(10)
    assert f"Could not remove container {stuck.name} (id {stuck.id})" in caplog.text
    following = uids.lease()
    following.release()
    assert following.uid != stuck.uid  # no new run shares the uid of one still there
    assert box.stranded[stuck.name].uid == stuck.uid


def test_a_removed_container_gives_its_uid_back(fake_engine, caplog):
    fake_engine.removes = True
    done = started()
    with caplog.at_level(logging.ERROR, logger="sandbox.box"):
        done.close()
        assert engine.wait_for_removals(10)
    following = uids.lease()
    following.release()
    assert following.uid == done.uid and not caplog.text


def test_close_returns_before_the_removal_and_the_uid_stays_leased_until_it_is_done(fake_engine):
    fake_engine.removes = True
    fake_engine.removal_may_end.clear()  # the engine is slow to remove
    slow = started()
    slow.close()  # returns at once: the removal is under way in a thread of its own
    assert not engine.wait_for_removals(0.2)
    during = uids.lease()
    during.release()
    assert during.uid != slow.uid  # still leased: its container may still be there
    fake_engine.removal_may_end.set()
    assert engine.wait_for_removals(10)
    after = uids.lease()
    after.release()
    assert after.uid == slow.uid

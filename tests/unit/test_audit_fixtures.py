"""The audit's judging against recorded `docker inspect` documents (no engine needed).

The documents in fixtures/ were recorded from real containers of each profile by
fixtures/record_inspect.py. The same judging against live containers is in tests/engine.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sandbox import PROFILES
from sandbox.lab.audit import FAIL, ITEMS, Context, check

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def recorded(profile: str) -> tuple[dict, Context]:
    record = json.loads((FIXTURES / f"inspect-{profile}.json").read_text())
    context = record["context"]
    return record["inspect"], Context(tuple(context["engine_security"]), frozenset(context["internal_networks"]))


def failed(attrs: dict, context: Context) -> set[str]:
    return {f.id for f in check(attrs, context) if f.status == FAIL}


def test_the_hardened_container_passes_every_item():
    attrs, context = recorded("hardened")
    findings = check(attrs, context)
    assert [f.id for f in findings] == [item_id for item_id, *_ in ITEMS]
    assert failed(attrs, context) == set()


@pytest.mark.parametrize("profile", ["seed", "naive"])
def test_a_weaker_profile_fails_the_items_of_exactly_the_controls_it_lacks(profile):
    attrs, context = recorded(profile)
    lacking = set(PROFILES["hardened"].controls()) - set(PROFILES[profile].controls())
    by_control = {item_id: control for item_id, control, *_ in ITEMS}
    findings = check(attrs, context)
    fails = {f.id for f in findings if f.status == FAIL}
    # Every failure is an item of a control the profile lacks ...
    assert {by_control[i] for i in fails} <= lacking, fails
    # ... and every control it lacks that the container's configuration shows (a host-side
    # clock, for one, is not in it) has a failing item.
    seen = {f.control for f in findings if f.control is not None and f.status != "n/a"}
    assert lacking & seen <= {by_control[i] for i in fails}, (lacking, fails)


def _bind(source: str, destination: str) -> dict:
    return {
        "Type": "bind",
        "Source": source,
        "Destination": destination,
        "Mode": "",
        "RW": True,
        "Propagation": "rprivate",
    }


# One misconfiguration at a time, written into the hardened document: the item that judges it
# fails, and nothing else changes.
MISCONFIGURATIONS = {
    "5.4 capabilities": lambda a: a["HostConfig"].update(CapAdd=["SYS_ADMIN"]),
    "5.5 privileged": lambda a: a["HostConfig"].update(Privileged=True),
    "5.6 sensitive-mounts": lambda a: a["Mounts"].append(_bind("/etc", "/host-etc")),
    "5.9 published-ports": lambda a: a["HostConfig"].update(PortBindings={"8000/tcp": [{"HostPort": "8000"}]}),
    "5.11 memory": lambda a: a["HostConfig"].update(Memory=0),
    "5.13 read-only-root": lambda a: a["HostConfig"].update(ReadonlyRootfs=False),
    "5.15 restart-policy": lambda a: a["HostConfig"].update(RestartPolicy={"Name": "always", "MaximumRetryCount": 0}),
    "5.16 host-pid": lambda a: a["HostConfig"].update(PidMode="host"),
    "5.17 host-ipc": lambda a: a["HostConfig"].update(IpcMode="host"),
    "5.18 devices": lambda a: a["HostConfig"].update(
        Devices=[{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]
    ),
    "5.21 host-uts": lambda a: a["HostConfig"].update(UTSMode="host"),
    "5.29 pids-limit": lambda a: a["HostConfig"].update(PidsLimit=None),
    "5.31 host-userns": lambda a: a["HostConfig"].update(UsernsMode="host"),
    "5.32 docker-socket": lambda a: a["Mounts"].append(_bind("/var/run/docker.sock", "/var/run/docker.sock")),
}


@pytest.mark.parametrize("item_id", sorted(MISCONFIGURATIONS))
def test_one_misconfiguration_fails_its_item(item_id):
    attrs, context = recorded("hardened")
    changed = copy.deepcopy(attrs)
    MISCONFIGURATIONS[item_id](changed)
    assert item_id in failed(changed, context)
    assert failed(changed, context) - {item_id} <= COUPLED.get(item_id, set())


# Where one setting rightly fails more than one item.
COUPLED = {
    "5.32 docker-socket": {"5.6 sensitive-mounts"},  # /var/run is a host system directory too
    "5.11 memory": {"kit swap"},  # no memory limit: no swap limit either
    # Privileged lifts the capability set, the device list and seccomp along with it.
    "5.5 privileged": {"5.4 capabilities", "5.18 devices", "5.22 seccomp", "kit seccomp-allowlist"},
}

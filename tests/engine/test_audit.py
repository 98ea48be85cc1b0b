"""The configuration audit, on containers the real engine started as the runner would."""

import copy
import dataclasses
import json
import subprocess
import sys

import pytest
from docker.errors import APIError

from sandbox import CONTROLS, PROFILES, Mount, engine, reaper
from sandbox.errors import SandboxError
from sandbox.lab import engines
from sandbox.lab.audit import FAIL, NOT_APPLICABLE, PASS, audit, check, inspect_live

H = PROFILES["hardened"]

NAIVE_FAILS = {
    "5.4 capabilities",
    "5.11 memory",
    "5.12 cpu",
    "5.13 read-only-root",
    "5.19 ulimits",
    "5.26 no-new-privileges",
    "5.29 pids-limit",
    "kit swap",
    "kit network-none",
    "kit user",
    "kit seccomp-allowlist",
    "kit log-cap",
    "kit dev-read-only",
    "kit host-views",
    "kit no-ptys",
}
SEED_FAILS = {
    "5.4 capabilities",
    "5.19 ulimits",
    "5.26 no-new-privileges",
    "kit seccomp-allowlist",
    "kit log-cap",
    "kit host-views",
    "kit no-ptys",
}

# Removing one control fails exactly the items that belong to it.
WITHOUT_FAILS = {
    "timeout": set(),  # the host-side clock is not in the container's configuration
    "memory": {"5.11 memory", "kit swap"},
    "pids": {"5.29 pids-limit"},
    "cpu": {"5.12 cpu"},
    "network": {"kit network-none"},  # the internal network passes 5.10 and 5.30: it routes nowhere
    "read_only": {"5.13 read-only-root", "kit dev-read-only"},
    "user": {"kit user"},
    "capabilities": {"5.4 capabilities"},
    "no_new_privileges": {"5.26 no-new-privileges"},
    "seccomp": {"kit seccomp-allowlist"},  # Docker's default filter still passes 5.22
    "ulimits": {"5.19 ulimits"},
    "output_cap": {"kit log-cap"},
    "distinct_uid": set(),  # which uid is leased to whom is the kit's, not the container's
    "host_views": {"kit host-views"},
    "ptys": {"kit no-ptys"},
    "harvest": set(),  # the supervisor's harvest mode travels in the delivery, not the configuration
}


def audit_ids(limits, **kwargs):
    return set(audit(limits, **kwargs).failed_ids())


def gaps():
    """The items this engine fails whatever the profile, because it does not apply what the kit
    asks (sandbox.lab.engines.unapplied, each with its why): none on Docker."""
    return {item for item, _ in engines.unapplied(engine.kind())}


@pytest.fixture(scope="module")
def hardened_attrs():
    """One real inspect document of the hardened profile, for the checks of the judging logic."""
    return inspect_live(H)


def test_hardened_passes_every_applicable_item():
    report = audit(H)
    assert set(report.failed_ids()) == gaps() and report.passed == (not gaps())
    assert len(report.ids(PASS)) >= 25
    # This kernel has no AppArmor: that item is not applicable, with the reason, not failed.
    apparmor = report.get("5.2 apparmor")
    assert apparmor.status == NOT_APPLICABLE and "AppArmor is not enabled" in apparmor.evidence
    assert report.get("kit timeout").status == NOT_APPLICABLE


def test_naive_and_seed_fail_the_expected_items():
    assert audit_ids(PROFILES["naive"]) == NAIVE_FAILS | gaps()
    assert audit_ids(PROFILES["seed"]) == SEED_FAILS | gaps()


@pytest.mark.parametrize("control", CONTROLS)
def test_without_one_control_only_its_items_fail(control):
    report = audit(H.without(control))
    failed = set(report.failed_ids())
    assert failed == WITHOUT_FAILS[control] | gaps()
    assert all(report.get(i).control == control for i in failed - gaps())


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"privileged": True},
            {
                "5.5 privileged",
                "5.4 capabilities",
                "5.18 devices",
                "5.22 seccomp",
                "kit seccomp-allowlist",
                # --privileged lifts the masked and read-only paths too
                "kit dev-read-only",
                "kit host-views",
                "kit no-ptys",
            },
        ),
        ({"cap_add": ("SYS_ADMIN",)}, {"5.4 capabilities"}),
        ({"mounts": (Mount("/var/run/docker.sock", "/var/run/docker.sock"),)}, {"5.32 docker-socket"}),
        ({"mounts": (Mount("/etc", "/host-etc"),)}, {"5.6 sensitive-mounts"}),
    ],
    ids=["privileged", "cap_add", "docker_socket", "host_etc"],
)
def test_misconfigurations_fail_the_matching_items(change, expected):
    report = audit(H.replace(**change))
    if "privileged" in change and not engine.kind().privileged_drops_seccomp:
        # Podman keeps the kit's filter on a privileged container (tests/engine/test_probe.py shows it).
        expected = expected - {"5.22 seccomp", "kit seccomp-allowlist"}
    assert set(report.failed_ids()) == expected | gaps()
    if "privileged" in change and engine.kind().privileged_drops_seccomp:
        # inspect still lists the kit's seccomp profile; the audit knows the engine drops it.
        assert "no seccomp filter" in report.get("5.22 seccomp").evidence


def test_secret_looking_environment_fails_and_shows_only_names():
    report = audit(H, env={"API_TOKEN": "tok-987654", "COLOR": "blue"})
    assert set(report.failed_ids()) == {"kit env-secrets"} | gaps()
    assert "API_TOKEN" in report.get("kit env-secrets").evidence
    assert "tok-987654" not in json.dumps(report.to_dict())


# -- the judging logic, on a real inspect document edited by hand --------------------------------


@pytest.mark.parametrize(
    "host_changes, expected",
    [
        ({"NetworkMode": "host"}, {"5.10 host-network", "kit network-none"}),
        ({"PidMode": "host"}, {"5.16 host-pid"}),
        ({"IpcMode": "host"}, {"5.17 host-ipc"}),
        ({"UTSMode": "host"}, {"5.21 host-uts"}),
        ({"UsernsMode": "host"}, {"5.31 host-userns"}),
        ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}}, {"5.15 restart-policy"}),
        ({"PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "80"}]}}, {"5.9 published-ports"}),
        (
            {"Devices": [{"PathOnHost": "/dev/vda", "PathInContainer": "/dev/vda", "CgroupPermissions": "r"}]},
            {"5.18 devices"},
        ),
        ({"SecurityOpt": ["no-new-privileges:true", "seccomp=unconfined"]}, {"5.22 seccomp", "kit seccomp-allowlist"}),
        ({"CgroupParent": "/custom"}, {"5.25 cgroup-parent"}),
        ({"Tmpfs": {"/tmp": "rw,noexec"}}, {"kit tmpfs-size"}),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_judging_host_config_changes(hardened_attrs, host_changes, expected):
    attrs, context = hardened_attrs
    edited = copy.deepcopy(attrs)
    edited["HostConfig"].update(host_changes)
    failed = {f.id for f in check(edited, context) if f.status == FAIL}
    assert failed == expected | gaps()


def test_judging_mounts_and_apparmor(hardened_attrs):
    attrs, context = hardened_attrs
    edited = copy.deepcopy(attrs)
    edited["Mounts"] = [{"Type": "bind", "Source": "/", "Destination": "/host", "RW": True, "Propagation": "rshared"}]
    assert {f.id for f in check(edited, context) if f.status == FAIL} == {
        "5.6 sensitive-mounts",
        "5.20 mount-propagation",
    } | gaps()
    # On a host with AppArmor, an unconfined container fails 5.2 instead of being n/a.
    with_apparmor = dataclasses.replace(context, engine_security=(*context.engine_security, "name=apparmor"))
    assert {f.id for f in check(attrs, with_apparmor) if f.status == FAIL} == {"5.2 apparmor"} | gaps()
    edited = copy.deepcopy(attrs)
    edited["AppArmorProfile"] = "docker-default"
    assert {f.id for f in check(edited, with_apparmor) if f.status == FAIL} == gaps()


# -- the audited container never outlives the audit ----------------------------------------------


def _audit_containers():
    return [c for c in reaper.leftovers(session=engine.SESSION) if c["role"] == "audit"]


def test_no_audit_container_is_left_behind():
    audit(H)
    assert _audit_containers() == []


@pytest.mark.parametrize("failure", [APIError("start refused"), KeyboardInterrupt()], ids=["api_error", "interrupt"])
def test_a_failed_start_still_removes_the_container(monkeypatch, failure):
    api = engine.client().api
    created = []
    real_create = api.create_container_from_config

    def create(*args, **kwargs):
        result = real_create(*args, **kwargs)
        created.append(result["Id"])
        return result

    def refuse(*args, **kwargs):
        raise failure

    monkeypatch.setattr(api, "create_container_from_config", create)
    monkeypatch.setattr(api, "start", refuse)
    with pytest.raises(SandboxError if isinstance(failure, APIError) else KeyboardInterrupt):
        audit(H)
    assert created, "the container was really created before the failure"
    assert _audit_containers() == []


def test_cli_exit_codes_and_json(child_env):
    cmd = [sys.executable, "-m", "sandbox", "audit", "--json"]
    good = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=child_env())
    assert good.returncode == (1 if gaps() else 0), good.stderr
    assert set(json.loads(good.stdout)["failed"]) == gaps()
    bad = subprocess.run([*cmd, "--without", "pids"], capture_output=True, text=True, timeout=120, env=child_env())
    assert bad.returncode == 1
    assert set(json.loads(bad.stdout)["failed"]) == {"5.29 pids-limit"} | gaps()
    table = subprocess.run(
        [*cmd[:-1], "--profile", "naive"], capture_output=True, text=True, timeout=120, env=child_env()
    )
    assert table.returncode == 1 and "FAIL" in table.stdout and "Traceback" not in table.stderr


def test_an_engines_unapplied_items_say_why_and_are_judged_on_what_it_recorded():
    """Where the engine's inspect leaves a fact out (Podman), the audit judges it on the engine's
    own records (its native inspect, the OCI spec runc got), never on silence."""
    report = audit(H)
    for item, why in engines.unapplied(engine.kind()):
        assert why and report.get(item).status == FAIL
    if engine.kind().name == "podman":
        for item in ("kit no-ptys", "kit dev-read-only", "kit host-views"):
            assert "OCI spec" in report.get(item).evidence
        assert "libpod" in report.get("kit log-cap").evidence and report.get("kit log-cap").status == PASS
    else:
        assert engines.unapplied(engine.kind()) == ()

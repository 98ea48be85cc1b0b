"""The runtime control without an engine: the registry entry, the gvisor profile, its engine
options, its seccomp variant and the verdict rule for an OOM the engine alone recorded."""

from __future__ import annotations

import json

import pytest

from sandbox import CONTROLS, EXTRA, PROFILES, REGISTRY, Control, InvalidLimits, seccomp
from sandbox.options import GVISOR_HOST_TASKS, container_options
from sandbox.outcome import Facts, classify
from sandbox.supervisor import Report

GVISOR, HARDENED = PROFILES["gvisor"], PROFILES["hardened"]


def test_the_runtime_is_an_extra_layer_off_in_hardened_and_on_in_gvisor():
    assert EXTRA == (Control.RUNTIME,) and Control.RUNTIME not in CONTROLS
    assert HARDENED.controls() == list(CONTROLS)
    assert GVISOR.controls() == [*CONTROLS, Control.RUNTIME]
    assert GVISOR.without("runtime").runtime == "runc"
    assert REGISTRY[Control.RUNTIME].switched_on == {"runtime": "runsc"}
    assert "runtime" not in HARDENED.described() and "gVisor" in GVISOR.described()["runtime"]
    for nonsense in ("", "../runc", "run c", None):
        with pytest.raises(InvalidLimits, match="runtime must name an OCI runtime"):
            HARDENED.replace(runtime=nonsense)


def test_gvisor_options_name_the_runtime_and_move_the_pids_limit_inside():
    options = container_options(GVISOR, image="x", labels={})
    assert options["runtime"] == "runsc"
    assert options["pids_limit"] == GVISOR.pids + GVISOR_HOST_TASKS
    nproc = [u for u in options["ulimits"] if u["Name"] == "nproc"]
    assert [(u["Soft"], u["Hard"]) for u in nproc] == [(GVISOR.pids, GVISOR.pids)]
    assert options["tmpfs"]["/dev/pts"].startswith("ro,")
    runc = container_options(HARDENED, image="x", labels={})
    assert "runtime" not in runc and "/dev/pts" not in runc["tmpfs"] and runc["pids_limit"] == HARDENED.pids


def test_another_runtime_is_named_and_gets_runc_s_options_not_gvisor_s():
    crun = HARDENED.replace(runtime="crun")
    options, runc = container_options(crun, image="x", labels={}), container_options(HARDENED, image="x", labels={})
    assert options.pop("runtime") == "crun"
    assert json.dumps(options, sort_keys=True, default=str) == json.dumps(runc, sort_keys=True, default=str)
    assert crun.described()["runtime"] == "crun: the host's kernel"


def test_a_runtime_the_engine_lacks_is_refused_with_how_to_register_it(monkeypatch):
    from sandbox import RuntimeMissing, engine

    monkeypatch.setattr(engine, "runtimes", lambda: ["runc", "runsc"])
    monkeypatch.setattr(engine, "_images_ok", set())  # what it learns here is not the real engine's
    engine.ensure_runtime("runsc")
    with pytest.raises(RuntimeMissing) as missing:
        engine.ensure_runtime("crun")
    assert "no 'crun' runtime (it has runc, runsc)" in str(missing.value)
    assert '"runtimes": {"crun": {"path": "/usr/bin/crun"}}' in missing.value.hint and "gVisor" not in str(
        missing.value
    )


def test_without_pids_under_gvisor_sets_no_process_limit_anywhere():
    options = container_options(GVISOR.without("pids"), image="x", labels={})
    assert "pids_limit" not in options
    assert not [u for u in options.get("ulimits", []) if u["Name"] == "nproc" and u["Soft"] == GVISOR.pids]


def test_under_gvisor_clone3_is_left_to_gvisors_kernel_and_otherwise_answers_enosys():
    def clone3(runtime):
        return next(r for r in seccomp.profile(runtime)["syscalls"] if r["names"] == ["clone3"])

    assert clone3("runc") == {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": seccomp.ENOSYS}
    assert clone3("runsc") == {"names": ["clone3"], "action": "SCMP_ACT_ALLOW"}
    sent = [o for o in container_options(GVISOR, image="x", labels={})["security_opt"] if o.startswith("seccomp=")]
    assert json.loads(sent[0][len("seccomp=") :]) == seccomp.profile("runsc")


def test_an_oom_only_the_engine_saw_is_memory_when_the_kernel_inside_shows_no_counts():
    gvisor_report = Report(exit_code=1, oom_kills=None)
    verdict = classify(Facts(gvisor_report, None, False, 1, True), GVISOR)
    assert (verdict.status, verdict.stopped_by) == ("memory", "memory")
    # Where the supervisor read the cgroup (runc), its count decides, not the engine's flag.
    runc_report = Report(exit_code=1, oom_kills=0)
    assert classify(Facts(runc_report, None, False, 1, True), HARDENED).status == "error"


def test_the_doctor_says_whether_gvisor_can_run_and_how_to_register_it():
    from sandbox.lab.doctor import gvisor_check

    there = gvisor_check(
        {"Runtimes": {"runc": {"path": "runc"}, "runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}
    )
    assert there.ok and "/usr/bin/runsc --network=none" in there.detail and not there.required
    missing = gvisor_check({"Runtimes": {"runc": {"path": "runc"}}})
    assert not missing.ok and not missing.required and "daemon.json" in missing.fix
    # Podman names runsc from its containers.conf whether or not it is installed.
    podman = gvisor_check(
        {"Runtimes": {"runc": {"path": "/usr/bin/runc"}, "runsc": {"path": "/usr/bin/runsc"}}}, listed=False
    )
    assert not podman.ok and not podman.required and "default runtime" in podman.detail


def test_an_engine_that_lists_runtimes_it_may_lack_offers_only_its_default(monkeypatch):
    from sandbox import engine

    class Info:
        def info(self):
            return {"DefaultRuntime": "runc", "Runtimes": {"runc": {}, "runsc": {}, "kata": {}}}

    monkeypatch.setattr(engine, "client", lambda: Info())
    for listed, expected in ((True, ["kata", "runc", "runsc"]), (False, ["runc"])):
        monkeypatch.setattr(
            engine,
            "kind",
            lambda listed=listed: engine.Kind(
                "x",
                "1",
                seccomp_inline=True,
                masks_field=True,
                read_only_tmpfs=(),
                oom_flag=True,
                runtimes_listed=listed,
            ),
        )
        assert engine.runtimes() == expected


def test_the_lab_toggle_for_the_runtime_switches_gvisor_on_and_off():
    from sandbox.lab.widgets import limits_for

    assert limits_for(HARDENED, {"runtime": True}, {}).runtime == "runsc"
    assert limits_for(GVISOR, {"runtime": False}, {}).runtime == "runc"
    assert limits_for(GVISOR, {"runtime": True}, {}) == GVISOR

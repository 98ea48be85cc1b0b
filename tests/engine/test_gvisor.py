"""The gvisor profile on a real engine with runsc: a kernel of its own between the program and
the host's, and the kit's controls still in force through it.

These run where the engine has runsc registered (`make test` runs them on its private Docker
26, docker/private-engine.sh); elsewhere they skip, and fail under SANDBOX_REQUIRE_GVISOR=1.
"""

from __future__ import annotations

import os
import platform

import pytest

from sandbox import PROFILES, engine_client, engine_socket_path, run
from sandbox.lab import catalog

pytestmark = [pytest.mark.gvisor, pytest.mark.usefixtures("gvisor_ready")]

GVISOR = PROFILES["gvisor"]


def _host(path: str) -> str:
    with open(path) as handle:
        return handle.read().strip()


def test_the_program_sees_gvisors_kernel_not_the_hosts():
    result = run("import os; print(os.uname().release)", GVISOR)
    assert result.status == "ok", result.message
    assert result.stdout.strip() == "4.4.0"
    assert platform.release() != "4.4.0"  # the host's kernel is another one


def test_the_engine_records_runsc_as_the_containers_runtime():
    seen = {}

    def look(stream, text):
        if not seen:
            found = engine_client().api.containers(filters={"label": "org.safe-python.role=run", "status": "running"})
            for container in found:
                seen[container["Id"]] = engine_client().api.inspect_container(container["Id"])["HostConfig"]["Runtime"]

    result = run("import time; print('up', flush=True); time.sleep(1)", GVISOR, on_output=look)
    assert result.status == "ok", result.message
    assert "runsc" in seen.values()


def test_what_host_facts_reads_there_is_not_the_hosts():
    """The attack's gvisor facts, compared with the host's own files (the engine runs here)."""
    if engine_socket_path() is None:
        pytest.fail("this test compares with the host's files, so it needs an engine on this machine")
    probe = "print(open('/proc/cmdline').read().strip()); print(open('/proc/sys/kernel/random/boot_id').read().strip())"
    result = run(probe, GVISOR.without("host_views"))
    assert result.status == "ok", result.message
    cmdline, boot_id = result.stdout.splitlines()
    assert "-gvisor" in cmdline and cmdline != _host("/proc/cmdline")
    assert boot_id and boot_id != _host("/proc/sys/kernel/random/boot_id")
    outcome = catalog.run_attack(catalog.load("host_facts"), "gvisor")
    assert outcome.verdict == "contained" and outcome.report["own_kernel"] is True, outcome.evidence


def test_the_pids_limit_holds_as_gvisors_own_process_limit():
    """gVisor's tasks are not the host's: the kit turns pids into RLIMIT_NPROC inside it."""
    code = (
        "import os, errno\nn = 0\ntry:\n    while n < 150:\n        if os.fork() == 0:\n"
        "            import time; time.sleep(2); os._exit(0)\n        n += 1\n"
        "except OSError as e:\n    print(n, errno.errorcode[e.errno])\n"
    )
    result = run(code, GVISOR)
    assert result.status == "ok", result.message
    children, error = result.stdout.split()
    assert error == "EAGAIN" and 40 <= int(children) < GVISOR.pids


def test_threads_start_under_the_kits_filter_inside_gvisor():
    code = (
        "import threading, time\nts = [threading.Thread(target=time.sleep, args=(0.5,)) for _ in range(8)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]; print('threads', len(ts))"
    )
    result = run(code, GVISOR)
    assert result.status == "ok" and result.stdout.strip() == "threads 8", (result.message, result.stderr)


def test_a_memory_hog_is_stopped_by_memory_from_the_engines_record():
    result = run("x = bytearray(400 * 1024 * 1024)", GVISOR)
    assert (result.status, result.stopped_by, result.oom_killed) == ("memory", "memory", True), result.message


def test_the_seccomp_filter_is_applied_inside_gvisor():
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
        "libc.syscall.argtypes = [ctypes.c_long, ctypes.c_char_p, ctypes.c_long]\n"
        "print(libc.syscall(319, b'x', 0), os.strerror(ctypes.get_errno()))"
    )  # memfd_create, no flags
    result = run(code, GVISOR)
    assert result.status == "ok", result.message
    assert result.stdout.split()[0] == "-1" and "not permitted" in result.stdout
    unfiltered = run(code, GVISOR.without("seccomp"))
    assert int(unfiltered.stdout.split()[0]) >= 0, unfiltered.stdout


def test_without_runtime_is_hardened_again():
    assert GVISOR.without("runtime").runtime == "runc"
    result = run("import os; print(os.uname().release)", GVISOR.without("runtime"))
    assert result.stdout.strip() == os.uname().release


def test_the_audit_names_the_runtime_and_judges_ptys_by_what_gvisor_applies():
    from sandbox.lab import audit

    report = audit.audit(GVISOR)
    assert report.passed, report.failed_ids()
    assert report.get("kit runtime").status == "pass" and "runsc" in report.get("kit runtime").evidence
    assert "Tmpfs(/dev/pts)" in report.get("kit no-ptys").evidence
    assert audit.audit(PROFILES["hardened"]).get("kit runtime").status == "n/a"


def test_the_probe_sees_gvisors_kernel_with_the_same_limits_in_force():
    from sandbox.lab import probe

    report = probe.probe(GVISOR)
    assert report.kernel == "4.4.0"
    assert report.user["uid"] != 0 and report.seccomp_mode == 2 and report.capabilities["effective"] == []
    assert report.rlimits["nproc"] == [GVISOR.pids, GVISOR.pids]
    assert report.interfaces == ["lo"]
    # gVisor's own views: no NoNewPrivs line in its /proc/self/status, and its cgroup files
    # show none of the host's limits (the host's cgroup holds the sandbox: the matrix's cpu attacks
    # read it through the engine).
    assert report.no_new_privs is None
    assert report.cgroup["memory_bytes"] is None and report.cgroup["pids"] is None


def test_without_cgroup_counts_inside_the_answer_waits_for_the_engines_record(monkeypatch):
    """gVisor's kernel keeps no cgroup counts, so its supervisor's report cannot show an OOM kill
    that only the engine saw: the run is answered after the engine's record of the exit, not with
    the report alone as under runc."""
    from sandbox.box import Box

    read: list[str] = []
    state = Box.state
    monkeypatch.setattr(Box, "state", lambda box: read.append(box.id) or state(box))
    result = run("print('hi')", GVISOR)
    assert (result.status, result.stdout) == ("ok", "hi\n"), result.message
    assert result.usage is not None and result.usage.oom_kills is None
    assert len(read) == 1 and read[0].startswith(result.container_id)

"""The supervisor's report: the kernel's facts, which the program can neither forge, stop nor read.

Process 1 of every run is the kit's supervisor (sandbox/inside/supervisor.py). Everything a
Result says about how the program ended and what it used comes from its report or from the
kit's own kill, never from what the program printed.
"""

from __future__ import annotations

import json

import pytest

from sandbox import PROFILES, RUNNER_UIDS, run

H = PROFILES["hardened"]


def test_a_forged_network_error_names_no_control():
    """The program prints the words of a refused connection and exits 1, without trying."""
    r = run("import sys\nprint('OSError: [Errno 101] Network is unreachable', file=sys.stderr)\nsys.exit(1)")
    assert r.status == "error" and r.stopped_by is None
    assert r.hint == "network" and r.usage.no_route == 0


def test_a_real_refused_connection_is_named_from_the_kernels_count():
    r = run("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=2)")
    assert (r.status, r.stopped_by) == ("error", "network") and r.usage.no_route >= 1


FORGER = r"""
import json, os, secrets, sys
fake = {"v": 1, "exit_code": 0, "cpu_s": 999.0, "oom_kills": 7, "forks_refused": 9, "memory_peak_bytes": 1}
for guess in (secrets.token_hex(16), "0" * 32, "SAFE-PYTHON/1"):     # it does not know the secret
    line = guess + " " + json.dumps(fake) + "\n"
    os.write(1, line.encode())
    os.write(2, line.encode())
sys.exit(3)
"""


def test_the_program_cannot_forge_the_report():
    r = run(FORGER)
    assert (r.status, r.exit_code) == ("error", 3)
    assert r.usage.oom_kills == 0 and r.usage.forks_refused == 0 and r.usage.cpu_s < 60
    assert r.usage.peak_mib > 1  # the kernel's peak, not the forged 1 byte
    assert r.stdout.count('"oom_kills": 7') == 3  # every forged line is plain output


KILLER = r"""
import os, signal
for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSEGV, signal.SIGSTOP, signal.SIGCHLD):
    try:
        os.kill(1, sig)
    except OSError as e:
        print("refused", sig.name, e.errno)
os.kill(-1, signal.SIGKILL) if os.fork() == 0 else os.wait()    # a child that kills all it can
print("still here")
"""


def test_the_program_cannot_kill_the_supervisor():
    r = run(KILLER)
    assert r.usage is not None  # the supervisor lived to report
    assert r.status in ("ok", "killed") and "Traceback" not in r.stderr


PEEKER = r"""
import errno, json, os
found = {}
for name in ("mem", "environ", "maps", "fd/0", "stack", "syscall"):
    try:
        with open(f"/proc/1/{name}", "rb") as f:
            found[name] = "OK " + str(len(f.read(64)))
    except OSError as e:
        found[name] = errno.errorcode[e.errno]
try:
    os.listdir("/proc/1/fd")
    found["fd"] = "OK"
except OSError as e:
    found["fd"] = errno.errorcode[e.errno]
found["stdin"] = len(os.read(0, 100))          # its own stdin: nothing of the supervisor's
print(json.dumps(found))
"""


@pytest.mark.parametrize("limits", [H, H.without("user")], ids=["runner", "root"])
def test_the_program_cannot_read_the_supervisors_memory_fds_or_secret(limits):
    r = run(PEEKER, limits)
    found = json.loads(r.stdout)
    assert {k: found[k] for k in ("mem", "environ", "maps", "fd/0")} == {
        "mem": "EACCES",
        "environ": "EACCES",
        "maps": "EACCES",
        "fd/0": "EACCES",
    }
    # A non-dumpable process's /proc entries belong to root: root may list the fd numbers, never open one.
    assert found["fd"] == ("OK" if limits.user == "root" else "EACCES")
    assert found["stdin"] == 0


def test_a_program_that_ended_in_time_is_ok_when_its_report_comes_late(monkeypatch):
    """The program ended well before the deadline, but its report was not in when the host's
    clock ran out (a busy host; here the supervisor waits 3 s before reporting, longer than the
    2 s clock, so the report is late at any speed, and inside the kit's 3 s of grace after the
    kill): the supervisor reaped the program first and measured its life, so the run is ok, not
    timeout. The program only prints, so that it ends in time on a loaded machine too."""
    _with_supervisor(
        monkeypatch,
        "    elapsed = time.monotonic() - began\n",
        "    elapsed = time.monotonic() - began\n    time.sleep(3)\n",
    )
    r = run("print('done')", H.replace(timeout_s=2))
    assert (r.status, r.stopped_by, r.stdout) == ("ok", None, "done\n")
    assert r.usage.wall_s < 2 <= r.duration_s


def test_a_kill_that_finds_the_program_running_is_a_timeout():
    r = run("import time\ntime.sleep(30)", H.replace(timeout_s=1))
    assert (r.status, r.stopped_by, r.signal) == ("timeout", "timeout", "SIGKILL")


@pytest.mark.parametrize("code, exit_code", [(137, 137), (153, 153), (255, 255)])
def test_an_exit_code_above_128_is_the_programs_own(code, exit_code):
    r = run(f"import sys\nsys.exit({code})")
    assert (r.status, r.exit_code, r.signal, r.stopped_by) == ("error", exit_code, None, None)
    assert r.message == f"Exited with code {code}"


def test_a_real_signal_is_told_by_the_wait_status():
    r = run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    assert (r.status, r.exit_code, r.signal, r.stopped_by) == ("killed", 137, "SIGKILL", None)


def test_a_childs_oom_kill_leaves_the_run_ok():
    code = (
        "import os\nif os.fork() == 0:\n    x = bytearray(300 << 20)\n    os._exit(0)\nos.wait()\nprint('parent fine')"
    )
    r = run(code)
    assert (r.status, r.stdout, r.oom_killed) == ("ok", "parent fine\n", False)
    assert r.usage.oom_kills >= 1 and "OOM killer" in r.message


def test_the_programs_own_oom_death_is_memory_with_its_peak():
    r = run("x = bytearray(300 << 20)")
    assert (r.status, r.stopped_by, r.oom_killed) == ("memory", "memory", True)
    assert 120 <= r.usage.peak_mib <= 128 and r.usage.oom_kills >= 1


def test_a_fork_bomb_shows_the_refused_forks():
    code = "import os, time\nfor i in range(200):\n    if os.fork() == 0:\n        time.sleep(5)\n        os._exit(0)"
    r = run(code)
    assert (r.status, r.stopped_by) == ("error", "pids")
    assert r.usage.forks_refused >= 1 and r.usage.peak_tasks == 64


def test_a_spin_shows_the_throttled_periods():
    r = run("import time\nend = time.monotonic() + 2\nwhile time.monotonic() < end:\n    pass")
    assert r.status == "ok" and r.usage.throttled_periods > 0 and r.usage.cpu_s > 0.5


def test_usage_is_there_for_every_ending():
    for code, limits in (("print(1)", H), ("while True: pass", H.replace(timeout_s=1)), ("print('x' * 100000)", H)):
        r = run(code, limits)
        assert r.usage is not None and r.usage.cpu_s > 0 and r.usage.wall_s > 0, r.status


def test_orphans_are_reaped_and_killed_with_the_run():
    """Orphans belong to process 1, which reaps them; when the program ends they are killed."""
    code = (
        "import os, time\nfor _ in range(5):\n    if os.fork() == 0:\n        if os.fork() == 0:\n"
        "            time.sleep(60)\n        os._exit(0)\n    os.wait()\n"
        "print(sum(1 for p in os.listdir('/proc') if p.isdigit()))"
    )
    r = run(code)
    assert r.status == "ok" and int(r.stdout) == 7  # 1, the program, its 5 sleeping orphans
    assert r.duration_s < 30  # not held by the orphans' sleep


def test_each_running_run_has_its_own_uid():
    """Three runs that are all alive at once (each waits until the test has seen all three)."""
    import threading

    seen, cancel, lock = [], threading.Event(), threading.Lock()

    def saw(stream, text):
        with lock:
            seen.extend(int(line) for line in text.split())
            if len(seen) >= 3:
                cancel.set()

    code = "import os, time\nprint(os.getuid(), flush=True)\ntime.sleep(60)"
    threads = [
        threading.Thread(target=run, args=(code, H.replace(timeout_s=60)), kwargs={"on_output": saw, "cancel": cancel})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(seen) == 3 and len(set(seen)) == 3 and all(uid in RUNNER_UIDS for uid in seen)


# -- The program cannot reach its supervisor, and the verdict never rests on it alone --------

BREAK_SUPERVISOR = r"""
import resource, sys
try:
    resource.prlimit(1, resource.RLIMIT_NOFILE, (0, 0))   # the supervisor's next poll() fails
    print("prlimit=OK", flush=True)
except OSError as exc:
    print(f"prlimit={exc.errno}", flush=True)
print("Execution timed out after 1 seconds", file=sys.stderr, flush=True)   # the verdict it wants
while True:
    pass
"""


def test_a_program_cannot_take_its_supervisors_file_descriptors():
    """Red-team finding: prlimit(1, RLIMIT_NOFILE, 0) broke the supervisor's poll(), and the
    timeout came back as an error with the program's own stderr line as its message."""
    r = run(BREAK_SUPERVISOR, H.replace(timeout_s=2))
    assert r.stdout == "prlimit=1\n"  # EPERM: the filter's rule
    assert (r.status, r.stopped_by, r.message) == ("timeout", "timeout", "Execution timed out after 2 seconds")
    assert r.usage is not None and r.usage.cpu_s is not None  # the supervisor's report is whole


def test_a_supervisor_the_program_broke_never_hands_it_the_verdict():
    """Without the kit's filter the same program does break its supervisor: the kit's own kill
    still decides, in the kit's words."""
    r = run(BREAK_SUPERVISOR, H.replace(timeout_s=2).without("seccomp"))
    assert r.stdout == "prlimit=OK\n"
    assert (r.status, r.stopped_by, r.message) == ("timeout", "timeout", "Execution timed out after 2 seconds")


SIGNAL_SUPERVISOR = r"""
import os, signal, time
sent = {}
for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGKILL):
    try:
        os.kill(1, sig)
        sent[sig.name] = "OK"
    except OSError as exc:
        sent[sig.name] = exc.errno
try:
    fd = os.pidfd_open(1)
    signal.pidfd_send_signal(fd, signal.SIGSTOP)
    sent["pidfd_SIGSTOP"] = "OK"
except OSError as exc:
    sent["pidfd_SIGSTOP"] = exc.errno
time.sleep(0.5)
state = open("/proc/1/stat").read().rsplit(")", 1)[1].split()[0]
print(sent, state)
"""


def test_signals_to_the_supervisor_change_nothing():
    """Process 1 of a PID namespace gets only the signals it has a handler for from inside it;
    the supervisor handles SIGCHLD alone, so a stop, a kill or an interrupt is dropped."""
    r = run(SIGNAL_SUPERVISOR, H.replace(timeout_s=5))
    assert (r.status, r.exit_code) == ("ok", 0), r.message
    _sent, state = r.stdout.rsplit(" ", 1)
    assert state.strip() in ("S", "R"), r.stdout  # not T (stopped)
    assert r.usage is not None and r.usage.wall_s is not None


def _with_supervisor(monkeypatch, old: str, new: str) -> None:
    """Run with a supervisor changed for the test (sandbox/inside/supervisor.py is sent as source)."""
    from sandbox import supervisor

    assert old in supervisor.SOURCE
    monkeypatch.setattr(supervisor, "COMMAND", (*supervisor.COMMAND[:-1], supervisor.SOURCE.replace(old, new, 1)))


def test_a_late_supervisor_cannot_make_an_overrun_ok(monkeypatch):
    """A supervisor that never reads the kit's kill (as a starved one did) reaps a program that
    ended on its own after the deadline and reports 'not killed': the kit killed for time, so
    it is a timeout."""
    _with_supervisor(monkeypatch, "    poll.register(0, select.POLLIN)\n", "")
    # Past the 2 s deadline at any speed, and well inside the kit's 3 s of grace after it, so
    # that the report still arrives on a loaded machine.
    r = run("import time\ntime.sleep(2.5)\nprint('finished late')", H.replace(timeout_s=2))
    assert r.stdout == "finished late\n" and r.usage.wall_s >= 2.5  # the report arrived, late
    assert (r.status, r.stopped_by, r.message) == ("timeout", "timeout", "Execution timed out after 2 seconds")


def test_a_broken_supervisor_is_the_kits_error_not_the_programs(monkeypatch):
    """A supervisor that fails reports only its error: the verdict is an error in the kit's
    words, never the program's last stderr line, and names no control."""
    _with_supervisor(monkeypatch, "    killed = False\n", "    killed = False\n    raise OSError('injected')\n")
    r = run("import sys, time\nprint('MemoryError', file=sys.stderr)\ntime.sleep(0.2)", H.replace(timeout_s=5))
    assert (r.status, r.stopped_by) == ("error", None)
    assert r.message.startswith("The kit's supervisor failed (OSError: injected)"), r.message


def test_a_silenced_supervisor_leaves_a_timeout_a_timeout(monkeypatch):
    _with_supervisor(monkeypatch, "    if secret:\n        write_all(secret", "    if False:\n        write_all(secret")
    r = run("import sys\nprint('Exited normally', file=sys.stderr)\nwhile True: pass", H.replace(timeout_s=2))
    assert (r.status, r.stopped_by, r.message) == ("timeout", "timeout", "Execution timed out after 2 seconds")
    assert r.usage is None


SELF_SIGNAL = "import os, signal\nsignal.signal(signal.{0}, signal.SIG_DFL)\nos.kill(os.getpid(), signal.{0})"


@pytest.mark.parametrize("name, control", [("SIGXFSZ", "ulimits"), ("SIGSYS", "seccomp")])
def test_a_signal_the_program_sent_itself_names_no_control(name, control):
    r = run(SELF_SIGNAL.format(name))
    assert (r.status, r.signal, r.stopped_by, r.hint) == ("killed", name, None, control)


STARVE_SUPERVISOR = r"""
import os, time
calls = {}
for name, call in (("idle_class", lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))),
                   ("nice", lambda: os.setpriority(os.PRIO_PROCESS, 1, 19)),
                   ("pin", lambda: os.sched_setaffinity(1, {min(os.sched_getaffinity(0))}))):
    try:
        call()
        calls[name] = "OK"
    except OSError as exc:
        calls[name] = exc.errno
print(calls, flush=True)
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
for _ in range(8):
    if os.fork() == 0:
        while True:
            pass
time.sleep(3)                 # past the 2 s deadline, inside the kit's kill grace
os._exit(0)
"""


@pytest.mark.parametrize("without", [(), ("seccomp",)], ids=["hardened", "without seccomp"])
def test_a_program_that_starves_its_supervisor_past_the_deadline_is_a_timeout(without):
    """Red-team finding: the supervisor in the idle class, pinned beside eight spinners, read the
    kill late and the program's exit 0 at 12.5 s of a 10 s limit came back `ok`. Under hardened
    the calls are refused; without the filter they succeed, and the kit's own clock still
    decides: the program outlived the deadline."""
    r = run(STARVE_SUPERVISOR, H.replace(timeout_s=2).without(*without))
    refused = "OK" not in r.stdout.splitlines()[0]
    assert refused == (not without), r.stdout
    assert (r.status, r.stopped_by, r.message) == ("timeout", "timeout", "Execution timed out after 2 seconds")


NONBLOCKING = r"""
import fcntl, os
# The program's stdout and stderr are the supervisor's own open files: a flag set on them holds
# for its writes too.
for fd in (1, 2):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.makedirs("out", exist_ok=True)
with open("out/big.bin", "wb") as f:
    f.write(bytes(range(256)) * 4096)  # 1 MiB: its report is far more than a pipe holds
for fd, line in ((1, b"o" * 99 + b"\n"), (2, b"e" * 99 + b"\n")):
    try:
        while True:
            os.write(fd, line)  # until the pipe is full, as the program ends
    except BlockingIOError:
        pass
"""


def test_a_program_that_makes_its_output_non_blocking_still_gets_its_report():
    """Red-team finding: O_NONBLOCK on the shared stdout made the supervisor's report write fail
    with EAGAIN, and the run ended as the kit's error with no report."""
    r = run(NONBLOCKING, H.replace(output_cap_bytes=None))
    assert (r.status, r.message) == ("ok", "Exited normally"), r.stderr[-300:]
    assert r.usage is not None and r.usage.oom_kills == 0
    assert r.files["big.bin"].data == bytes(range(256)) * 4096
    assert set(r.stdout) == {"o", "\n"} and set(r.stderr) == {"e", "\n"}

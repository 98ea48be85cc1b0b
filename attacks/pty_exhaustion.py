ATTACK = {
    "title": "Take pseudo-terminals from the host's pool",
    "category": "files",
    "control": "ptys",
    "hardened": "/dev/pts is masked: no pseudo-terminal can be opened (ENOENT)",
    "ablated": "the program opens pseudo-terminals, each taken from one count the whole host shares",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "opened": 0, "error": "ENOENT"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "opened": 16}},
    },
    "gvisor": {
        "why": "gVisor does not apply the engine's masked paths: the kit mounts an empty read-only /dev/pts "
               "in their place, so /dev/ptmx leads nowhere (EROFS). gVisor's ptys would be its own anyway",
        "expect": {"status": "ok", "report": {"achieved": False, "opened": 0, "error": "EROFS"}},
    },
    "explain": """
        Every container gets its own /dev/pts, but the kernel counts pseudo-terminals for the
        whole host: kernel.pty.max (4096 here, a quarter of it kept for the host itself). A
        program allowed 64 processes of 256 open files each could hold far more than the host
        leaves to containers, and then nothing else on the machine could open a terminal: no
        ssh login, no docker exec -t. A script run by the sandbox needs no terminal, so the
        ptys control masks /dev/pts. The attack opens at most 16 and closes them again.
    """,
}

import errno
import json
import os

opened, held, error = 0, [], None
try:
    for _ in range(16):
        held.append(os.openpty())
        opened += 1
except OSError as exc:
    error = errno.errorcode.get(exc.errno, str(exc.errno))
for master, slave in held:
    os.close(master)
    os.close(slave)
print("ATTACK_REPORT " + json.dumps({"achieved": opened >= 16, "opened": opened, "error": error}))

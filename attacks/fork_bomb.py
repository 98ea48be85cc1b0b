ATTACK = {
    "title": "Fork bomb",
    "category": "processes",
    "control": "pids",
    "hardened": "fork() fails with EAGAIN after about 60 children: the container may hold 64 processes",
    "ablated": "all 199 children start: 200 processes with the parent (the attack stops there on purpose)",
    "escape_record": {"forks_refused": 0, "peak_tasks": {"min": 200}},
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "EAGAIN", "children": {"min": 40, "max": 63}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "children": 199}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        A fork bomb makes processes that make processes until the machine's process table is
        full; then nobody on the host can start anything, not even a shell to stop it. The pids
        control is a cgroup limit on processes and threads of this one container: once it
        holds 64 (the init process and the attack included), the next fork gets EAGAIN, the
        program can report it, and the host does not notice. This attack stops itself at 200
        processes, whose children just sleep for a second, so that even without the limit it
        cannot hurt the host.
    """,
}

import errno
import json
import os
import time

LIMIT = 199  # children; with this process, the 200 processes any attack may have
children = []
error = None
try:
    while len(children) < LIMIT:
        pid = os.fork()
        if pid == 0:
            time.sleep(1)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    error = errno.errorcode.get(exc.errno, str(exc.errno))
for pid in children:
    os.waitpid(pid, 0)
print("ATTACK_REPORT " + json.dumps({"achieved": len(children) >= LIMIT, "children": len(children), "errno": error}))

ATTACK = {
    "title": "Lower the supervisor's priority (setpriority)",
    "category": "supervisor",
    "control": "seccomp",
    "hardened": "setpriority on process 1, on the process group or on the user fails with EPERM: only the caller's "
                "own nice value may change",
    "ablated": "Docker's default filter lets setpriority through: the program sets its supervisor's nice value to 19, "
               "the kernel allows it between processes of one uid",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "process": "EPERM", "group": "EPERM",
                                                "user": "EPERM", "own": "OK", "supervisor_nice": 0}},
        "ablated": {"status": "ok", "report": {"achieved": True, "process": "OK", "supervisor_nice": 19}},
    },
    "explain": """
        The kit's supervisor is process 1 of every run: it starts the program, reads the kit's
        kill when the time is up and writes the report the verdict is made from. It runs under
        the program's own uid, and the kernel lets any process lower the priority of another of
        its uid. A program that sets its supervisor to nice 19 and keeps the CPU busy makes the
        supervisor slow to read the kill: the program can end on its own after the deadline and
        be reported as having finished in time. The kit's filter allows setpriority only on the
        caller itself (who 0, PRIO_PROCESS), so the supervisor's priority stays the kernel's
        default. The program can still be nice to others: `os.nice(5)` works.
    """,
}

import errno
import json
import os


def attempt(which, who, value):
    try:
        os.setpriority(which, who, value)
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


facts = {
    "process": attempt(os.PRIO_PROCESS, 1, 19),
    "group": attempt(os.PRIO_PGRP, 0, 19),      # the caller's process group: the supervisor's too
    "user": attempt(os.PRIO_USER, 0, 19),       # every process of the caller's uid
}
try:
    os.nice(1)
    facts["own"] = "OK"
except OSError as exc:
    facts["own"] = errno.errorcode.get(exc.errno, str(exc.errno))
facts["supervisor_nice"] = os.getpriority(os.PRIO_PROCESS, 1)
facts["achieved"] = facts["supervisor_nice"] != 0
print("ATTACK_REPORT " + json.dumps(facts))

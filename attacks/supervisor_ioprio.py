ATTACK = {
    "title": "Put the supervisor in the idle I/O class",
    "category": "supervisor",
    "control": "seccomp",
    "hardened": "ioprio_set on process 1, the process group or the user fails with EPERM",
    "ablated": "Docker's default filter lets ioprio_set through: process 1's disk I/O now waits until nothing else of "
               "the machine's wants the disk",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "process": "EPERM", "group": "EPERM",
                                                "user": "EPERM", "own": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "process": "OK"}},
    },
    "gvisor": {
        "why": "gVisor's kernel keeps no I/O priorities: ioprio_set fails even on the caller itself, and "
               "ioprio_get on process 1 answers nothing (-1)",
        "expect": {"status": "ok", "report": {"achieved": False, "process": "EPERM", "group": "EPERM",
                                              "user": "EPERM", "own": "EPERM"}},
    },
    "explain": """
        ioprio_set gives a process an I/O scheduling class; the idle class gets the disk only
        when no other process wants it. The kernel allows it between processes of one uid, so a
        program could slow its supervisor's reads and writes, the ones the verdict is made from.
        The kit's filter allows ioprio_set only on the caller (IOPRIO_WHO_PROCESS, who 0).
    """,
}

import ctypes
import errno
import json
import platform

NUMBERS = {"x86_64": (251, 252), "aarch64": (30, 31)}          # ioprio_set, ioprio_get
WHO_PROCESS, WHO_PGRP, WHO_USER = 1, 2, 3
IDLE = 3 << 13                                                   # IOPRIO_PRIO_VALUE(IDLE, 0)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_int, ctypes.c_int]   # ioprio_*(which, who, ioprio)
libc.syscall.restype = ctypes.c_long
set_number, get_number = NUMBERS[platform.machine()]


def attempt(which, who):
    ctypes.set_errno(0)
    if libc.syscall(set_number, which, who, IDLE) == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "OK"


facts = {"process": attempt(WHO_PROCESS, 1), "group": attempt(WHO_PGRP, 0), "user": attempt(WHO_USER, 0),
         "own": attempt(WHO_PROCESS, 0)}
facts["supervisor_class"] = libc.syscall(get_number, WHO_PROCESS, 1, 0) >> 13
facts["achieved"] = "OK" in (facts["process"], facts["group"], facts["user"])
print("ATTACK_REPORT " + json.dumps(facts))

ATTACK = {
    "title": "Pin the supervisor to one CPU",
    "category": "supervisor",
    "control": "seccomp",
    "hardened": "sched_setaffinity on process 1 fails with EPERM; the program may still pin itself",
    "ablated": "Docker's default filter lets sched_setaffinity through: the program pins its supervisor to the CPU "
               "its own busy processes hold",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "supervisor": "EPERM", "own": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "supervisor": "OK", "own": "OK"}},
    },
    "explain": """
        CPU affinity says which CPUs a process may run on. Pinned to one CPU beside processes
        that never sleep, the kit's supervisor (process 1) gets a small share of that CPU only,
        and reads the kit's kill late; the red-team finding combined it with the idle class to
        have a late program reported as `ok`. The kernel lets a process set the affinity of
        any other of its uid, and the supervisor shares the program's. The kit's filter allows
        sched_setaffinity only on the caller (pid 0): a program may pin itself (the
        `own` fact), never its supervisor.
    """,
}

import errno
import json
import os


def attempt(pid, cpus):
    try:
        os.sched_setaffinity(pid, cpus)
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


one = {min(os.sched_getaffinity(0))}
facts = {"supervisor": attempt(1, one), "own": attempt(0, one)}
facts["supervisor_cpus"] = len(os.sched_getaffinity(1))
facts["achieved"] = facts["supervisor"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))

ATTACK = {
    "title": "Put the supervisor in the idle scheduling class",
    "category": "supervisor",
    "control": "seccomp",
    "hardened": "sched_setscheduler and sched_setparam on process 1 fail with EPERM: the supervisor stays in the "
                "normal class",
    "ablated": "Docker's default filter lets sched_setscheduler through: process 1 is now SCHED_IDLE and runs only "
               "when nothing else of the container wants the CPU",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "scheduler": "EPERM", "param": "EPERM",
                                                "supervisor_policy": "SCHED_OTHER"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "scheduler": "OK", "supervisor_policy": "SCHED_IDLE"}},
    },
    "explain": """
        A process in the SCHED_IDLE class runs only when no normal process of its CPU wants to.
        The red-team finding this attack comes from put the kit's supervisor (process 1, the one
        that reads the kit's kill and reports the run) in that class, pinned it to one CPU and
        kept eight processes busy there: the kill sat unread at the deadline, the program ended
        on its own 2.4 s late, and the run was reported `ok`. The kernel allows it because the
        supervisor shares the program's uid; the kit's filter allows the scheduling calls only
        on the caller itself (pid 0). The kit also no longer takes the supervisor's word that the
        program ended in time: a run killed for time whose program outlived the deadline is a
        timeout whatever the report says.
    """,
}

import errno
import json
import os


def attempt(call):
    try:
        call()
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


POLICIES = {os.SCHED_OTHER: "SCHED_OTHER", os.SCHED_IDLE: "SCHED_IDLE", os.SCHED_BATCH: "SCHED_BATCH"}
facts = {
    "param": attempt(lambda: os.sched_setparam(1, os.sched_param(0))),
    "scheduler": attempt(lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))),
}
policy = os.sched_getscheduler(1)
facts["supervisor_policy"] = POLICIES.get(policy, str(policy))
facts["achieved"] = policy != os.SCHED_OTHER
print("ATTACK_REPORT " + json.dumps(facts))

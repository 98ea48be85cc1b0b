ATTACK = {
    "title": "Change the supervisor's resource limits (prlimit)",
    "category": "supervisor",
    "control": "seccomp",
    "hardened": "prlimit64 on process 1 fails with EPERM, to read as well as to set; the program's own limits still "
                "work",
    "ablated": "Docker's default filter lets prlimit64 through: the program sets its supervisor's limits (here its "
               "core size, harmlessly)",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "read": "EPERM", "set": "EPERM", "own": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "read": "OK", "set": "OK", "own": "OK"}},
    },
    "explain": """
        prlimit64 reads and sets another process's resource limits, and the kernel allows it
        between processes of one uid. The red-team finding this comes from set the supervisor's
        RLIMIT_NOFILE to 0: its next poll() failed, its report held only its own error, and
        the program's stderr became the run's message, a timeout turned into an error, a fork
        bomb lost its `stopped_by: pids`. Here the attack changes only the supervisor's core
        size, which harms nothing, so that the run ends cleanly either way. The kit's filter
        allows prlimit64 only on the caller (pid 0): `resource.setrlimit` works, another
        process's limits are out of reach.
    """,
}

import errno
import json
import resource


def attempt(call):
    try:
        call()
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


facts = {
    "read": attempt(lambda: resource.prlimit(1, resource.RLIMIT_CORE)),
    "set": attempt(lambda: resource.prlimit(1, resource.RLIMIT_CORE, (0, 0))),
    "own": attempt(lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0))),
}
facts["achieved"] = facts["set"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))

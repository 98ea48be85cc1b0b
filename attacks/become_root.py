ATTACK = {
    "title": "Become root with setuid(0)",
    "category": "privilege",
    "control": "user",
    "hardened": "setuid(0) and setresuid(0, 0, 0) fail with EPERM: the runner keeps its own uid (10001-10256)",
    "ablated": "the program already is uid 0 (root) inside the container",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "setuid": "EPERM", "uid": {"min": 10001, "max": 10256}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "uid": 0}},
        "naive": {"status": "ok", "report": {"achieved": True, "uid": 0}},
    },
    "explain": """
        Root inside a container is the same uid 0 as root outside: only the namespaces,
        capabilities, seccomp and the container's mounts stand between them. One kernel bug,
        one mounted socket or one --privileged flag later, it is root on the host. Docker runs
        a container as root unless told otherwise. The user control runs the code as the
        image's unprivileged 'runner' (a uid from 10001 to 10256), and a non-root process cannot simply ask to
        be root: setuid(0) needs CAP_SETUID, which it does not have, so the kernel answers EPERM.
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


facts = {"setuid": attempt(lambda: os.setuid(0)), "setresuid": attempt(lambda: os.setresuid(0, 0, 0))}
facts.update(uid=os.getuid(), euid=os.geteuid(), achieved=os.geteuid() == 0)
print("ATTACK_REPORT " + json.dumps(facts))

ATTACK = {
    "title": "Root in a new user namespace",
    "category": "privilege",
    "misconfiguration": "seccomp_unconfined",
    "hardened": "unshare(CLONE_NEWUSER) fails with EPERM: the kit's seccomp profile denies new namespaces",
    "ablated": "without any seccomp filter, the unprivileged runner creates a user namespace and holds every "
               "capability in it",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "unshare": "EPERM", "cap_eff": "0000000000000000"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "unshare": "OK"}},
        "naive": {"status": "ok", "report": {"achieved": False, "unshare": "EPERM"}},
    },
    "gvisor": {
        "ablated": {"verdict": "escaped", "expect": {"status": "ok", "report": {"achieved": True, "unshare": "OK"}},
                    "why": "with the filter removed unshare succeeds, with every capability inside, but the new "
                           "namespace is one of gVisor's kernel: the host's kernel makes none"},
    },
    "engines": [
        {"podman_from": "4",
         "why": "Podman's default seccomp profile allows unshare (Docker's refuses it without CAP_SYS_ADMIN), so "
                "the naive profile makes a user namespace there",
         "expect": {"naive": {"status": "ok", "report": {"achieved": True, "unshare": "OK"}}}},
    ],
    "explain": """
        An unprivileged process may create a user namespace, and inside it holds every
        capability, over objects that namespace owns. That opens large parts of the kernel
        (filesystem mounts, network configuration, netfilter) that were written assuming only
        real root could reach them, and many container escapes started there. Docker's default
        seccomp profile refuses unshare and namespace flags on clone to processes without
        CAP_SYS_ADMIN, and so does the kit's own profile. The misconfiguration that opens it is
        '--security-opt seccomp=unconfined', often suggested online to 'fix' a program that
        hits a seccomp denial. The attack creates the namespace and reads its capabilities;
        it does nothing with them.
    """,
}

import ctypes
import errno
import json
import os

CLONE_NEWUSER = 0x10000000
libc = ctypes.CDLL(None, use_errno=True)
libc.unshare.argtypes = [ctypes.c_int]          # int unshare(int flags)
libc.unshare.restype = ctypes.c_int
uid_before = os.getuid()
ctypes.set_errno(0)
done = libc.unshare(CLONE_NEWUSER) == 0
facts = {"unshare": "OK" if done else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))}
with open("/proc/self/status") as f:
    status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
facts.update(cap_eff=status.get("CapEff", "?"), uid_before=uid_before, uid_after=os.getuid())
facts["achieved"] = done and int(facts["cap_eff"], 16) != 0
print("ATTACK_REPORT " + json.dumps(facts))
